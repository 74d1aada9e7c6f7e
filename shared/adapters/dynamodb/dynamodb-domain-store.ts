import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, NotFoundError } from '../../errors';
import type { Page, PageRequest } from '../../ports/stores';
import type { DomainStore, OrgDomain } from '../../sso/domains';
import { auditPut } from './audit-item';
import { platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

const CLAIM_SK = 'CLAIM';

type Item = Record<string, unknown>;

const domainOf = (item: Item): OrgDomain => ({
  domain: String(item.domain),
  status: item.status === 'verified' ? 'verified' : 'pending',
  token: String(item.token),
  createdAt: String(item.createdAt),
  verifiedAt: typeof item.verifiedAt === 'string' ? item.verifiedAt : null,
  lastCheckedAt: typeof item.lastCheckedAt === 'string' ? item.lastCheckedAt : null,
  lastCheckError: typeof item.lastCheckError === 'string' ? item.lastCheckError : null,
});

/**
 * An org's domains under its partition, keyed by name, with a count item that bounds them; a
 * verified domain's platform claim (`P#SSODOMAIN#<domain>`) names its one org and is written and
 * released in the same transaction as the org's item.
 */
export class DynamoDbDomainStore implements DomainStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }
  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.ssoDomains);
  }
  private claimKey(domain: string) {
    return { PK: platformPk('SSODOMAIN', domain), SK: CLAIM_SK };
  }

  async add(orgId: string, domain: OrgDomain, audit: AuditRecord, limit: number): Promise<void> {
    const table = this.table(orgId);
    const pk = this.pk(orgId);
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: pk, SK: domain.domain, ...domain }),
      table.countItem(pk, 1, limit),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) throw new ConflictError(`The org has the domain ${domain.domain} already`);
    if (failed.includes(1))
      throw new ConflictError(`An org holds at most ${limit} domains; remove one first`);
    if (failed.length > 0) throw new Error('The domain could not be added');
  }

  async get(orgId: string, domain: string): Promise<OrgDomain | null> {
    const item = await this.table(orgId).get(this.pk(orgId), domain, { consistent: true });
    return item ? domainOf(item) : null;
  }

  async list(orgId: string, page: PageRequest): Promise<Page<OrgDomain>> {
    // Domain names begin with a letter or digit: the count item (`#count`) sorts before them.
    const out = await this.table(orgId).queryPage(this.pk(orgId), page, { skBetween: ['0', '~'] });
    return { items: out.items.map(domainOf), nextCursor: out.nextCursor };
  }

  async verify(orgId: string, domain: OrgDomain, audit: AuditRecord): Promise<void> {
    const table = this.table(orgId);
    const failed = await transactWrite(this.client, [
      table.updateItem(this.pk(orgId), domain.domain, {
        update: 'SET #status = :verified, verifiedAt = :at, lastCheckedAt = :at, lastCheckError = :none',
        condition: 'attribute_exists(PK)',
        names: { '#status': 'status' },
        values: { ':verified': 'verified', ':at': domain.verifiedAt, ':none': null },
      }),
      {
        Put: {
          TableName: this.tables.domainTable,
          Item: {
            ...this.claimKey(domain.domain),
            orgId,
            domain: domain.domain,
            claimedAt: domain.verifiedAt,
          },
          // Another org's claim stands until that org removes the domain (or is purged).
          ConditionExpression: 'attribute_not_exists(PK) OR orgId = :org',
          ExpressionAttributeValues: { ':org': orgId },
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) throw new NotFoundError(`The org has no domain ${domain.domain}`);
    if (failed.includes(1))
      throw new ConflictError(
        `Another organisation has verified ${domain.domain}; it must remove the domain before this one can claim it`,
      );
    if (failed.length > 0) throw new Error('The domain could not be verified');
  }

  async recordCheck(orgId: string, domain: string, at: string, error: string): Promise<void> {
    this.table(orgId).check(this.pk(orgId));
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: this.pk(orgId), SK: domain },
          UpdateExpression: 'SET lastCheckedAt = :at, lastCheckError = :error',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':at': at, ':error': error.slice(0, 300) },
        }),
      )
      .catch((e: unknown) => {
        // Removed meanwhile: there is nothing to record the check on.
        if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
      });
  }

  async remove(orgId: string, domain: string, audit: AuditRecord): Promise<void> {
    const table = this.table(orgId);
    const pk = this.pk(orgId);
    table.check(pk);
    const current = await this.get(orgId, domain);
    if (!current) throw new NotFoundError(`The org has no domain ${domain}`);
    const failed = await transactWrite(this.client, [
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: domain },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      table.countItem(pk, -1),
      ...(current.status === 'verified'
        ? [
            {
              Delete: {
                TableName: this.tables.domainTable,
                Key: this.claimKey(domain),
                ConditionExpression: 'attribute_not_exists(PK) OR orgId = :org',
                ExpressionAttributeValues: { ':org': orgId },
              },
            },
          ]
        : []),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) throw new NotFoundError(`The org has no domain ${domain}`);
    if (failed.length > 0) throw new Error('The domain could not be removed');
  }

  async orgOf(domain: string): Promise<string | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tables.domainTable, Key: this.claimKey(domain) }),
    );
    return typeof out.Item?.orgId === 'string' ? out.Item.orgId : null;
  }
}
