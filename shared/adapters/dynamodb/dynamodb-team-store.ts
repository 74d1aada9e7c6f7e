import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, QuotaExceededError } from '../../errors';
import type { QuotaClaim, TeamStore } from '../../ports/stores';
import type { Team, TeamMembership, TeamRole } from '../../tenancy/team';
import { TeamSchema } from '../../tenancy/team';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { TransactItem } from './tenant-scoped-table';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota } from './usage-items';

export class DynamoDbTeamStore implements TeamStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  async create(team: Team, audit: AuditRecord, quota: QuotaClaim): Promise<void> {
    const table = this.table(team.orgId);
    const teamsPk = tenantPk(team.orgId, TENANT_COLLECTIONS.teams);
    const parentExists: TransactItem[] = team.parentId
      ? [
          {
            ConditionCheck: {
              TableName: this.tables.domainTable,
              Key: { PK: teamsPk, SK: team.parentId },
              ConditionExpression: 'attribute_exists(PK)',
            },
          },
        ]
      : [];
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: teamsPk, SK: team.id, ...team }),
      claimQuota(table, quota),
      auditPut(this.tables.auditTable, audit),
      ...parentExists,
    ]);
    if (failed.includes(1)) throw new QuotaExceededError(`The plan allows ${quota.limit} teams`);
    if (failed.includes(3)) throw new ConflictError(`The parent team ${team.parentId} no longer exists`);
    if (failed.length > 0) throw new ConflictError(`Team ${team.id} already exists`);
  }

  async get(orgId: string, teamId: string): Promise<Team | null> {
    const item = await this.table(orgId).get(tenantPk(orgId, TENANT_COLLECTIONS.teams), teamId);
    return item ? TeamSchema.parse(item) : null;
  }

  async all(orgId: string): Promise<Team[]> {
    const teams: Team[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.table(orgId).queryPage(tenantPk(orgId, TENANT_COLLECTIONS.teams), {
        limit: 100,
        cursor,
      });
      teams.push(...page.items.map((i) => TeamSchema.parse(i)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return teams;
  }

  async putMember(orgId: string, membership: TeamMembership, audit: AuditRecord): Promise<void> {
    const table = this.table(orgId);
    const { teamId, userId, role } = membership;
    // Kept twice, by team and by user, so both "who is in this team" and "which teams is she in" are queries.
    const put = (collection: 'teamMembers' | 'userTeams', sk: string): TransactItem => {
      const pk = tenantPk(orgId, TENANT_COLLECTIONS[collection]);
      table.check(pk);
      return { Put: { TableName: this.tables.domainTable, Item: { PK: pk, SK: sk, teamId, userId, role } } };
    };
    await transactWrite(this.client, [
      put('teamMembers', `${teamId}#${userId}`),
      put('userTeams', `${userId}#${teamId}`),
      auditPut(this.tables.auditTable, audit),
    ]);
  }

  async membershipsOf(orgId: string, userId: string): Promise<TeamMembership[]> {
    const page = await this.table(orgId).queryPage(
      tenantPk(orgId, TENANT_COLLECTIONS.userTeams),
      { limit: 1000 },
      { skBetween: [`${userId}#`, `${userId}#~`] },
    );
    return page.items.map((i) => ({
      teamId: String(i.teamId),
      userId: String(i.userId),
      role: i.role as TeamRole,
    }));
  }
}
