import type { StoredApproval } from '../../approvals/approval';
import type { ApprovalStore, Resolution } from '../../approvals/ports';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, QuotaExceededError } from '../../errors';
import { ApprovalSchema } from '../../events/canonical/approval';
import type { CanonicalEvent } from '../../events/canonical-event';
import type { Page, PageRequest, QuotaClaim } from '../../ports/stores';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import { outboxPut } from './outbox-item';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota, releaseQuota } from './usage-items';

type Item = Record<string, unknown>;

/** What each resolution requires of the item besides being pending: its time still to come, or come. */
const TIME_CONDITION: Record<Resolution, string> = {
  decide: '#deadline > :now',
  cancel: '#deadline > :now',
  expire: '#deadline <= :now',
};

/**
 * Approvals: one partition per org, one item per approval keyed by its id (a ULID: newest first).
 * The state the conditions read (`status`, `deadline`) is top-level; the approval itself is kept
 * as its JSON (its `context` is the agent's own, kept as given).
 */
export class DynamoDbApprovalStore implements ApprovalStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.approvals);
  }

  private static read(item: Item): StoredApproval {
    return ApprovalSchema.parse(JSON.parse(String(item.body))) as StoredApproval;
  }

  async create(approval: StoredApproval, audit: AuditRecord, quota: QuotaClaim, event: CanonicalEvent) {
    const table = this.table(approval.orgId);
    const failed = await transactWrite(this.client, [
      claimQuota(table, quota),
      table.putItem({
        PK: this.pk(approval.orgId),
        SK: approval.id,
        id: approval.id,
        status: approval.status,
        deadline: approval.expiresAt,
        body: JSON.stringify(approval),
      }),
      auditPut(this.tables.auditTable, audit),
      outboxPut(table, event, new Date(approval.createdAt)),
    ]);
    if (failed.includes(0))
      throw new QuotaExceededError(
        `The plan allows ${quota.limit} pending approvals; wait for one to be answered or cancel one`,
      );
    if (failed.length > 0) throw new ConflictError(`Approval ${approval.id} already exists`);
  }

  async get(orgId: string, approvalId: string): Promise<StoredApproval | null> {
    const item = await this.table(orgId).get(this.pk(orgId), approvalId, { consistent: true });
    return item ? DynamoDbApprovalStore.read(item) : null;
  }

  async list(
    orgId: string,
    status: StoredApproval['status'] | undefined,
    now: Date,
    page: PageRequest,
  ): Promise<Page<StoredApproval>> {
    const names = { '#status': 'status', '#deadline': 'deadline' };
    const values = { ':pending': 'pending', ':now': now.toISOString() };
    // As each stands at `now`: a pending approval past its time is listed as expired.
    const filter =
      status === undefined
        ? undefined
        : status === 'pending'
          ? { expression: '#status = :pending AND #deadline > :now', names, values }
          : status === 'expired'
            ? {
                expression: '#status = :status OR (#status = :pending AND #deadline <= :now)',
                names,
                values: { ...values, ':status': status },
              }
            : {
                expression: '#status = :status',
                names: { '#status': 'status' },
                values: { ':status': status },
              };
    const out = await this.table(orgId).queryPage(this.pk(orgId), page, { filter });
    return { items: out.items.map(DynamoDbApprovalStore.read), nextCursor: out.nextCursor };
  }

  async resolve(
    next: StoredApproval,
    how: Resolution,
    now: Date,
    audit: AuditRecord,
    event: CanonicalEvent,
  ): Promise<boolean> {
    const table = this.table(next.orgId);
    const failed = await transactWrite(this.client, [
      table.updateItem(this.pk(next.orgId), next.id, {
        update: 'SET #status = :next, body = :body',
        condition: `#status = :pending AND ${TIME_CONDITION[how]}`,
        names: { '#status': 'status', '#deadline': 'deadline' },
        values: {
          ':next': next.status,
          ':body': JSON.stringify(next),
          ':pending': 'pending',
          ':now': now.toISOString(),
        },
      }),
      releaseQuota(table, 'pendingApprovals'),
      auditPut(this.tables.auditTable, audit),
      outboxPut(table, event, now),
    ]);
    if (failed.includes(0)) return false;
    if (failed.length > 0) throw new ConflictError(`Approval ${next.id} could not be resolved; try again`);
    return true;
  }
}
