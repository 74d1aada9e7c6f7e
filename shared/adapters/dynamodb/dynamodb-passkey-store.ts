import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import { ConflictError, NotFoundError } from '../../errors';
import type {
  Passkey,
  PasskeyChallengeStore,
  PasskeyLookup,
  PasskeyStore,
  PasskeyTransport,
} from '../../identity/passkeys/passkey';
import { hashOf } from '../../identity/passkeys/passkey';
import { platformPointers } from '../../topology/access';
import { auditPut } from './audit-item';
import { ifConditionHolds } from './conditional';
import { epochSeconds, platformPk, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

type Item = Record<string, unknown>;

// By the credential id's hash: bounded keys whatever the authenticator's id length.
const lookupKey = (credentialId: string) => ({
  PK: platformPk(platformPointers.passkeyLookups, hashOf(credentialId)),
  SK: 'CREDENTIAL',
});
const passkeySk = (userId: string, passkeyId: string) => `${userId}#${passkeyId}`;
/** Each user's count of passkeys, sorted before every user's passkeys. */
const countSk = (userId: string) => `#count#${userId}`;

function passkeyOf(item: Item): Passkey {
  return {
    id: String(item.id),
    orgId: String(item.orgId),
    userId: String(item.userId),
    credentialId: String(item.credentialId),
    publicKey: String(item.publicKey),
    counter: Number(item.counter ?? 0),
    transports: Array.isArray(item.transports) ? (item.transports.map(String) as PasskeyTransport[]) : [],
    name: String(item.name),
    backedUp: item.backedUp === true,
    createdAt: String(item.createdAt),
    lastUsedAt: typeof item.lastUsedAt === 'string' ? item.lastUsedAt : null,
  };
}

/**
 * Users' passkeys under their org (`T#<org>#PASSKEY`, `<userId>#<passkeyId>`, with a count per user)
 * and the platform lookup by credential id (`P#PASSKEY#<hash>`), which the function's own role
 * writes: it is put first (one credential, one user, across the platform), then the passkey, its
 * count and its audit record in one transaction, and taken back if that fails; a removal deletes the
 * lookup first, so a removal cut short leaves a passkey no sign-in can find, never a lookup to nothing.
 */
export class DynamoDbPasskeyStore implements PasskeyStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }
  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.passkeys);
  }

  async listOf(orgId: string, userId: string): Promise<Passkey[]> {
    const out = await this.table(orgId).queryPage(
      this.pk(orgId),
      { limit: 50 },
      { skBetween: [`${userId}#`, `${userId}#~`] },
    );
    return out.items.map(passkeyOf).reverse();
  }

  async get(orgId: string, userId: string, passkeyId: string): Promise<Passkey | null> {
    const item = await this.table(orgId).get(this.pk(orgId), passkeySk(userId, passkeyId), {
      consistent: true,
    });
    return item ? passkeyOf(item) : null;
  }

  async add(passkey: Passkey, audit: AuditRecord, limit: number): Promise<void> {
    const lookup: PasskeyLookup = { orgId: passkey.orgId, userId: passkey.userId, passkeyId: passkey.id };
    const claimed = await ifConditionHolds(
      this.client.send(
        new PutCommand({
          TableName: this.tables.domainTable,
          Item: { ...lookupKey(passkey.credentialId), ...lookup },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
    );
    if (!claimed) throw new ConflictError('This passkey is already registered');
    const table = this.table(passkey.orgId);
    const pk = this.pk(passkey.orgId);
    let failed: number[];
    try {
      failed = await transactWrite(this.client, [
        table.putItem({ PK: pk, SK: passkeySk(passkey.userId, passkey.id), ...passkey }),
        table.updateItem(pk, countSk(passkey.userId), {
          update: 'ADD #n :one',
          condition: 'attribute_not_exists(#n) OR #n < :limit',
          names: { '#n': 'n' },
          values: { ':one': 1, ':limit': limit },
        }),
        auditPut(this.tables.auditTable, audit),
      ]);
    } catch (error) {
      await this.unclaim(passkey.credentialId);
      throw error;
    }
    if (failed.length > 0) {
      await this.unclaim(passkey.credentialId);
      throw new ConflictError(
        failed.includes(1)
          ? `A user holds at most ${limit} passkeys: remove one first`
          : 'The passkey exists',
      );
    }
  }

  async remove(passkey: Passkey, audit: AuditRecord): Promise<void> {
    await this.unclaim(passkey.credentialId);
    const table = this.table(passkey.orgId);
    const pk = this.pk(passkey.orgId);
    const failed = await transactWrite(this.client, [
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: passkeySk(passkey.userId, passkey.id) },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      table.updateItem(pk, countSk(passkey.userId), {
        update: 'ADD #n :minus',
        condition: '#n > :zero',
        names: { '#n': 'n' },
        values: { ':minus': -1, ':zero': 0 },
      }),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.length > 0) throw new NotFoundError(`No passkey ${passkey.id}`);
  }

  async lookup(credentialId: string): Promise<PasskeyLookup | null> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tables.domainTable,
        Key: lookupKey(credentialId),
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    if (
      typeof item?.orgId !== 'string' ||
      typeof item.userId !== 'string' ||
      typeof item.passkeyId !== 'string'
    )
      return null;
    return { orgId: item.orgId, userId: item.userId, passkeyId: item.passkeyId };
  }

  async recordUse(passkey: Passkey, counter: number, at: string): Promise<boolean> {
    const pk = this.pk(passkey.orgId);
    this.table(passkey.orgId).check(pk);
    const out = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: passkeySk(passkey.userId, passkey.id) },
          UpdateExpression: 'SET #counter = :counter, lastUsedAt = :at',
          // Above the kept counter, unless the authenticator keeps none (both zero).
          ConditionExpression:
            counter > 0
              ? 'attribute_exists(PK) AND #counter < :counter'
              : 'attribute_exists(PK) AND #counter = :counter',
          ExpressionAttributeNames: { '#counter': 'counter' },
          ExpressionAttributeValues: { ':counter': counter, ':at': at },
        }),
      ),
    );
    return out !== undefined;
  }

  private async unclaim(credentialId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tables.domainTable, Key: lookupKey(credentialId) }),
    );
  }
}

const challengeKey = (challenge: string) => ({
  PK: platformPk(platformPointers.passkeyChallenges, hashOf(challenge)),
  SK: 'CHALLENGE',
});

/**
 * Passkey challenges, each spent by one conditional delete: a registration's under the user's org
 * and id (a newer one replaces it), a sign-in's under the platform prefix by its hash (no org is
 * known yet). Both expire by TTL, and are refused past `validUntil` before the sweep comes.
 */
export class DynamoDbPasskeyChallenges implements PasskeyChallengeStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  async putRegistration(orgId: string, userId: string, challenge: string, expiresAt: Date): Promise<void> {
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.passkeyRegistrations);
    new TenantScopedTable(this.client, this.domainTable, orgId).check(pk);
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          PK: pk,
          SK: userId,
          challenge,
          validUntil: expiresAt.toISOString(),
          expiresAt: epochSeconds(expiresAt),
        },
      }),
    );
  }

  async takeRegistration(orgId: string, userId: string, now: Date): Promise<string | null> {
    const pk = tenantPk(orgId, TENANT_COLLECTIONS.passkeyRegistrations);
    new TenantScopedTable(this.client, this.domainTable, orgId).check(pk);
    const out = await ifConditionHolds(
      this.client.send(
        new DeleteCommand({
          TableName: this.domainTable,
          Key: { PK: pk, SK: userId },
          ConditionExpression: 'attribute_exists(PK)',
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    const item = out?.Attributes;
    if (typeof item?.challenge !== 'string' || String(item.validUntil) <= now.toISOString()) return null;
    return item.challenge;
  }

  async putSignIn(challenge: string, expiresAt: Date): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          ...challengeKey(challenge),
          validUntil: expiresAt.toISOString(),
          expiresAt: epochSeconds(expiresAt),
        },
      }),
    );
  }

  async takeSignIn(challenge: string, now: Date): Promise<boolean> {
    const out = await ifConditionHolds(
      this.client.send(
        new DeleteCommand({
          TableName: this.domainTable,
          Key: challengeKey(challenge),
          ConditionExpression: 'attribute_exists(PK)',
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    const validUntil = out?.Attributes?.validUntil;
    return typeof validUntil === 'string' && validUntil > now.toISOString();
  }
}
