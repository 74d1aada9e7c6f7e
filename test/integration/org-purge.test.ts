import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { functionCredentials, LocalIam } from '../../lib/local/local-iam';
import { localNames } from '../../lib/local/local-names';
import type { LocalS3 } from '../../lib/local/local-s3';
import { LOCAL_CLAIMS_BUCKET, startLocalS3 } from '../../lib/local/local-s3';
import { DynamoDbAccessStore } from '../../shared/adapters/dynamodb/dynamodb-access-store';
import { DynamoDbApiKeyStore } from '../../shared/adapters/dynamodb/dynamodb-api-key-store';
import { DynamoDbConnectionStore } from '../../shared/adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbDeadLetterStore } from '../../shared/adapters/dynamodb/dynamodb-dead-letter-store';
import { DynamoDbEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store';
import { DynamoDbInvitationStore } from '../../shared/adapters/dynamodb/dynamodb-invitation-store';
import { DynamoDbLockStore } from '../../shared/adapters/dynamodb/dynamodb-lock-store';
import { DynamoDbOrgPurger } from '../../shared/adapters/dynamodb/dynamodb-org-purger';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import { DynamoDbPasskeyStore } from '../../shared/adapters/dynamodb/dynamodb-passkey-store';
import { DynamoDbSyncStore } from '../../shared/adapters/dynamodb/dynamodb-sync-store';
import { DynamoDbTeamStore } from '../../shared/adapters/dynamodb/dynamodb-team-store';
import { DynamoDbUsageStore } from '../../shared/adapters/dynamodb/dynamodb-usage-store';
import { DynamoDbUserStore } from '../../shared/adapters/dynamodb/dynamodb-user-store';
import { S3ClaimCheckStore } from '../../shared/adapters/s3/s3-claim-check-store';
import type { AuditRecord, RequestContext } from '../../shared/audit/audit-record';
import { auditBySystem } from '../../shared/audit/audit-record';
import { makeCreateRole } from '../../shared/authz/manage-access';
import { makeRoleGuard } from '../../shared/authz/role-guard';
import { makeCreateConnection } from '../../shared/connectors/create-connection';
import { ConflictError } from '../../shared/errors';
import { makeStoreRawDelivery } from '../../shared/events/raw-delivery';
import { makeCreateApiKey } from '../../shared/identity/create-api-key';
import { newId } from '../../shared/ids';
import { PROVIDERS } from '../../shared/providers';
import type { Mapping } from '../../shared/sync/mapping';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { makeDeleteOrg, makePurgeDeletedOrgs, makeRestoreOrg } from '../../shared/tenancy/delete-org';
import { makeInviteUser } from '../../shared/tenancy/manage-invitations';
import { makeCreateTeam, makeSetTeamMember } from '../../shared/tenancy/manage-teams';
import { makeProvisionUser } from '../../shared/tenancy/manage-users';
import { platformAdmin } from '../support/api-events';
import { aCanonicalEvent, aLink, aMapping } from '../support/builders';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
let s3Server: LocalS3;
let s3: S3Client;
/** The purge's S3 client signs as the purge function: the local S3 holds it to its declared access. */
let purgeS3: S3Client;
const s3Refusals: string[] = [];
beforeAll(async () => {
  aws = await startLocalAws({ own: true });
  s3Server = await startLocalS3({
    dataDir: aws.dir,
    buckets: [LOCAL_CLAIMS_BUCKET],
    iam: new LocalIam(localCredentials.accessKeyId, (reason) => s3Refusals.push(reason)),
  });
  const s3Options = { endpoint: s3Server.endpoint, region: localNames.region, forcePathStyle: true };
  s3 = new S3Client({ ...s3Options, credentials: localCredentials });
  purgeS3 = new S3Client({ ...s3Options, credentials: functionCredentials('purgeDeletedOrgs') });
});
afterAll(async () => {
  s3?.destroy();
  purgeS3?.destroy();
  await s3Server?.stop();
  await aws?.stop();
});

/** The keys the bucket holds under the org's prefix: the test's own listing, not the code's. */
async function claimKeysOf(orgId: string) {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_CLAIMS_BUCKET, Prefix: `T#${orgId}/` }));
  return (out.Contents ?? []).map((o) => String(o.Key));
}

const request: RequestContext = { requestId: 'req-purge', ip: '127.0.0.1', userAgent: 'jest' };
const clock = { now: () => new Date() };
const cipher = { encrypt: async (p: string) => `enc:${p}`, decrypt: async (c: string) => c.slice(4) };
const system = (orgId: string, action: string): AuditRecord =>
  auditBySystem({ action, actor: 'test', orgId, targets: [], requestId: 'r', at: new Date() });

/** An org with one of every kind of item the hub keeps, each made by its own store or use case. */
async function anOrgWithEverything(slug: string) {
  const { docs, tables } = aws;
  const orgs = new DynamoDbOrgStore(docs, tables);
  const access = new DynamoDbAccessStore(docs, tables);
  const mayGrant = makeRoleGuard(access);
  const users = new DynamoDbUserStore(docs, tables);
  const teams = new DynamoDbTeamStore(docs, tables);
  const connections = new DynamoDbConnectionStore(docs, tables);
  const sync = new DynamoDbSyncStore(docs, tables);
  const org = await makeCreateOrg({ orgs, clock })({ name: slug, slug }, platformAdmin, request);
  const orgId = org.id;
  await makeCreateApiKey({ orgs, keys: new DynamoDbApiKeyStore(docs, tables), clock, mayGrant })(
    orgId,
    { name: 'ci', role: 'member' },
    platformAdmin,
    request,
  );
  const user = await makeProvisionUser({ orgs, users, clock, mayGrant })(
    orgId,
    { email: `ann@${slug}.test`, name: 'Ann' },
    platformAdmin,
    request,
  );
  // A passkey, and its platform lookup by credential id (which names the org).
  await new DynamoDbPasskeyStore(docs, tables).add(
    {
      id: newId('pkey'),
      orgId,
      userId: user.id,
      credentialId: `cred-${slug}`,
      publicKey: 'pQECAyYgASFYIA',
      counter: 0,
      transports: ['internal'],
      name: 'Laptop',
      backedUp: false,
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
    },
    system(orgId, 'mfa.passkey_added'),
    10,
  );
  const team = await makeCreateTeam({ orgs, teams, clock })(orgId, { name: 'Web' }, platformAdmin, request);
  await makeSetTeamMember({ teams, users, clock })(orgId, team.id, user.id, 'member', platformAdmin, request);
  await makeInviteUser({
    orgs,
    invitations: new DynamoDbInvitationStore(docs, tables),
    cipher,
    clock,
    mayGrant,
  })(orgId, { email: `bob@${slug}.test` }, platformAdmin, request);
  // Custom roles and policies are one item of the org's (ACCESS).
  await makeCreateRole({ access, clock })(
    orgId,
    { name: 'Trail reader', permissions: ['audit:read'] },
    platformAdmin,
    request,
  );
  const tracker = await makeCreateConnection({ orgs, connections, cipher, clock, providers: PROVIDERS })(
    orgId,
    { provider: 'generic', name: 'Tracker' },
    platformAdmin,
    request,
  );
  const codeHost = await makeCreateConnection({ orgs, connections, cipher, clock, providers: PROVIDERS })(
    orgId,
    { provider: 'github', name: 'GitHub' },
    platformAdmin,
    request,
  );
  const input = aMapping({
    tracker: { connectionId: tracker.connection.id, project: 'WEB' },
    codeHost: { connectionId: codeHost.connection.id, repository: 'acme/web' },
  });
  const mapping: Mapping = { ...input, id: newId('map'), orgId };
  await sync.createMapping(mapping, system(orgId, 'mapping.created'), { resource: 'mappings', limit: 100 });
  const link = aLink({ orgId, mappingId: mapping.id });
  await sync.createLink(link, ['item#a', 'item#b']);
  await sync.recordSync(orgId, tracker.connection.id, { at: new Date(), lagMs: 5 });
  await sync.createJob({
    id: newId('job'),
    orgId,
    mappingId: mapping.id,
    kind: 'backfill',
    status: 'running',
    since: new Date(0).toISOString(),
    until: new Date().toISOString(),
    checkpoint: 'tracker:',
    total: null,
    processed: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    pages: 0,
    lastError: null,
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    finishedAt: null,
    etaSeconds: null,
  });
  await new DynamoDbLockStore(docs, tables.domainTable).acquire(orgId, 'jira-refresh', 'me', 60_000);
  const usage = new DynamoDbUsageStore(docs, tables.domainTable);
  await usage.consumeRate(orgId, { name: 'api', limit: 100, windowSeconds: 60 }, new Date());
  await usage.meter(orgId, 'webhookEvents', new Date());
  await usage.saveHour(orgId, new Date(), { apiRequests: 0, webhookEvents: 1 });
  for (let n = 0; n < 120; n += 1)
    await new DynamoDbEventStore(docs, tables.domainTable).put(aCanonicalEvent({ tenantId: orgId }));
  // Events too large for the bus, stored whole in the claim-check bucket by the publisher's adapter.
  const claims = new S3ClaimCheckStore(s3, LOCAL_CLAIMS_BUCKET);
  for (let n = 0; n < 3; n += 1) {
    const big = aCanonicalEvent({ tenantId: orgId });
    await claims.put(orgId, `events/${big.id}.json`, JSON.stringify({ ...big, body: 'x'.repeat(300_000) }));
  }
  // Raw webhook deliveries, kept by the endpoint for debugging and replays.
  const storeRaw = makeStoreRawDelivery(claims);
  for (const n of [1, 2]) await storeRaw(orgId, codeHost.connection.id, `{"delivery":${n}}`);
  await new DynamoDbDeadLetterStore(docs, tables.domainTable).park({
    id: newId('dlq'),
    orgId,
    queue: 'sync',
    reason: 'ValidationError: no key',
    attempts: 1,
    eventId: null,
    eventType: null,
    parkedAt: new Date().toISOString(),
    body: '{"secret":"whole event body"}',
  });
  return { org, orgs, webhookConnections: [tracker.connection.id, codeHost.connection.id] };
}

/** Every item of the table, read whole: the test's own view, not the code's. */
async function everything(table: string) {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await aws.docs.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The items of the org: under its partitions, or platform pointers that name it anywhere in them. */
const ofOrg = (items: Record<string, unknown>[], orgId: string) =>
  items.filter((i) => String(i.PK).startsWith(`T#${orgId}#`) || JSON.stringify(i).includes(orgId));

describe('purging a deleted organisation', () => {
  it('removes every item and platform pointer of the org in bounded, resumable runs, leaving only its audit trail and the record of what went', async () => {
    const { org, orgs } = await anOrgWithEverything('doomed-co');
    const bystander = await anOrgWithEverything('bystander-co');
    const before = ofOrg(await everything(aws.tables.domainTable), org.id);
    // T#<org>#<collection> for the org's partitions, P#<kind> for the platform pointers that name it.
    const kinds = new Set(
      before.map((i) =>
        String(i.PK)
          .split('#')
          .slice(0, String(i.PK).startsWith('T#') ? 3 : 2)
          .join('#')
          .replace(org.id, '<org>'),
      ),
    );
    // One of every kind: each tenant collection and each kind of platform pointer is there to purge.
    expect([...kinds].sort()).toEqual(
      [
        ...[
          'ORG',
          'APIKEY',
          'CON',
          'EVT',
          'USAGE',
          'METER',
          'USER',
          'USEREMAIL',
          'TEAM',
          'TEAMTREE',
          'ACCESS',
        ],
        ...['DEADLETTER', 'TEAMMEMBER', 'USERTEAM', 'INVITE', 'INVITEMAIL', 'SYNCMAP', 'LINK', 'LINKKEY'],
        ...['SYNCSTAT', 'SYNCJOB', 'LOCK', 'PASSKEY'],
      ]
        .map((c) => `T#<org>#${c}`)
        .concat(['SLUG', 'ORGS', 'WEBHOOK', 'APIKEY', 'INVITE', 'SYNCMAP', 'PASSKEY'].map((p) => `P#${p}`))
        .sort(),
    );
    expect(await claimKeysOf(org.id)).toHaveLength(5);
    expect((await claimKeysOf(org.id)).filter((k) => k.startsWith(`T#${org.id}/raw/`))).toHaveLength(2);

    await makeDeleteOrg({ orgs, clock })(org.id, 0, platformAdmin, request);
    const purge = makePurgeDeletedOrgs({
      orgs,
      purger: new DynamoDbOrgPurger(
        aws.docs,
        aws.tables.domainTable,
        new S3ClaimCheckStore(purgeS3, LOCAL_CLAIMS_BUCKET),
      ),
      clock,
    });
    // The first run is out of time after a few pages (120 events take two): it notes how far it got.
    let checks = 0;
    const first = await purge(() => ++checks > 20);
    expect(first.find((r) => r.orgId === org.id)).toMatchObject({ done: false });
    // Once begun, the org cannot come back half empty.
    await expect(makeRestoreOrg({ orgs, clock })(org.id, platformAdmin, request)).rejects.toBeInstanceOf(
      ConflictError,
    );
    const second = await purge();
    const report = second.find((r) => r.orgId === org.id);
    expect(report).toMatchObject({ done: true });
    expect(report?.removed).toEqual({
      org: 1,
      orgDirectory: 1,
      slugClaims: 1,
      apiKeys: 1,
      apiKeyHashes: 1,
      connections: 2,
      webhookRoutes: 2,
      events: 120,
      usage: 3,
      meter: 1,
      users: 1,
      userEmails: 1,
      teams: 1,
      teamTree: 1,
      teamMembers: 1,
      userTeams: 1,
      access: 1,
      deadLetters: 1,
      invitations: 1,
      invitationMail: 1,
      invitationTokens: 1,
      syncMappings: 1,
      syncDirectory: 1,
      links: 1,
      linkKeys: 2,
      syncStats: 1,
      syncJobs: 1,
      locks: 1,
      // The passkey and its user's count; its lookup by credential id.
      passkeys: 2,
      passkeyLookups: 1,
      claimObjects: 5,
    });

    // Nothing of the org is left in the domain table: no partition, no pointer naming it.
    const domain = await everything(aws.tables.domainTable);
    expect(ofOrg(domain, org.id)).toEqual([]);
    // The other org is untouched.
    expect(ofOrg(domain, bystander.org.id).length).toBe(before.length);
    // No claim-checked event body of the org is left in the bucket; the other org's stay.
    expect(await claimKeysOf(org.id)).toEqual([]);
    expect(await claimKeysOf(bystander.org.id)).toHaveLength(5);
    expect(s3Refusals).toEqual([]);
    // Its audit trail stays, with one record of what the purge removed.
    const trail = await aws.docs.send(
      new QueryCommand({
        TableName: aws.tables.auditTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `T#${org.id}#AUDIT` },
      }),
    );
    const purged = (trail.Items ?? []).filter((i) => i.action === 'org.purged');
    expect(purged).toHaveLength(1);
    expect(purged[0]?.after).toEqual({ removed: report?.removed });
    expect((trail.Items ?? []).map((i) => i.action)).toEqual(
      expect.arrayContaining(['org.created', 'org.deleted']),
    );
    expect(
      ofOrg(await everything(aws.tables.auditTable), org.id).every((i) => i.PK === `T#${org.id}#AUDIT`),
    ).toBe(true);
    // A run after the end finds nothing more to do for it.
    expect((await purge()).map((r) => r.orgId)).not.toContain(org.id);
  });
});
