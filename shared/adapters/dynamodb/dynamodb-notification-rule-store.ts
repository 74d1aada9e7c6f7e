import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, NotFoundError, QuotaExceededError } from '../../errors';
import type { NotificationRuleStore } from '../../notify/rules/ports';
import type { NotificationRule } from '../../notify/rules/rule';
import { NotificationRuleSchema } from '../../notify/rules/rule';
import type { Page, PageRequest, QuotaClaim, Versioned } from '../../ports/stores';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota, releaseQuota } from './usage-items';

type Item = Record<string, unknown>;

/** Notification rules: one partition per org, one item per rule (keyed by its id), versioned. */
export class DynamoDbNotificationRuleStore implements NotificationRuleStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.notificationRules);
  }

  private static read(item: Item): NotificationRule {
    const { PK: _pk, SK: _sk, version: _version, ...rule } = item;
    return NotificationRuleSchema.parse(rule);
  }

  async create(rule: NotificationRule, audit: AuditRecord, quota: QuotaClaim): Promise<void> {
    const table = this.table(rule.orgId);
    const failed = await transactWrite(this.client, [
      claimQuota(table, quota),
      table.putItem({ PK: this.pk(rule.orgId), SK: rule.id, ...rule, version: 1 }),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) {
      throw new QuotaExceededError(
        `The plan allows ${quota.limit} notification rules; delete one to make room`,
      );
    }
    if (failed.length > 0) throw new ConflictError(`Notification rule ${rule.id} already exists`);
  }

  async get(orgId: string, ruleId: string): Promise<Versioned<NotificationRule> | null> {
    const item = await this.table(orgId).get(this.pk(orgId), ruleId, { consistent: true });
    if (!item) return null;
    return { value: DynamoDbNotificationRuleStore.read(item), version: Number(item.version) };
  }

  async list(orgId: string, page: PageRequest): Promise<Page<NotificationRule>> {
    const out = await this.table(orgId).queryPage(this.pk(orgId), page);
    return { items: out.items.map(DynamoDbNotificationRuleStore.read), nextCursor: out.nextCursor };
  }

  async listEnabled(orgId: string): Promise<NotificationRule[]> {
    const rules: NotificationRule[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.table(orgId).queryPage(
        this.pk(orgId),
        { limit: 500, cursor },
        {
          filter: { expression: '#enabled = :on', names: { '#enabled': 'enabled' }, values: { ':on': true } },
        },
      );
      rules.push(...page.items.map(DynamoDbNotificationRuleStore.read));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return rules;
  }

  async save(rule: NotificationRule, expectedVersion: number, audit: AuditRecord): Promise<void> {
    const table = this.table(rule.orgId);
    const failed = await transactWrite(this.client, [
      table.replaceItem(
        { PK: this.pk(rule.orgId), SK: rule.id, ...rule, version: expectedVersion + 1 },
        expectedVersion,
      ),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) {
      throw new ConflictError(`Notification rule ${rule.id} changed or went meanwhile; read it again`);
    }
  }

  async remove(orgId: string, ruleId: string, audit: AuditRecord): Promise<void> {
    const table = this.table(orgId);
    const pk = this.pk(orgId);
    table.check(pk);
    const failed = await transactWrite(this.client, [
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: ruleId },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      releaseQuota(table, 'notificationRules'),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) throw new NotFoundError(`No notification rule ${ruleId}`);
    if (failed.length > 0)
      throw new ConflictError(`Notification rule ${ruleId} could not be removed; try again`);
  }
}
