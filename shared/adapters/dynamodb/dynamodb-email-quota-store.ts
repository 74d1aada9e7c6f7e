import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import type { EmailQuotaStore } from '../../notify/email/ports';
import { auditPut } from './audit-item';
import { ifConditionHolds } from './conditional';
import { epochSeconds } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { usagePk } from './usage-items';

/** Day items are kept two days past their day (the usage report reads today's; a retry reads yesterday's). */
const KEEP_SECONDS = 3 * 86_400;
const dayEnd = (day: string) => epochSeconds(new Date(`${day}T00:00:00.000Z`)) + KEEP_SECONDS;

/**
 * The daily email count (`EMAILDAY#<day>`, one atomic ADD per event), each event's share
 * (`EMAILEVT#<event>`, so a redelivered event is not counted twice) and the day's notice marker
 * (`EMAILNOTICE#<day>`), in the org's usage partition.
 */
export class DynamoDbEmailQuotaStore implements EmailQuotaStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private pk(orgId: string) {
    const pk = usagePk(orgId);
    new TenantScopedTable(this.client, this.tables.domainTable, orgId).check(pk);
    return pk;
  }

  async consume(orgId: string, day: string, eventId: string, wanted: number, limit: number): Promise<number> {
    const pk = this.pk(orgId);
    if (wanted <= 0) return 0;
    const share = await this.client.send(
      new GetCommand({
        TableName: this.tables.domainTable,
        Key: { PK: pk, SK: `EMAILEVT#${eventId}` },
        ConsistentRead: true,
      }),
    );
    if (typeof share.Item?.granted === 'number') return share.Item.granted;
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.tables.domainTable,
        Key: { PK: pk, SK: `EMAILDAY#${day}` },
        UpdateExpression: 'ADD #count :wanted SET expiresAt = if_not_exists(expiresAt, :expires)',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':wanted': wanted, ':expires': dayEnd(day) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const after = Number(out.Attributes?.count ?? wanted);
    const granted = Math.max(0, Math.min(wanted, limit - (after - wanted)));
    if (granted < wanted) {
      // What was not granted is given back, so the day's count is what was sent (never above the limit).
      await this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: `EMAILDAY#${day}` },
          UpdateExpression: 'ADD #count :back',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':back': granted - wanted },
        }),
      );
    }
    // A crash before this line counts the event again when it is matched again: never more than the limit.
    await ifConditionHolds(
      this.client.send(
        new PutCommand({
          TableName: this.tables.domainTable,
          Item: { PK: pk, SK: `EMAILEVT#${eventId}`, granted, expiresAt: dayEnd(day) },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
    );
    return granted;
  }

  async countOn(orgId: string, day: string): Promise<number> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tables.domainTable,
        Key: { PK: this.pk(orgId), SK: `EMAILDAY#${day}` },
      }),
    );
    return Number(out.Item?.count ?? 0);
  }

  async claimNotice(orgId: string, day: string, audit: AuditRecord): Promise<boolean> {
    const table = new TenantScopedTable(this.client, this.tables.domainTable, orgId);
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: this.pk(orgId), SK: `EMAILNOTICE#${day}`, expiresAt: dayEnd(day) }),
      auditPut(this.tables.auditTable, audit),
    ]);
    return failed.length === 0;
  }
}
