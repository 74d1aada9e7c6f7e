import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, DependencyUnavailableError, QuotaExceededError } from '../../errors';
import type { Page, PageRequest, QuotaClaim } from '../../ports/stores';
import type { SyncJob, SyncJobCounters } from '../../sync/jobs';
import { SyncJobSchema } from '../../sync/jobs';
import type { Link } from '../../sync/link';
import { LinkSchema } from '../../sync/link';
import type { Mapping } from '../../sync/mapping';
import { MappingSchema } from '../../sync/mapping';
import type { Counterpart, SyncStats, SyncStore } from '../../sync/ports';
import { auditPut } from './audit-item';
import { ifConditionHolds } from './conditional';
import { epochSeconds, platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';
import { claimQuota, releaseQuota } from './usage-items';

/** Every mapping of every org, for the reconciler (a platform pointer, written with the mapping). */
export const MAPPING_DIRECTORY_PK = platformPk('SYNCMAP', 'all');

const strip = ({ PK: _pk, SK: _sk, expiresAt: _e, ...rest }: Record<string, unknown>) => rest;

/**
 * Mappings, links, the keys that find links, and per-connection sync stats, each under the org's
 * partition. A link is one item, replaced under its revision, so concurrent changes to one link
 * apply one after the other instead of overwriting each other.
 */
export class DynamoDbSyncStore implements SyncStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }

  private pk(orgId: string, collection: keyof typeof TENANT_COLLECTIONS) {
    return tenantPk(orgId, TENANT_COLLECTIONS[collection]);
  }

  async createMapping(mapping: Mapping, audit: AuditRecord, quota: QuotaClaim): Promise<void> {
    const table = this.table(mapping.orgId);
    const failed = await transactWrite(this.client, [
      claimQuota(table, quota),
      table.putItem({ PK: this.pk(mapping.orgId, 'syncMappings'), SK: mapping.id, ...mapping }),
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: {
            PK: MAPPING_DIRECTORY_PK,
            SK: `${mapping.orgId}#${mapping.id}`,
            orgId: mapping.orgId,
            mappingId: mapping.id,
          },
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) throw new QuotaExceededError(`The plan allows ${quota.limit} sync mappings`);
    if (failed.length > 0) throw new ConflictError(`Mapping ${mapping.id} already exists`);
  }

  async saveMapping(mapping: Mapping, expectedVersion: number, audit: AuditRecord): Promise<void> {
    const table = this.table(mapping.orgId);
    const failed = await transactWrite(this.client, [
      table.replaceItem(
        { PK: this.pk(mapping.orgId, 'syncMappings'), SK: mapping.id, ...mapping },
        expectedVersion,
      ),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new ConflictError(`Mapping ${mapping.id} changed meanwhile; read it again`);
  }

  async deleteMapping(orgId: string, mappingId: string, audit: AuditRecord): Promise<boolean> {
    const table = this.table(orgId);
    const pk = this.pk(orgId, 'syncMappings');
    table.check(pk);
    const remove = (release: boolean) =>
      transactWrite(this.client, [
        ...(release ? [releaseQuota(table, 'mappings')] : []),
        {
          Delete: {
            TableName: this.tables.domainTable,
            Key: { PK: pk, SK: mappingId },
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
        {
          Delete: {
            TableName: this.tables.domainTable,
            Key: { PK: MAPPING_DIRECTORY_PK, SK: `${orgId}#${mappingId}` },
          },
        },
        auditPut(this.tables.auditTable, audit),
      ]);
    const failed = await remove(true);
    // A mapping made before mappings were counted has no count to give back: it goes all the same.
    if (failed.length === 1 && failed[0] === 0) return (await remove(false)).length === 0;
    return failed.length === 0;
  }

  async getMapping(orgId: string, mappingId: string): Promise<Mapping | null> {
    const item = await this.table(orgId).get(this.pk(orgId, 'syncMappings'), mappingId);
    return item ? MappingSchema.parse(strip(item)) : null;
  }

  async listMappings(orgId: string): Promise<Mapping[]> {
    const pk = this.pk(orgId, 'syncMappings');
    this.table(orgId).check(pk);
    return (await this.queryAll(pk)).map((i) => MappingSchema.parse(strip(i)));
  }

  /** Every item of a small partition, page after page. */
  private async queryAll(pk: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tables.domainTable,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async mappingDirectory(page: PageRequest): Promise<Page<{ orgId: string; mappingId: string }>> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tables.domainTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': MAPPING_DIRECTORY_PK },
        Limit: page.limit,
        // The cursor is the last entry's sort key: the directory is a platform pointer, not tenant data.
        ExclusiveStartKey: page.cursor ? { PK: MAPPING_DIRECTORY_PK, SK: page.cursor } : undefined,
      }),
    );
    const last = out.LastEvaluatedKey?.SK;
    return {
      items: (out.Items ?? []).map((item) => ({
        orgId: String(item.orgId),
        mappingId: String(item.mappingId),
      })),
      nextCursor: typeof last === 'string' ? last : null,
    };
  }

  async findLinkId(orgId: string, itemKey: string): Promise<string | null> {
    const item = await this.table(orgId).get(this.pk(orgId, 'linkKeys'), itemKey);
    return typeof item?.linkId === 'string' ? item.linkId : null;
  }

  async getLink(orgId: string, linkId: string): Promise<Link | null> {
    const item = await this.table(orgId).get(this.pk(orgId, 'links'), linkId);
    return item ? LinkSchema.parse(strip(item)) : null;
  }

  async listLinks(orgId: string, page: PageRequest): Promise<Page<Link>> {
    const result = await this.table(orgId).queryPage(this.pk(orgId, 'links'), page);
    return { items: result.items.map((i) => LinkSchema.parse(strip(i))), nextCursor: result.nextCursor };
  }

  async claimItem(
    orgId: string,
    itemKey: string,
    claimedBy: string,
    ttlSeconds: number,
  ): Promise<{ counterpart: Counterpart | null } | null> {
    const pk = this.pk(orgId, 'linkKeys');
    this.table(orgId).check(pk);
    const now = Date.now();
    // An update, not a put: a counterpart recorded by an earlier attempt stays, and comes back.
    const claimed = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: itemKey },
          UpdateExpression: 'SET claimedBy = :me, claimExpiresAt = :until, expiresAt = :expires',
          // Free, or claimed by this very message (a retry), or a claim whose holder died.
          ConditionExpression:
            'attribute_not_exists(PK) OR (attribute_not_exists(linkId) AND (claimedBy = :me OR claimExpiresAt < :now))',
          ExpressionAttributeValues: {
            ':me': claimedBy,
            ':now': now,
            ':until': now + ttlSeconds * 1000,
            ':expires': epochSeconds(new Date(now + 86_400_000)),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (!claimed) return null;
    return { counterpart: (claimed.Attributes?.counterpart as Counterpart | undefined) ?? null };
  }

  async recordCounterpart(
    orgId: string,
    itemKey: string,
    claimedBy: string,
    counterpart: Counterpart,
  ): Promise<void> {
    const pk = this.pk(orgId, 'linkKeys');
    this.table(orgId).check(pk);
    const recorded = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: itemKey },
          UpdateExpression: 'SET counterpart = :counterpart',
          ConditionExpression: 'claimedBy = :me AND attribute_not_exists(linkId)',
          ExpressionAttributeValues: { ':me': claimedBy, ':counterpart': counterpart },
        }),
      ),
    );
    if (!recorded) throw new DependencyUnavailableError(`The claim on ${itemKey} was taken over; retrying`);
  }

  async claimComment(
    orgId: string,
    commentKey: string,
    claimedBy: string,
    ttlSeconds: number,
  ): Promise<{ mirrored: string | null; retried: boolean; claimedAt: string } | null> {
    const pk = this.pk(orgId, 'linkKeys');
    this.table(orgId).check(pk);
    const now = Date.now();
    // Free, mirrored already (nothing is posted again), claimed by this message, or a dead holder's.
    const claimed = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: commentKey },
          UpdateExpression:
            'SET claimedBy = :me, claimExpiresAt = :until, claimedAt = if_not_exists(claimedAt, :at), expiresAt = :expires ADD attempts :one',
          ConditionExpression:
            'attribute_not_exists(PK) OR attribute_exists(mirrored) OR claimedBy = :me OR claimExpiresAt < :now',
          ExpressionAttributeValues: {
            ':me': claimedBy,
            ':now': now,
            ':at': new Date(now).toISOString(),
            ':until': now + ttlSeconds * 1000,
            ':one': 1,
            // The link records the pair for good; the claim only has to outlive the retries.
            ':expires': epochSeconds(new Date(now + 7 * 86_400_000)),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (!claimed) return null;
    const item = claimed.Attributes ?? {};
    return {
      mirrored: typeof item.mirrored === 'string' ? item.mirrored : null,
      retried: Number(item.attempts ?? 1) > 1,
      claimedAt: String(item.claimedAt),
    };
  }

  async recordMirroredComment(orgId: string, commentKey: string, mirrored: string): Promise<void> {
    const pk = this.pk(orgId, 'linkKeys');
    this.table(orgId).check(pk);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tables.domainTable,
        Key: { PK: pk, SK: commentKey },
        UpdateExpression: 'SET mirrored = :mirrored',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':mirrored': mirrored },
      }),
    );
  }

  async createLink(link: Link, keys: readonly string[]): Promise<void> {
    const table = this.table(link.orgId);
    const keyPk = this.pk(link.orgId, 'linkKeys');
    table.check(keyPk);
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: this.pk(link.orgId, 'links'), SK: link.id, ...link }),
      ...keys.map((key) => ({
        Put: {
          TableName: this.tables.domainTable,
          Item: { PK: keyPk, SK: key, linkId: link.id },
          // The claim may stand in the way; another link may not.
          ConditionExpression: 'attribute_not_exists(linkId)',
        },
      })),
    ]);
    if (failed.length > 0) throw new ConflictError('The item is linked already');
  }

  async saveLink(link: Link, expectedRevision: number): Promise<boolean> {
    const pk = this.pk(link.orgId, 'links');
    this.table(link.orgId).check(pk);
    const saved = await ifConditionHolds(
      this.client.send(
        new PutCommand({
          TableName: this.tables.domainTable,
          Item: { PK: pk, SK: link.id, ...link },
          ConditionExpression: '#revision = :expected',
          ExpressionAttributeNames: { '#revision': 'revision' },
          ExpressionAttributeValues: { ':expected': expectedRevision },
        }),
      ),
    );
    return saved !== undefined;
  }

  async claimStep(orgId: string, key: string, rank: string): Promise<boolean> {
    const pk = this.pk(orgId, 'syncStats');
    this.table(orgId).check(pk);
    const claimed = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: `step#${key}` },
          UpdateExpression: 'SET #rank = :rank, done = :no, expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(PK) OR #rank < :rank OR (#rank = :rank AND done = :no)',
          ExpressionAttributeNames: { '#rank': 'rank' },
          ExpressionAttributeValues: {
            ':rank': rank,
            ':no': false,
            // A pull request quiet for a year is not going to be delivered out of order any more.
            ':expires': epochSeconds(new Date(Date.now() + 365 * 86_400_000)),
          },
        }),
      ),
    );
    return claimed !== undefined;
  }

  async finishStep(orgId: string, key: string, rank: string): Promise<void> {
    const pk = this.pk(orgId, 'syncStats');
    this.table(orgId).check(pk);
    // A later step that claimed meanwhile is left to finish itself.
    await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: `step#${key}` },
          UpdateExpression: 'SET done = :yes',
          ConditionExpression: '#rank = :rank',
          ExpressionAttributeNames: { '#rank': 'rank' },
          ExpressionAttributeValues: { ':rank': rank, ':yes': true },
        }),
      ),
    );
  }

  async recordSync(
    orgId: string,
    connectionId: string,
    outcome: { at: Date; lagMs: number } | { at: Date; error: string },
  ): Promise<void> {
    const pk = this.pk(orgId, 'syncStats');
    this.table(orgId).check(pk);
    const ok = 'lagMs' in outcome;
    await this.client.send(
      new UpdateCommand({
        TableName: this.tables.domainTable,
        Key: { PK: pk, SK: connectionId },
        UpdateExpression: ok
          ? 'SET lastSyncedAt = :at, lagMs = :lag ADD changesSynced :one'
          : 'SET lastError = :error ADD failures :one',
        ExpressionAttributeValues: ok
          ? { ':at': outcome.at.toISOString(), ':lag': outcome.lagMs, ':one': 1 }
          : { ':error': { message: outcome.error, at: outcome.at.toISOString() }, ':one': 1 },
      }),
    );
  }

  async getStats(orgId: string, connectionId: string): Promise<SyncStats> {
    const item = (await this.table(orgId).get(this.pk(orgId, 'syncStats'), connectionId)) ?? {};
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    return {
      connectionId,
      lastSyncedAt: str(item.lastSyncedAt),
      lagMs: typeof item.lagMs === 'number' ? item.lagMs : null,
      changesSynced: Number(item.changesSynced ?? 0),
      failures: Number(item.failures ?? 0),
      lastError: (item.lastError as SyncStats['lastError']) ?? null,
    };
  }

  async getCursor(orgId: string, mappingId: string) {
    const item = (await this.table(orgId).get(this.pk(orgId, 'syncStats'), `map#${mappingId}`)) ?? {};
    return {
      cursor: typeof item.cursor === 'string' ? item.cursor : null,
      reconciledAt: typeof item.reconciledAt === 'string' ? item.reconciledAt : null,
    };
  }

  private jobSk(job: Pick<SyncJob, 'mappingId' | 'kind' | 'id'>) {
    return `${job.mappingId}#${job.kind}#${job.id}`;
  }

  async createJob(job: SyncJob): Promise<void> {
    const created = await this.table(job.orgId).putIfAbsent({
      PK: this.pk(job.orgId, 'syncJobs'),
      SK: this.jobSk(job),
      ...job,
      // Reconciliation runs every few minutes: their records go after a week; backfills stay.
      ...(job.kind === 'reconcile'
        ? { expiresAt: epochSeconds(new Date(Date.parse(job.startedAt) + 7 * 86_400_000)) }
        : {}),
    });
    if (!created) throw new ConflictError(`Job ${job.id} already exists`);
  }

  async getJob(
    orgId: string,
    mappingId: string,
    kind: SyncJob['kind'],
    jobId: string,
  ): Promise<SyncJob | null> {
    const item = await this.table(orgId).get(
      this.pk(orgId, 'syncJobs'),
      this.jobSk({ mappingId, kind, id: jobId }),
    );
    return item ? SyncJobSchema.parse(strip(item)) : null;
  }

  async latestJob(orgId: string, mappingId: string, kind: SyncJob['kind']): Promise<SyncJob | null> {
    const pk = this.pk(orgId, 'syncJobs');
    this.table(orgId).check(pk);
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tables.domainTable,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': `${mappingId}#${kind}#` },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = out.Items?.[0];
    return item ? SyncJobSchema.parse(strip(item)) : null;
  }

  async advanceJob(
    job: SyncJob,
    from: string,
    to: string,
    add: SyncJobCounters,
    set: Partial<Pick<SyncJob, 'status' | 'finishedAt' | 'etaSeconds' | 'lastError' | 'updatedAt'>>,
  ): Promise<boolean> {
    const pk = this.pk(job.orgId, 'syncJobs');
    this.table(job.orgId).check(pk);
    const sets = Object.entries(set).filter(([, v]) => v !== undefined);
    const advanced = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: this.jobSk(job) },
          UpdateExpression: [
            `SET #checkpoint = :to${sets.map(([k]) => `, #${k} = :${k}`).join('')}`,
            `ADD ${Object.keys(add)
              .map((k) => `#${k} :${k}`)
              .join(', ')}`,
          ].join(' '),
          ConditionExpression: '#checkpoint = :from',
          ExpressionAttributeNames: {
            '#checkpoint': 'checkpoint',
            ...Object.fromEntries([...sets.map(([k]) => k), ...Object.keys(add)].map((k) => [`#${k}`, k])),
          },
          ExpressionAttributeValues: {
            ':from': from,
            ':to': to,
            ...Object.fromEntries(sets.map(([k, v]) => [`:${k}`, v])),
            ...Object.fromEntries(Object.entries(add).map(([k, v]) => [`:${k}`, v])),
          },
        }),
      ),
    );
    return advanced !== undefined;
  }

  async setCursor(orgId: string, mappingId: string, cursor: string, at: Date): Promise<void> {
    const pk = this.pk(orgId, 'syncStats');
    this.table(orgId).check(pk);
    // A cursor already further on stays where it is.
    await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: `map#${mappingId}` },
          UpdateExpression: 'SET #cursor = :cursor, reconciledAt = :at',
          ConditionExpression: 'attribute_not_exists(#cursor) OR #cursor < :cursor',
          ExpressionAttributeNames: { '#cursor': 'cursor' },
          ExpressionAttributeValues: { ':cursor': cursor, ':at': at.toISOString() },
        }),
      ),
    );
  }
}
