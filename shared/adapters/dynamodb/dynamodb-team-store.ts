import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, NotFoundError, QuotaExceededError } from '../../errors';
import type { QuotaClaim, TeamStore } from '../../ports/stores';
import type { Team, TeamMembership, TeamRole } from '../../tenancy/team';
import { TeamSchema } from '../../tenancy/team';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import type { TransactItem } from './tenant-scoped-table';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota, releaseQuota } from './usage-items';

/** DynamoDB's limit on items in one transaction. */
const MAX_TRANSACTION_ITEMS = 100;
const TREE_SK = 'VERSION';

/**
 * Teams, their memberships (kept twice: by team and by user, so both directions are queries), and
 * the hierarchy's version: every structural change is conditional on it, so two concurrent moves
 * cannot together form a cycle or exceed the depth bound.
 */
export class DynamoDbTeamStore implements TeamStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  private teamsPk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.teams);
  }

  /** Moves the hierarchy from `expected` to the next version, or fails the transaction. */
  private bumpTree(table: TenantScopedTable, expected: number): TransactItem {
    return table.updateItem(tenantPk(table.orgId, TENANT_COLLECTIONS.teamTree), TREE_SK, {
      update: 'SET #version = :next',
      condition: expected === 0 ? 'attribute_not_exists(#version)' : '#version = :expected',
      names: { '#version': 'version' },
      values: { ':next': expected + 1, ...(expected === 0 ? {} : { ':expected': expected }) },
    });
  }

  async tree(orgId: string): Promise<{ teams: Team[]; version: number }> {
    const table = this.table(orgId);
    const [teams, tree] = await Promise.all([
      this.all(orgId),
      table.get(tenantPk(orgId, TENANT_COLLECTIONS.teamTree), TREE_SK),
    ]);
    return { teams, version: typeof tree?.version === 'number' ? tree.version : 0 };
  }

  async create(team: Team, audit: AuditRecord, quota: QuotaClaim, treeVersion: number): Promise<void> {
    const table = this.table(team.orgId);
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: this.teamsPk(team.orgId), SK: team.id, ...team }),
      claimQuota(table, quota),
      auditPut(this.tables.auditTable, audit),
      this.bumpTree(table, treeVersion),
    ]);
    if (failed.includes(1)) throw new QuotaExceededError(`The plan allows ${quota.limit} teams`);
    if (failed.includes(3)) throw new ConflictError('The team hierarchy changed meanwhile; try again');
    if (failed.length > 0) throw new ConflictError(`Team ${team.id} already exists`);
  }

  async update(orgId: string, teams: readonly Team[], treeVersion: number, audit: AuditRecord) {
    if (teams.length + 2 > MAX_TRANSACTION_ITEMS) {
      throw new ConflictError(
        `A change may move at most ${MAX_TRANSACTION_ITEMS - 2} teams at once; move a smaller subtree`,
      );
    }
    const table = this.table(orgId);
    const failed = await transactWrite(this.client, [
      this.bumpTree(table, treeVersion),
      auditPut(this.tables.auditTable, audit),
      ...teams.map((team) =>
        table.updateItem(this.teamsPk(orgId), team.id, {
          update: 'SET #name = :name, parentId = :parent, #depth = :depth, updatedAt = :at',
          condition: 'attribute_exists(PK)',
          names: { '#name': 'name', '#depth': 'depth' },
          values: {
            ':name': team.name,
            ':parent': team.parentId,
            ':depth': team.depth,
            ':at': team.updatedAt ?? new Date().toISOString(),
          },
        }),
      ),
    ]);
    if (failed.length > 0) throw new ConflictError('The team hierarchy changed meanwhile; try again');
  }

  async delete(team: Team, treeVersion: number, audit: AuditRecord): Promise<void> {
    const table = this.table(team.orgId);
    const failed = await transactWrite(this.client, [
      this.bumpTree(table, treeVersion),
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: this.teamsPk(team.orgId), SK: team.id },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      releaseQuota(table, 'teams'),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new ConflictError('The team hierarchy changed meanwhile; try again');
    // Memberships of a deleted team are ignored by every reader, so removing them after is safe.
    const members = await this.membersOf(team.orgId, team.id);
    const keys = members.flatMap((m) => [
      { PK: tenantPk(team.orgId, TENANT_COLLECTIONS.teamMembers), SK: `${m.teamId}#${m.userId}` },
      { PK: tenantPk(team.orgId, TENANT_COLLECTIONS.userTeams), SK: `${m.userId}#${m.teamId}` },
    ]);
    for (let i = 0; i < keys.length; i += 25) {
      let pending = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; pending.length > 0 && attempt < 5; attempt++) {
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tables.domainTable]: pending } }),
        );
        pending = (out.UnprocessedItems?.[this.tables.domainTable] ?? []) as typeof pending;
      }
    }
  }

  async get(orgId: string, teamId: string): Promise<Team | null> {
    const item = await this.table(orgId).get(this.teamsPk(orgId), teamId);
    return item ? TeamSchema.parse(item) : null;
  }

  async all(orgId: string): Promise<Team[]> {
    const teams: Team[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.table(orgId).queryPage(this.teamsPk(orgId), { limit: 100, cursor });
      teams.push(...page.items.map((i) => TeamSchema.parse(i)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return teams;
  }

  async putMember(orgId: string, membership: TeamMembership, audit: AuditRecord): Promise<void> {
    const table = this.table(orgId);
    const { teamId, userId, role } = membership;
    const put = (collection: 'teamMembers' | 'userTeams', sk: string): TransactItem => {
      const pk = tenantPk(orgId, TENANT_COLLECTIONS[collection]);
      table.check(pk);
      return { Put: { TableName: this.tables.domainTable, Item: { PK: pk, SK: sk, teamId, userId, role } } };
    };
    const failed = await transactWrite(this.client, [
      put('teamMembers', `${teamId}#${userId}`),
      put('userTeams', `${userId}#${teamId}`),
      auditPut(this.tables.auditTable, audit),
      {
        ConditionCheck: {
          TableName: this.tables.domainTable,
          Key: { PK: this.teamsPk(orgId), SK: teamId },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
    ]);
    if (failed.length > 0) throw new NotFoundError(`No team ${teamId}`);
  }

  async removeMember(orgId: string, teamId: string, userId: string, audit: AuditRecord): Promise<void> {
    const table = this.table(orgId);
    const remove = (collection: 'teamMembers' | 'userTeams', sk: string): TransactItem => {
      const pk = tenantPk(orgId, TENANT_COLLECTIONS[collection]);
      table.check(pk);
      return {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: sk },
          ConditionExpression: 'attribute_exists(PK)',
        },
      };
    };
    const failed = await transactWrite(this.client, [
      remove('teamMembers', `${teamId}#${userId}`),
      remove('userTeams', `${userId}#${teamId}`),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new NotFoundError(`User ${userId} is not a member of team ${teamId}`);
  }

  async membershipsOf(orgId: string, userId: string): Promise<TeamMembership[]> {
    return this.memberships(orgId, 'userTeams', userId);
  }

  async membersOf(orgId: string, teamId: string): Promise<TeamMembership[]> {
    return this.memberships(orgId, 'teamMembers', teamId);
  }

  private async memberships(
    orgId: string,
    collection: 'teamMembers' | 'userTeams',
    prefix: string,
  ): Promise<TeamMembership[]> {
    const out: TeamMembership[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.table(orgId).queryPage(
        tenantPk(orgId, TENANT_COLLECTIONS[collection]),
        { limit: 1000, cursor },
        { skBetween: [`${prefix}#`, `${prefix}#~`] },
      );
      out.push(
        ...page.items.map((i) => ({
          teamId: String(i.teamId),
          userId: String(i.userId),
          role: i.role as TeamRole,
        })),
      );
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }
}
