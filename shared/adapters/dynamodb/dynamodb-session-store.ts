import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { NotFoundError } from '../../errors';
import type { Session, SessionState } from '../../identity/session';
import { SESSION_RECORD_DAYS, SessionSchema } from '../../identity/session';
import type { SessionStore, SessionUse } from '../../ports/stores';
import { auditPut } from './audit-item';
import { ifConditionHolds } from './conditional';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

const DAY_MS = 24 * 3600_000;
const sessionSk = (userId: string, sessionId: string) => `${userId}#${sessionId}`;
/** The user's "revoked before" marker, beside their sessions in the org's one sessions partition. */
const markerSk = (userId: string) => `${userId}#REVOKED`;

/**
 * Sessions in one partition per org (`T#<org>#SESSION`), keyed by user and session, so a user's
 * sessions are one query and an org's purge finds them all. Each record expires (TTL) a while
 * after the longest session any org allows, as does each marker after the sessions it revoked.
 */
export class DynamoDbSessionStore implements SessionStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  async state(orgId: string, userId: string, sessionId: string): Promise<SessionState> {
    const table = this.table(orgId);
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.sessions);
    const [session, marker] = await Promise.all([
      table.get(pk, sessionSk(userId, sessionId)),
      table.get(pk, markerSk(userId)),
    ]);
    return {
      session: session ? SessionSchema.parse(session) : null,
      revokedBefore: typeof marker?.revokedBefore === 'string' ? marker.revokedBefore : null,
    };
  }

  async recordUse(use: SessionUse, dueBefore: Date): Promise<void> {
    const pk = tenantPk(use.orgId, TENANT_COLLECTIONS.sessions);
    this.table(use.orgId).check(pk);
    const started = new Date(use.authTime * 1000);
    await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: sessionSk(use.userId, use.sessionId) },
          UpdateExpression:
            'SET lastSeenAt = :at, ip = :ip, userAgent = :ua, #id = if_not_exists(#id, :id), orgId = if_not_exists(orgId, :org), userId = if_not_exists(userId, :user), signInMethod = if_not_exists(signInMethod, :method), startedAt = if_not_exists(startedAt, :started), expiresAt = if_not_exists(expiresAt, :expires)',
          // Never over a revoked session (it stays revoked), and not twice within the interval.
          ConditionExpression:
            'attribute_not_exists(revokedAt) AND (attribute_not_exists(lastSeenAt) OR lastSeenAt < :due)',
          ExpressionAttributeNames: { '#id': 'id' },
          ExpressionAttributeValues: {
            ':at': use.at.toISOString(),
            ':ip': use.ip,
            ':ua': use.userAgent,
            ':id': use.sessionId,
            ':org': use.orgId,
            ':user': use.userId,
            ':method': use.signInMethod,
            ':started': started.toISOString(),
            ':expires': epochSeconds(new Date(started.getTime() + SESSION_RECORD_DAYS * DAY_MS)),
            ':due': dueBefore.toISOString(),
          },
        }),
      ),
    );
  }

  async list(
    orgId: string,
    userId: string,
    limit: number,
  ): Promise<{ sessions: Session[]; revokedBefore: string | null }> {
    const table = this.table(orgId);
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.sessions);
    table.check(pk);
    const query = this.client.send(
      new QueryCommand({
        TableName: this.tables.domainTable,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': `${userId}#ses_` },
        // Session ids sort by their sign-in: newest first.
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    const [out, marker] = await Promise.all([query, table.get(pk, markerSk(userId))]);
    return {
      sessions: (out.Items ?? []).map((item) => SessionSchema.parse(item)),
      revokedBefore: typeof marker?.revokedBefore === 'string' ? marker.revokedBefore : null,
    };
  }

  async revoke(
    orgId: string,
    userId: string,
    sessionId: string,
    at: string,
    by: string,
    audit: AuditRecord,
  ): Promise<void> {
    const table = this.table(orgId);
    const failed = await transactWrite(this.client, [
      table.updateItem(tenantPk(orgId, TENANT_COLLECTIONS.sessions), sessionSk(userId, sessionId), {
        update: 'SET revokedAt = :at, revokedBy = :by',
        condition: 'attribute_exists(PK) AND attribute_not_exists(revokedAt)',
        names: {},
        values: { ':at': at, ':by': by },
      }),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new NotFoundError(`No active session ${sessionId}`);
  }

  async revokeAll(
    orgId: string,
    userId: string,
    before: string,
    by: string,
    audit: AuditRecord,
  ): Promise<void> {
    const table = this.table(orgId);
    // Kept until every session it revoked is past the longest lifetime an org allows.
    const expires = epochSeconds(new Date(Date.parse(before) + SESSION_RECORD_DAYS * DAY_MS));
    const failed = await transactWrite(this.client, [
      table.updateItem(tenantPk(orgId, TENANT_COLLECTIONS.sessions), markerSk(userId), {
        update: 'SET revokedBefore = :before, revokedBy = :by, userId = :user, expiresAt = :expires',
        // A later "sign out everywhere" moves the marker on; an earlier one never moves it back.
        condition: 'attribute_not_exists(revokedBefore) OR revokedBefore < :before',
        names: {},
        values: { ':before': before, ':by': by, ':user': userId, ':expires': expires },
      }),
      auditPut(this.tables.auditTable, audit),
    ]);
    // The marker already covers `before`: the revocation holds, and only its record is left to write.
    if (failed.includes(0)) await transactWrite(this.client, [auditPut(this.tables.auditTable, audit)]);
  }
}
