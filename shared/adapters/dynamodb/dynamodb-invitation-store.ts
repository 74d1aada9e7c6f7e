import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, QuotaExceededError } from '../../errors';
import type { InvitationStore, Page, PageRequest, QuotaClaim } from '../../ports/stores';
import type { InvitationMail, StoredInvitation } from '../../tenancy/invitation';
import { InvitationSchema } from '../../tenancy/invitation';
import type { User } from '../../tenancy/user';
import { auditPut } from './audit-item';
import { epochSeconds, platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import type { TransactItem } from './tenant-scoped-table';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota } from './usage-items';

const TOKEN_LOOKUP = 'INVITE';

/**
 * Invitations under the org's partition; a platform lookup from the token's hash to its
 * invitation, which lives as long as the token may be used (DynamoDB's TTL sweeps expired ones).
 */
export class DynamoDbInvitationStore implements InvitationStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.invitations);
  }

  async create(invitation: StoredInvitation, mail: InvitationMail, audit: AuditRecord): Promise<void> {
    const table = this.table(invitation.orgId);
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: this.pk(invitation.orgId), SK: invitation.id, ...invitation }),
      this.lookupPut(invitation),
      this.mailPut(table, mail),
      // Someone who is already a user is not invited again.
      {
        ConditionCheck: {
          TableName: this.tables.domainTable,
          Key: { PK: tenantPk(invitation.orgId, TENANT_COLLECTIONS.userEmails), SK: invitation.email },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(3)) {
      throw new ConflictError(`${invitation.email} is already a user of this organisation`);
    }
    if (failed.length > 0) throw new ConflictError(`Invitation ${invitation.id} already exists`);
  }

  async get(orgId: string, invitationId: string): Promise<StoredInvitation | null> {
    const item = await this.table(orgId).get(this.pk(orgId), invitationId);
    return item ? stored(item) : null;
  }

  async list(orgId: string, page: PageRequest): Promise<Page<StoredInvitation>> {
    const result = await this.table(orgId).queryPage(this.pk(orgId), page);
    return { items: result.items.map(stored), nextCursor: result.nextCursor };
  }

  async findByTokenHash(tokenHash: string): Promise<{ orgId: string; invitationId: string } | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tables.domainTable,
        Key: { PK: platformPk(TOKEN_LOOKUP, tokenHash), SK: 'INVITATION' },
      }),
    );
    const item = out.Item;
    return item ? { orgId: String(item.orgId), invitationId: String(item.invitationId) } : null;
  }

  async reissue(
    next: StoredInvitation,
    previous: StoredInvitation,
    mail: InvitationMail,
    audit: AuditRecord,
  ): Promise<void> {
    const table = this.table(next.orgId);
    const failed = await transactWrite(this.client, [
      this.replaceIfUnchanged(table, next, previous),
      this.lookupDelete(previous.tokenHash),
      this.lookupPut(next),
      this.mailPut(table, mail),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new ConflictError(`Invitation ${next.id} changed meanwhile; read it again`);
  }

  async revoke(invitation: StoredInvitation, previous: StoredInvitation, audit: AuditRecord): Promise<void> {
    const table = this.table(invitation.orgId);
    const failed = await transactWrite(this.client, [
      this.replaceIfUnchanged(table, invitation, previous),
      this.lookupDelete(previous.tokenHash),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new ConflictError(`Invitation ${invitation.id} changed meanwhile`);
  }

  async accept(accepted: StoredInvitation, user: User, audit: AuditRecord, quota: QuotaClaim): Promise<void> {
    const table = this.table(accepted.orgId);
    const failed = await transactWrite(this.client, [
      table.updateItem(this.pk(accepted.orgId), accepted.id, {
        update: 'SET #status = :accepted, acceptedUserId = :user, updatedAt = :at',
        condition: '#status = :pending AND tokenHash = :hash',
        names: { '#status': 'status' },
        values: {
          ':accepted': 'accepted',
          ':pending': 'pending',
          ':user': user.id,
          ':at': accepted.updatedAt ?? user.createdAt,
          ':hash': accepted.tokenHash,
        },
      }),
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: platformPk(TOKEN_LOOKUP, accepted.tokenHash), SK: 'INVITATION' },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      table.putItem({ PK: tenantPk(user.orgId, TENANT_COLLECTIONS.users), SK: user.id, ...user }),
      table.putItem({
        PK: tenantPk(user.orgId, TENANT_COLLECTIONS.userEmails),
        SK: user.email,
        userId: user.id,
      }),
      claimQuota(table, quota),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0) || failed.includes(1)) {
      throw new ConflictError('The invitation was already used or revoked');
    }
    if (failed.includes(3)) throw new ConflictError(`${user.email} is already a user of this organisation`);
    if (failed.includes(4)) throw new QuotaExceededError(`The plan allows ${quota.limit} users`);
    if (failed.length > 0) throw new ConflictError(`User ${user.id} already exists`);
  }

  async getMail(orgId: string, mailId: string): Promise<InvitationMail | null> {
    const item = await this.table(orgId).get(tenantPk(orgId, TENANT_COLLECTIONS.invitationMail), mailId);
    if (!item) return null;
    return {
      id: String(item.id),
      orgId: String(item.orgId),
      orgName: String(item.orgName),
      invitationId: String(item.invitationId),
      email: String(item.email),
      role: String(item.role),
      expiresAt: String(item.expiresAtIso),
      sendCount: Number(item.sendCount),
      tokenCiphertext: typeof item.tokenCiphertext === 'string' ? item.tokenCiphertext : null,
      sentAt: typeof item.sentAt === 'string' ? item.sentAt : null,
    };
  }

  async markMailSent(mail: InvitationMail, sentAt: string): Promise<boolean> {
    const table = this.table(mail.orgId);
    // Marks the email sent once, and forgets its token.
    const markSent = () =>
      table.updateItem(tenantPk(mail.orgId, TENANT_COLLECTIONS.invitationMail), mail.id, {
        update: 'SET sentAt = :at REMOVE tokenCiphertext',
        condition: 'attribute_exists(PK) AND attribute_not_exists(sentAt)',
        names: {},
        values: { ':at': sentAt },
      });
    const failed = await transactWrite(this.client, [
      markSent(),
      // Only the latest issue's email moves lastSentAt; an older one arriving late does not.
      table.updateItem(this.pk(mail.orgId), mail.invitationId, {
        update: 'SET lastSentAt = :at',
        condition: 'attribute_exists(PK) AND sendCount = :count',
        names: {},
        values: { ':at': sentAt, ':count': mail.sendCount },
      }),
    ]);
    if (failed.includes(0)) return false;
    if (failed.includes(1)) {
      // A newer issue exists: still forget this email's token.
      const done = await transactWrite(this.client, [markSent()]);
      return done.length === 0;
    }
    return true;
  }

  private replaceIfUnchanged(
    table: TenantScopedTable,
    next: StoredInvitation,
    previous: StoredInvitation,
  ): TransactItem {
    table.check(this.pk(next.orgId));
    return {
      Put: {
        TableName: this.tables.domainTable,
        Item: { PK: this.pk(next.orgId), SK: next.id, ...next },
        ConditionExpression: '#status = :pending AND sendCount = :count AND tokenHash = :hash',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pending': 'pending',
          ':count': previous.sendCount,
          ':hash': previous.tokenHash,
        },
      },
    };
  }

  private lookupPut(invitation: StoredInvitation): TransactItem {
    return {
      Put: {
        TableName: this.tables.domainTable,
        Item: {
          PK: platformPk(TOKEN_LOOKUP, invitation.tokenHash),
          SK: 'INVITATION',
          orgId: invitation.orgId,
          invitationId: invitation.id,
          expiresAt: epochSeconds(new Date(invitation.expiresAt)),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
  }

  private lookupDelete(tokenHash: string): TransactItem {
    return {
      Delete: {
        TableName: this.tables.domainTable,
        Key: { PK: platformPk(TOKEN_LOOKUP, tokenHash), SK: 'INVITATION' },
      },
    };
  }

  private mailPut(table: TenantScopedTable, mail: InvitationMail): TransactItem {
    const { sentAt: _notYet, ...unsent } = mail;
    return table.putItem({
      PK: tenantPk(mail.orgId, TENANT_COLLECTIONS.invitationMail),
      SK: mail.id,
      ...unsent,
      // Nothing to send after the invitation expires; TTL removes the item and its token.
      expiresAt: epochSeconds(new Date(mail.expiresAt)),
      expiresAtIso: mail.expiresAt,
    });
  }
}

function stored(item: Record<string, unknown>): StoredInvitation {
  return { ...InvitationSchema.parse(item), tokenHash: String(item.tokenHash) };
}
