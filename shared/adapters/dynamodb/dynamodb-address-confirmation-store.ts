import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import type { AddressConfirmation, AddressConfirmationStore } from '../../notify/email/ports';
import { platformPointers } from '../../topology/access';
import { auditPut } from './audit-item';
import { epochSeconds, platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

const TOKEN_SK = 'CONFIRM';

/**
 * Address confirmations under each org's partition (`T#<org>#MAILCONF`, keyed by the lower-case
 * address) and their tokens by hash under the platform prefix (the link carries no org), each token
 * deleted when spent and swept by TTL when not.
 */
export class DynamoDbAddressConfirmationStore implements AddressConfirmationStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private pk(orgId: string) {
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.addressConfirmations);
    new TenantScopedTable(this.client, this.tables.domainTable, orgId).check(pk);
    return pk;
  }

  private tokenKey(tokenHash: string) {
    return { PK: platformPk(platformPointers.emailConfirmations, tokenHash), SK: TOKEN_SK };
  }

  async states(orgId: string, addresses: readonly string[]): Promise<Map<string, AddressConfirmation>> {
    const pk = this.pk(orgId);
    const unique = [...new Set(addresses.map((a) => a.toLowerCase()))];
    const found = new Map<string, AddressConfirmation>();
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(i, i + 100)
        .map((a) => ({ PK: pk, SK: a }));
      for (let round = 0; keys && keys.length > 0 && round < 5; round++) {
        const out = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tables.domainTable]: { Keys: keys } } }),
        );
        for (const item of out.Responses?.[this.tables.domainTable] ?? []) {
          const address = String(item.SK);
          found.set(address, {
            address,
            state: item.state === 'confirmed' ? 'confirmed' : 'pending',
            requestedAt: String(item.requestedAt),
            ...(typeof item.confirmedAt === 'string' ? { confirmedAt: item.confirmedAt } : {}),
          });
        }
        keys = out.UnprocessedKeys?.[this.tables.domainTable]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  async request(
    orgId: string,
    address: string,
    tokenHash: string,
    at: Date,
    tokenExpiresAt: Date,
    notBefore: Date,
    audit: AuditRecord,
  ): Promise<boolean> {
    const normalised = address.toLowerCase();
    const failed = await transactWrite(this.client, [
      {
        Update: {
          TableName: this.tables.domainTable,
          Key: { PK: this.pk(orgId), SK: normalised },
          UpdateExpression: 'SET #state = :pending, requestedAt = :at, address = :address',
          // Never back to pending once confirmed; at most one email per address per day.
          ConditionExpression: 'attribute_not_exists(PK) OR (#state = :pending AND requestedAt < :notBefore)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':at': at.toISOString(),
            ':address': normalised,
            ':notBefore': notBefore.toISOString(),
          },
        },
      },
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: {
            ...this.tokenKey(tokenHash),
            orgId,
            address: normalised,
            expiresAt: epochSeconds(tokenExpiresAt),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    return failed.length === 0;
  }

  async findToken(tokenHash: string): Promise<{ orgId: string; address: string } | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tables.domainTable,
        Key: this.tokenKey(tokenHash),
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    // TTL deletes within days of expiry, not at once: an expired token is refused here.
    if (!item || Number(item.expiresAt) * 1000 <= Date.now()) return null;
    if (typeof item.orgId !== 'string' || typeof item.address !== 'string') return null;
    return { orgId: item.orgId, address: item.address };
  }

  async confirm(
    tokenHash: string,
    at: Date,
    audit: (subject: { orgId: string; address: string }) => AuditRecord,
  ): Promise<{ orgId: string; address: string } | null> {
    const subject = await this.findToken(tokenHash);
    if (!subject) return null;
    const failed = await transactWrite(this.client, [
      {
        // Spent: the same link confirms nothing a second time.
        Delete: {
          TableName: this.tables.domainTable,
          Key: this.tokenKey(tokenHash),
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      {
        Update: {
          TableName: this.tables.domainTable,
          Key: { PK: this.pk(subject.orgId), SK: subject.address },
          UpdateExpression: 'SET #state = :confirmed, confirmedAt = :at',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':confirmed': 'confirmed', ':at': at.toISOString() },
        },
      },
      auditPut(this.tables.auditTable, audit(subject)),
    ]);
    return failed.length === 0 ? subject : null;
  }
}
