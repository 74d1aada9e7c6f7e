import { BatchWriteCommand, DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { hashOf } from '../../identity/passkeys/passkey';
import type { ClaimCheckStore } from '../../ports/claim-check-store';
import type { OrgPurger } from '../../ports/stores';
import { platformPointers } from '../../topology/access';
import { ifConditionHolds } from './conditional';
import { MAPPING_DIRECTORY_PK } from './dynamodb-sync-store';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';

type Key = { PK: string; SK: string };
type Item = Record<string, unknown>;
type Collection = keyof typeof TENANT_COLLECTIONS;

const PAGE = 100;

/**
 * The platform pointers each kind of tenant item has, by the kind of pointer (the name its count
 * is reported under). A pointer is found from the item that owns it, so a purge cut short finds
 * it again as long as the item goes after its pointers. A new pointer type is added here.
 */
const POINTERS: Partial<Record<Collection, (item: Item, orgId: string) => [string, Key][]>> = {
  apiKeys: (item) =>
    typeof item.keyHash === 'string'
      ? [['apiKeyHashes', { PK: platformPk('APIKEY', item.keyHash), SK: 'GRANT' }]]
      : [],
  connections: (item) => [['webhookRoutes', { PK: platformPk('WEBHOOK', String(item.SK)), SK: 'ROUTE' }]],
  invitations: (item) =>
    typeof item.tokenHash === 'string'
      ? [['invitationTokens', { PK: platformPk('INVITE', item.tokenHash), SK: 'INVITATION' }]]
      : [],
  syncMappings: (item, orgId) => [
    ['syncDirectory', { PK: MAPPING_DIRECTORY_PK, SK: `${orgId}#${String(item.SK)}` }],
  ],
  // A verified domain's claim is this org's (claimed and released with the item); a pending one's is not.
  ssoDomains: (item) =>
    item.status === 'verified' && typeof item.domain === 'string'
      ? [['ssoDomainClaims', { PK: platformPk('SSODOMAIN', item.domain), SK: 'CLAIM' }]]
      : [],
  ssoConnections: (item) =>
    String(item.SK).startsWith('sso_')
      ? [['ssoConnectionOrgs', { PK: platformPk('SSOCONN', String(item.SK)), SK: 'ORG' }]]
      : [],
  scimTokens: (item) =>
    typeof item.tokenHash === 'string'
      ? [['scimTokenLookups', { PK: platformPk('SCIMTOKEN', item.tokenHash), SK: 'GRANT' }]]
      : [],
  // A passkey's lookup by its credential id (the hash the store keys it by); a user's count has none.
  passkeys: (item) =>
    typeof item.credentialId === 'string'
      ? [
          [
            'passkeyLookups',
            { PK: platformPk(platformPointers.passkeyLookups, hashOf(item.credentialId)), SK: 'CREDENTIAL' },
          ],
        ]
      : [],
  org: (item, orgId) => [
    ...(typeof item.slug === 'string'
      ? [['slugClaims', { PK: platformPk('SLUG', item.slug), SK: 'CLAIM' }] as [string, Key]]
      : []),
    ['orgDirectory', { PK: platformPk('ORGS', 'ALL'), SK: orgId }],
  ],
};

/**
 * Every tenant collection but the audit trail (another table, kept for its retention), so a
 * collection added to the key layout is purged too; the org item goes last, as it says the org
 * is still being purged.
 */
const PURGED: readonly Collection[] = [
  ...(Object.keys(TENANT_COLLECTIONS) as Collection[]).filter((c) => c !== 'audit' && c !== 'org'),
  'org',
];

/**
 * Deletes every item of an org from the domain table, collection by collection (queries of the
 * org's own partitions, never a scan), and the platform pointers that name it: the sync directory
 * first (reconciliation stops calling its providers), then the org's claim-checked event bodies,
 * then each item's pointers before the item.
 * Bounded: it stops between pages when told to, and the next call continues, since what is
 * deleted is no longer found.
 */
export class DynamoDbOrgPurger implements OrgPurger {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
    /** Where events too large for the bus are stored whole; their objects go with the org. */
    private readonly claims?: Pick<ClaimCheckStore, 'purgeTenant'>,
  ) {}

  async purge(
    orgId: string,
    shouldStop: () => boolean = () => false,
  ): Promise<{ removed: Record<string, number>; done: boolean }> {
    const table = new TenantScopedTable(this.client, this.domainTable, orgId);
    const removed: Record<string, number> = {};
    const count = (kind: string, n: number) => {
      if (n > 0) removed[kind] = (removed[kind] ?? 0) + n;
    };
    // The org's entries in the sync directory, found by their prefix even without their mapping.
    let start: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.domainTable,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :org)',
          ExpressionAttributeValues: { ':pk': MAPPING_DIRECTORY_PK, ':org': `${orgId}#` },
          ProjectionExpression: 'PK, SK',
          Limit: PAGE,
          ExclusiveStartKey: start,
        }),
      );
      count(
        'syncDirectory',
        await this.deletePointers(
          orgId,
          (out.Items ?? []).map((i) => keyOf(i)),
        ),
      );
      start = out.LastEvaluatedKey;
    } while (start);

    if (this.claims) {
      const objects = await this.claims.purgeTenant(orgId, shouldStop);
      count('claimObjects', objects.removed);
      if (!objects.done) return { removed, done: false };
    }

    for (const collection of PURGED) {
      const pk = tenantPk(orgId, TENANT_COLLECTIONS[collection]);
      table.check(pk);
      let more: boolean;
      do {
        if (shouldStop()) return { removed, done: false };
        // Always the first page, read consistently: what came before it is gone, and not counted twice.
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.domainTable,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ConsistentRead: true,
            Limit: PAGE,
          }),
        );
        const items = out.Items ?? [];
        const pointers = items.flatMap((item) => POINTERS[collection]?.(item, orgId) ?? []);
        for (const kind of new Set(pointers.map(([k]) => k)))
          count(
            kind,
            await this.deletePointers(
              orgId,
              pointers.filter(([k]) => k === kind).map(([, key]) => key),
            ),
          );
        await this.deleteItems(items.map((i) => keyOf(i)));
        count(collection, items.length);
        more = out.LastEvaluatedKey !== undefined;
      } while (more);
    }
    return { removed, done: true };
  }

  /**
   * Deletes platform pointers one by one, counting those that were there (few per item). A pointer
   * that names another org now (its key claimed afresh after this org let it go) is left alone.
   */
  private async deletePointers(orgId: string, keys: Key[]): Promise<number> {
    let deleted = 0;
    for (const Key of keys) {
      const out = await ifConditionHolds(
        this.client.send(
          new DeleteCommand({
            TableName: this.domainTable,
            Key,
            ConditionExpression: 'attribute_not_exists(orgId) OR orgId = :org',
            ExpressionAttributeValues: { ':org': orgId },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      if (out?.Attributes) deleted += 1;
    }
    return deleted;
  }

  /** Deletes one tenant partition's items, 25 to a batch, until none is left unprocessed. */
  private async deleteItems(keys: Key[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) {
      let pending = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      while (pending.length > 0) {
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.domainTable]: pending } }),
        );
        pending = (out.UnprocessedItems?.[this.domainTable] ?? []) as typeof pending;
      }
    }
  }
}

const keyOf = (item: Item): Key => ({ PK: String(item.PK), SK: String(item.SK) });
