import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { AwsCallCounter, countingProxy } from '../../lib/local/aws-calls';
import type { AwsEmulator } from '../../lib/local/aws-emulator';
import { startAwsEmulator } from '../../lib/local/aws-emulator';
import { startDataGateway } from '../../lib/local/data-gateway';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { functionCredentials, LocalIam } from '../../lib/local/local-iam';
import { LocalKms } from '../../lib/local/local-kms';
import { localNames } from '../../lib/local/local-names';
import { ensureQueues } from '../../lib/local/sqs-local';
import { tenantRoutedClient } from '../../shared/adapters/dynamodb/document-client';
import type { FunctionName } from '../../shared/topology';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

/**
 * IAM on one machine: a function's own credentials reach only what its declared access in the
 * topology allows, refused otherwise with AccessDeniedException as the AWS SDK raises it in AWS.
 */
let aws: LocalAws;
let emulator: AwsEmulator;
let gateway: Awaited<ReturnType<typeof startDataGateway>>;
let sqsProxy: Awaited<ReturnType<typeof countingProxy>>;
let queueUrl: string;
const iam = new LocalIam(localCredentials.accessKeyId);
const A = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA';
const B = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EB';
const table = localNames.table('domain');
const region = localNames.region;

beforeAll(async () => {
  aws = await startLocalAws({ own: true });
  const queues = await ensureQueues(aws.sqs);
  queueUrl = queues.sync.url;
  emulator = await startAwsEmulator({
    sqs: aws.sqs,
    queueUrls: Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.url])) as never,
    kms: new LocalKms(aws.dir),
    sessions: iam.sessions,
    iam,
  });
  gateway = await startDataGateway({ dynamodbEndpoint: aws.endpoints.dynamodb, iam });
  sqsProxy = await countingProxy(aws.endpoints.sqs, 'SQS', new AwsCallCounter(), iam);
});
afterAll(async () => {
  await sqsProxy?.stop();
  await gateway?.stop();
  await emulator?.stop();
  await aws?.stop();
});

const as = (name: FunctionName) => ({ region, credentials: functionCredentials(name) });
const kms = (name: FunctionName) => new KMSClient({ ...as(name), endpoint: emulator.endpoint });
const denied = { name: 'AccessDeniedException' };
const encrypt = (name: FunctionName) =>
  kms(name).send(new EncryptCommand({ KeyId: localNames.secretsKey, Plaintext: Buffer.from('secret') }));
const ownData = (name: FunctionName) =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ ...as(name), endpoint: gateway.endpoint }));
/** The function's data client as its stores use it: tenant items in a tenant session it assumes. */
const routed = (name: FunctionName) =>
  tenantRoutedClient({
    roleArn: localNames.tenantRoleArn,
    platform: ownData(name),
    clientConfig: { ...as(name), endpoint: gateway.endpoint },
    stsConfig: { ...as(name), endpoint: emulator.endpoint },
  });

describe('each function reaches only what its declared access allows', () => {
  it('refuses KMS Encrypt to a function granted only Decrypt, and lets it decrypt', async () => {
    await expect(encrypt('receiveWebhook')).rejects.toMatchObject(denied);
    const sealed = await new KMSClient({
      region,
      credentials: localCredentials,
      endpoint: emulator.endpoint,
    }).send(new EncryptCommand({ KeyId: localNames.secretsKey, Plaintext: Buffer.from('secret') }));
    const out = await kms('receiveWebhook').send(
      new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob }),
    );
    expect(Buffer.from(out.Plaintext ?? []).toString()).toBe('secret');
  });

  it('lets testConnection encrypt, as refreshing a Jira OAuth token stores the new one encrypted', async () => {
    await expect(encrypt('testConnection')).resolves.toMatchObject({ CiphertextBlob: expect.anything() });
  });

  it('refuses PutEvents to a function without event-bus:put, and accepts it from one with it', async () => {
    const put = (name: FunctionName) =>
      new EventBridgeClient({ ...as(name), endpoint: emulator.endpoint }).send(
        new PutEventsCommand({
          Entries: [
            { EventBusName: localNames.eventBus, Source: 'test.iam', DetailType: 'probe', Detail: '{}' },
          ],
        }),
      );
    await expect(put('storeEvent')).rejects.toMatchObject(denied);
    await expect(put('receiveWebhook')).resolves.toMatchObject({ FailedEntryCount: 0 });
  });

  it("refuses PutEvents on the account's default bus to every function: their grant names the hub's bus only", async () => {
    const put = (name: FunctionName, bus?: string) =>
      new EventBridgeClient({ ...as(name), endpoint: emulator.endpoint }).send(
        new PutEventsCommand({
          Entries: [
            {
              ...(bus ? { EventBusName: bus } : {}),
              Source: 'aws.ses',
              DetailType: 'Email Bounced',
              Detail: '{}',
            },
          ],
        }),
      );
    await expect(put('receiveWebhook')).rejects.toMatchObject(denied);
    await expect(put('receiveWebhook', 'default')).rejects.toMatchObject(denied);
    await expect(put('receiveWebhook', localNames.eventBus)).resolves.toMatchObject({ FailedEntryCount: 0 });
  });

  it('refuses SendMessage to a function without queues:send, and accepts it from one with it', async () => {
    const send = (name: FunctionName) =>
      new SQSClient({ ...as(name), endpoint: sqsProxy.endpoint }).send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}' }),
      );
    await expect(send('storeEvent')).rejects.toMatchObject(denied);
    await expect(send('manageDeadLetters')).resolves.toMatchObject({ MessageId: expect.any(String) });
  });

  it("refuses a write to a function with read-only access to the tenant's items, and lets it read them", async () => {
    const item = { PK: `T#${A}#ORG`, SK: 'PROFILE', name: 'a' };
    await routed('createOrg').send(new PutCommand({ TableName: table, Item: item }));
    const reader = routed('getOrg');
    await expect(
      reader.send(new GetCommand({ TableName: table, Key: { PK: item.PK, SK: item.SK } })),
    ).resolves.toMatchObject({ Item: item });
    await expect(
      reader.send(new PutCommand({ TableName: table, Item: { ...item, name: 'x' } })),
    ).rejects.toMatchObject(denied);
  });

  it("still refuses a tenant session another tenant's keys, whichever function assumed it", async () => {
    const session = routed('createOrg').clientFor(A);
    await expect(
      session.send(new PutCommand({ TableName: table, Item: { PK: `T#${B}#ORG`, SK: 'PROFILE' } })),
    ).rejects.toMatchObject(denied);
    expect([...iam.sessions.values()].some((s) => s.tenant === A && s.assumedBy === 'createOrg')).toBe(true);
  });

  it('lets a function write only the platform pointer types it is declared to write', async () => {
    const adminKeyRecord = {
      PK: 'P#APIKEY#forged',
      SK: 'GRANT',
      grant: { scope: 'platform', keyId: 'key_x' },
    };
    await expect(
      ownData('receiveWebhook').send(new PutCommand({ TableName: table, Item: adminKeyRecord })),
    ).rejects.toMatchObject(denied);
    await expect(
      ownData('createApiKey').send(
        new PutCommand({ TableName: table, Item: { PK: 'P#APIKEY#h1', SK: 'GRANT' } }),
      ),
    ).resolves.toBeDefined();
    await expect(
      ownData('createApiKey').send(
        new PutCommand({ TableName: table, Item: { PK: 'P#WEBHOOK#con_1', SK: 'ROUTE' } }),
      ),
    ).rejects.toMatchObject(denied);
    await expect(
      ownData('createApiKey').send(
        new PutCommand({ TableName: table, Item: { PK: 'P#PLATFORMKEY#h2', SK: 'GRANT' } }),
      ),
    ).rejects.toMatchObject(denied);
    // Its own role never reaches a tenant's items: those go through a tenant session.
    await expect(
      ownData('createApiKey').send(
        new GetCommand({ TableName: table, Key: { PK: `T#${A}#ORG`, SK: 'PROFILE' } }),
      ),
    ).rejects.toMatchObject(denied);
  });

  it('refuses the tenant data role to a function that declares no tenant data', async () => {
    await expect(
      routed('publishChanges').send(
        new GetCommand({ TableName: table, Key: { PK: `T#${A}#ORG`, SK: 'PROFILE' } }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it("leaves the runtime's own credentials (pollers, bootstrap) unrestricted", async () => {
    const runtime = DynamoDBDocumentClient.from(
      new DynamoDBClient({ region, credentials: localCredentials, endpoint: gateway.endpoint }),
    );
    await expect(
      runtime.send(new PutCommand({ TableName: table, Item: { PK: 'P#PLATFORMKEY#boot', SK: 'GRANT' } })),
    ).resolves.toBeDefined();
  });
});
