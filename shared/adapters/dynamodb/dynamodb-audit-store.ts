import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { encodeTime } from 'ulid';
import type { AuditFilter } from '../../audit/audit-filter';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ValidationError } from '../../errors';
import type { AuditStore, Page, PageRequest } from '../../ports/stores';
import { auditPut } from './audit-item';
import { ifConditionHolds } from './conditional';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

const RECORD_FIELDS = [
  'id',
  'action',
  'actor',
  'targets',
  'orgId',
  'occurredAt',
  'requestId',
  'context',
  'outcome',
  'channel',
  'before',
  'after',
] as const;

/** The smallest and largest audit id of a millisecond: ids are `aud_` + ULID, whose first 10 characters are the time. */
const idAt = (iso: string, edge: '0' | 'Z') => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new ValidationError('from and to must be ISO 8601 times');
  return `aud_${encodeTime(ms, 10)}${edge.repeat(16)}`;
};

export class DynamoDbAuditStore implements AuditStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
    /**
     * Standalone records (a refusal, a read of the trail) are the platform's record of what it saw:
     * written with the function's own append-only grant, not a session of the addressed tenant.
     */
    private readonly appender: DataClient = client,
  ) {}

  /** Appends a record; one whose id is in the trail already is that same record, and is not written again. */
  async append(record: AuditRecord): Promise<void> {
    const put = auditPut(this.tables.auditTable, record).Put;
    await ifConditionHolds(
      this.appender.send(new PutCommand(put as ConstructorParameters<typeof PutCommand>[0])),
    );
  }

  async activity(orgId: string, actorIds: readonly string[], from: Date, to: Date) {
    const table = new TenantScopedTable(this.client, this.tables.auditTable, orgId);
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.audit);
    table.check(pk);
    const byDay: Record<string, number> = {};
    const byActor: Record<string, number> = {};
    // DynamoDB's IN takes at most 100 operands: larger teams are counted in slices.
    for (let i = 0; i < actorIds.length; i += 100) {
      const slice = actorIds.slice(i, i + 100);
      const operands = Object.fromEntries(slice.map((id, n) => [`:a${n}`, id]));
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.tables.auditTable,
            KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
            FilterExpression: `#actor.#id IN (${Object.keys(operands).join(', ')}) AND #outcome = :success`,
            ProjectionExpression: 'occurredAt, #actor.#id',
            ExpressionAttributeNames: { '#actor': 'actor', '#id': 'id', '#outcome': 'outcome' },
            ExpressionAttributeValues: {
              ':pk': pk,
              ':from': idAt(from.toISOString(), '0'),
              ':to': idAt(new Date(to.getTime() - 1).toISOString(), 'Z'),
              ':success': 'success',
              ...operands,
            },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) {
          const day = String(item.occurredAt).slice(0, 10);
          const actor = String((item.actor as { id?: unknown } | undefined)?.id);
          byDay[day] = (byDay[day] ?? 0) + 1;
          byActor[actor] = (byActor[actor] ?? 0) + 1;
        }
        start = out.LastEvaluatedKey;
      } while (start);
    }
    return { byDay, byActor };
  }

  async list(orgId: string, filter: AuditFilter, page: PageRequest): Promise<Page<AuditRecord>> {
    const table = new TenantScopedTable(this.client, this.tables.auditTable, orgId);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const conditions: string[] = [];
    if (filter.actorId !== undefined) {
      names['#actor'] = 'actor';
      names['#actorId'] = 'id';
      values[':actorId'] = filter.actorId;
      conditions.push('#actor.#actorId = :actorId');
    }
    if (filter.action !== undefined) {
      names['#action'] = 'action';
      values[':action'] = filter.action;
      conditions.push('#action = :action');
    }
    if (filter.outcome !== undefined) {
      names['#outcome'] = 'outcome';
      values[':outcome'] = filter.outcome;
      conditions.push('#outcome = :outcome');
    }
    if (filter.targetId !== undefined && filter.targetType !== undefined) {
      values[':target'] = `${filter.targetType}#${filter.targetId}`;
      conditions.push('contains(targetKeys, :target)');
    } else if (filter.targetType !== undefined) {
      values[':targetType'] = filter.targetType;
      conditions.push('contains(targetTypes, :targetType)');
    } else if (filter.targetId !== undefined) {
      throw new ValidationError('Filter by targetId together with targetType', [
        { path: 'targetType', message: 'required with targetId' },
      ]);
    }
    const result = await table.queryPage(tenantPk(orgId, TENANT_COLLECTIONS.audit), page, {
      skBetween:
        filter.from !== undefined || filter.to !== undefined
          ? [idAt(filter.from ?? '1970-01-01T00:00:00Z', '0'), idAt(filter.to ?? '9999-12-31T00:00:00Z', 'Z')]
          : undefined,
      filter: conditions.length > 0 ? { expression: conditions.join(' AND '), names, values } : undefined,
    });
    return {
      items: result.items.map(
        (item) =>
          Object.fromEntries(
            RECORD_FIELDS.filter((f) => f in item).map((f) => [f, item[f]]),
          ) as unknown as AuditRecord,
      ),
      nextCursor: result.nextCursor,
    };
  }
}
