import { createServer } from 'node:http';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { listenOnLoopback } from '../../lib/local/free-port';
import { DynamoDbConnectionStore } from '../../shared/adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbLockStore } from '../../shared/adapters/dynamodb/dynamodb-lock-store';
import { DynamoDbSyncStore } from '../../shared/adapters/dynamodb/dynamodb-sync-store';
import type { AuditRecord } from '../../shared/audit/audit-record';
import { makeJiraTokenSource } from '../../shared/connectors/jira/oauth';
import { credentialsContext } from '../../shared/connectors/manage-connections';
import { ProviderAuthError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { SecretCipher } from '../../shared/ports/secret-cipher';
import type { SyncJob } from '../../shared/sync/jobs';
import { aLink } from '../support/builders';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

const clock = { now: () => new Date() };
/** Binds a ciphertext to its context, as KMS does, without KMS. */
const cipher: SecretCipher = {
  encrypt: async (plain, context) => Buffer.from(JSON.stringify({ plain, context })).toString('base64'),
  decrypt: async (cipherText, context) => {
    const { plain, context: bound } = JSON.parse(Buffer.from(cipherText, 'base64').toString('utf8'));
    if (JSON.stringify(bound) !== JSON.stringify(context)) throw new Error('wrong context');
    return plain;
  },
};

describe('sync stores against DynamoDB Local', () => {
  it('lets one worker claim an item, saves a link only at the revision it read, and advances a job once per checkpoint', async () => {
    const store = new DynamoDbSyncStore(aws.docs, aws.tables);
    const orgId = newId('org');
    expect(await store.claimItem(orgId, 'item#c#1', 'evt_a', 60)).toEqual({ counterpart: null });
    expect(await store.claimItem(orgId, 'item#c#1', 'evt_b', 60)).toBeNull();
    // The counterpart made under the claim is recorded: the same message, delivered again after a
    // crash, gets it back instead of making another.
    const counterpart = {
      ref: { id: 'a/b#1', key: 'a/b#1', url: 'https://gh.test/a/b/issues/1' },
      status: 'open',
    };
    await store.recordCounterpart(orgId, 'item#c#1', 'evt_a', counterpart);
    await expect(store.recordCounterpart(orgId, 'item#c#1', 'evt_b', counterpart)).rejects.toThrow(
      /taken over/,
    );
    expect(await store.claimItem(orgId, 'item#c#1', 'evt_a', 60)).toEqual({ counterpart });
    expect(await store.claimItem(orgId, 'item#c#1', 'evt_b', 60)).toBeNull();
    // A claim whose holder died (expired) passes to the next message, with what it recorded.
    expect(await store.claimItem(orgId, 'item#c#1', 'evt_a', -1)).toEqual({ counterpart });
    expect(await store.claimItem(orgId, 'item#c#1', 'evt_c', 60)).toEqual({ counterpart });
    const link = aLink({ orgId });
    await store.createLink(link, ['item#c#1', 'item#g#a/b#1']);
    expect(await store.findLinkId(orgId, 'item#g#a/b#1')).toBe(link.id);
    expect(await store.claimItem(orgId, 'item#c#1', 'evt_c', 60)).toBeNull();

    expect(await store.saveLink({ ...link, revision: 2, branch: 'one' }, 1)).toBe(true);
    expect(await store.saveLink({ ...link, revision: 2, branch: 'two' }, 1)).toBe(false);
    expect((await store.getLink(orgId, link.id))?.branch).toBe('one');

    const job: SyncJob = {
      id: newId('job'),
      orgId,
      mappingId: 'map_x',
      kind: 'backfill',
      status: 'running',
      since: new Date(0).toISOString(),
      until: new Date().toISOString(),
      checkpoint: 'jira:',
      total: 10,
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
    };
    await store.createJob(job);
    const page = { processed: 4, created: 3, updated: 1, unchanged: 0, failed: 0, pages: 1 };
    const results = await Promise.all([
      store.advanceJob(job, 'jira:', 'jira:2', page, { etaSeconds: 5 }),
      store.advanceJob(job, 'jira:', 'jira:2', page, { etaSeconds: 5 }),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await store.latestJob(orgId, 'map_x', 'backfill')).toMatchObject({
      checkpoint: 'jira:2',
      processed: 4,
      created: 3,
      pages: 1,
      etaSeconds: 5,
    });
  });

  it('refreshes a Jira OAuth token once across concurrent workers, and keeps the rotated refresh token', async () => {
    const orgId = newId('org');
    const connectionId = newId('con');
    let refreshes = 0;
    let valid = 'refresh-1';
    const endpoint = await listenOnLoopback(
      createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        await new Promise((r) => setTimeout(r, 50));
        if (body.refresh_token !== valid) {
          res.writeHead(403, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ error: 'invalid_grant' }));
        }
        refreshes += 1;
        // Atlassian rotates the refresh token: the one just used stops working.
        valid = `refresh-${refreshes + 1}`;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ access_token: `access-${refreshes}`, refresh_token: valid, expires_in: 3600 }),
        );
      }),
    );
    const connections = new DynamoDbConnectionStore(aws.docs, aws.tables);
    const site = 'https://acme.atlassian.net';
    const context = credentialsContext(orgId, connectionId, site);
    await aws.docs.send(
      new PutCommand({
        TableName: aws.tables.domainTable,
        Item: {
          PK: `T#${orgId}#CON`,
          SK: connectionId,
          id: connectionId,
          orgId,
          provider: 'jira',
          name: 'Jira',
          status: 'active',
          config: { baseUrl: site },
          webhookUrl: `/webhooks/jira/${connectionId}`,
          createdAt: new Date().toISOString(),
          encryptedCredentials: await cipher.encrypt(
            JSON.stringify({
              kind: 'jira_oauth',
              clientId: 'client',
              clientSecret: 'secret',
              refreshToken: 'refresh-1',
              tokenUrl: `${endpoint.endpoint}/oauth/token`,
            }),
            context,
          ),
        },
      }),
    );
    const locks = new DynamoDbLockStore(aws.docs, aws.tables.domainTable);
    // Two execution environments, each with its own in-memory state, sharing the store and the lock.
    const audited: AuditRecord[] = [];
    const audit = { append: async (r: AuditRecord) => void audited.push(r) };
    const workers = [1, 2].map(() => makeJiraTokenSource({ connections, cipher, locks, audit, clock }));
    const tokens = await Promise.all(
      Array.from({ length: 12 }, (_, n) => workers[n % 2]?.token(orgId, connectionId, site)),
    );
    expect(new Set(tokens)).toEqual(new Set(['access-1']));
    expect(refreshes).toBe(1);
    const stored = JSON.parse(
      await cipher.decrypt((await connections.encryptedCredentials(orgId, connectionId)) ?? '', context),
    );
    expect(stored).toMatchObject({ refreshToken: 'refresh-2', accessToken: 'access-1' });
    expect(audited.map((r) => r.action)).toEqual(['connection.oauth_refreshed']);
    expect(JSON.stringify(audited)).not.toContain('refresh-2');

    // A revoked grant is the connection's problem, not a retry: ProviderAuthError.
    valid = 'revoked';
    const later = makeJiraTokenSource({
      connections,
      cipher,
      locks,
      audit,
      clock: { now: () => new Date(Date.now() + 2 * 3600_000) },
    });
    await expect(later.token(orgId, connectionId, site)).rejects.toBeInstanceOf(ProviderAuthError);
    await endpoint.stop();
  });
});
