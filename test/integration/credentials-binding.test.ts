import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:http';
import { KMSClient } from '@aws-sdk/client-kms';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsEmulator } from '../../lib/local/aws-emulator';
import { startAwsEmulator } from '../../lib/local/aws-emulator';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { listenOnLoopback } from '../../lib/local/free-port';
import { LocalKms } from '../../lib/local/local-kms';
import { localNames } from '../../lib/local/local-names';
import { ensureQueues } from '../../lib/local/sqs-local';
import { DynamoDbConnectionStore } from '../../shared/adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import { KmsSecretCipher } from '../../shared/adapters/kms/kms-secret-cipher';
import type { RequestContext } from '../../shared/audit/audit-record';
import { makeCreateConnection } from '../../shared/connectors/create-connection';
import {
  CREDENTIALS_FOR_ANOTHER_SERVER,
  credentialsContext,
  makeSetConnectionCredentials,
  makeTestConnection,
} from '../../shared/connectors/manage-connections';
import { ProviderAuthError } from '../../shared/errors';
import { UndecryptableSecretError } from '../../shared/ports/secret-cipher';
import { PROVIDERS } from '../../shared/providers';
import { makeSyncProviders } from '../../shared/sync/providers';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { platformAdmin } from '../support/api-events';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
let emulator: AwsEmulator;
let cipher: KmsSecretCipher;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  aws = await startLocalAws();
  const queues = await ensureQueues(aws.sqs);
  emulator = await startAwsEmulator({
    sqs: aws.sqs,
    queueUrls: {
      events: queues.events.url,
      mail: queues.mail.url,
      sync: queues.sync.url,
      reconcile: queues.reconcile.url,
      notify: queues.notify.url,
      deliveries: queues.deliveries.url,
      mailFeedback: queues.mailFeedback.url,
      realtime: queues.realtime.url,
      chat: queues.chat.url,
    },
    kms: new LocalKms(aws.dir),
  });
  cipher = new KmsSecretCipher(
    new KMSClient({ endpoint: emulator.endpoint, region: localNames.region, credentials: localCredentials }),
    localNames.secretsKey,
  );
});
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await emulator?.stop();
  await aws?.stop();
});

const request: RequestContext = { requestId: 'r', ip: '127.0.0.1', userAgent: 'jest' };
const clock = { now: () => new Date() };

/** A loopback Jira that records the Authorization of every request and answers as `/myself` does. */
async function recordingSite() {
  const seen: (string | undefined)[] = [];
  const server = await listenOnLoopback(
    createServer((req: IncomingMessage, res) => {
      seen.push(req.headers.authorization);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accountId: 'bot', displayName: 'Bot' }));
    }),
  );
  stops.push(server.stop);
  return { url: server.endpoint, seen };
}

describe('credentials are encrypted for the server they were entered for', () => {
  it('do not decrypt under another server in the encryption context (KMS checks it as AAD)', async () => {
    const sealed = await cipher.encrypt(
      JSON.stringify({ kind: 'jira_api_token', email: 'bot@acme.test', apiToken: 'token-for-a' }),
      credentialsContext('org_01A', 'con_01A', 'https://a.atlassian.net'),
    );
    await expect(
      cipher.decrypt(sealed, credentialsContext('org_01A', 'con_01A', 'https://a.atlassian.net')),
    ).resolves.toContain('token-for-a');
    await expect(
      cipher.decrypt(sealed, credentialsContext('org_01A', 'con_01A', 'https://b.atlassian.net')),
    ).rejects.toBeInstanceOf(UndecryptableSecretError);
  });

  it('are sent nowhere when the connection read says another server than they were entered for', async () => {
    const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
    const connections = new DynamoDbConnectionStore(aws.docs, aws.tables);
    const a = await recordingSite();
    const b = await recordingSite();
    const org = await makeCreateOrg({ orgs, clock })(
      { name: 'Bind', slug: 'bind-it' },
      platformAdmin,
      request,
    );
    const { connection } = await makeCreateConnection({
      orgs,
      connections,
      cipher,
      clock,
      providers: PROVIDERS,
    })(org.id, { provider: 'jira', name: 'Jira', config: { baseUrl: a.url } }, platformAdmin, request);
    await makeSetConnectionCredentials({ connections, clock, cipher, providers: PROVIDERS })(
      org.id,
      connection.id,
      { kind: 'jira_api_token', email: 'bot@acme.test', apiToken: 'token-for-a' },
      platformAdmin,
      request,
    );
    const testConnection = makeTestConnection({
      connections,
      clock,
      cipher,
      audit: { append: async () => {} },
      probes: PROVIDERS.probes({}),
    });
    // They work for the server they were entered for.
    expect(await testConnection(org.id, connection.id, platformAdmin, request)).toMatchObject({ ok: true });
    expect(a.seen).toEqual([expect.stringMatching(/^Basic /)]);

    // What a read racing a PATCH of the base URL could pair: the new server with the old credentials.
    await aws.docs.send(
      new UpdateCommand({
        TableName: aws.tables.domainTable,
        Key: { PK: `T#${org.id}#CON`, SK: connection.id },
        UpdateExpression: 'SET config = :config',
        ExpressionAttributeValues: { ':config': { baseUrl: b.url } },
      }),
    );

    const providers = makeSyncProviders({ connections, cipher, connectors: PROVIDERS.syncConnectors });
    await expect(
      providers.tracker(org.id, connection.id).then((side) => side.client.identity()),
    ).rejects.toBeInstanceOf(ProviderAuthError);

    const tested = await testConnection(org.id, connection.id, platformAdmin, request);
    expect(tested).toMatchObject({ ok: false, kind: 'ProviderAuthError' });
    expect(tested.connection).toMatchObject({
      status: 'needs_attention',
      lastError: { message: CREDENTIALS_FOR_ANOTHER_SERVER },
    });
    // Neither the new server nor any other got the token.
    expect(b.seen).toEqual([]);
    expect(a.seen).toHaveLength(1);
  });
});
