import {
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AwsEmulator, TenantSession } from '../../lib/local/aws-emulator';
import { startAwsEmulator } from '../../lib/local/aws-emulator';
import { startDataGateway } from '../../lib/local/data-gateway';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { LocalKms } from '../../lib/local/local-kms';
import { localNames } from '../../lib/local/local-names';
import { ensureQueues } from '../../lib/local/sqs-local';
import { tenantRoutedClient } from '../../shared/adapters/dynamodb/document-client';
import type { TenantRoutingClient } from '../../shared/adapters/dynamodb/tenant-routing-client';
import { ForbiddenError } from '../../shared/errors';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

/**
 * The tenant data role at work on one machine: each tenant's requests go out in a session the
 * local STS issued with the tenant's tag, and the data gateway holds every such request to the
 * role's LeadingKeys policy, as IAM does in AWS.
 */
let aws: LocalAws;
let emulator: AwsEmulator;
let gateway: Awaited<ReturnType<typeof startDataGateway>>;
let routed: TenantRoutingClient;
const sessions = new Map<string, TenantSession>();
const A = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA';
const B = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EB';
const table = localNames.table('domain');

beforeAll(async () => {
  aws = await startLocalAws({ own: true });
  const queues = await ensureQueues(aws.sqs);
  emulator = await startAwsEmulator({
    sqs: aws.sqs,
    queueUrls: Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.url])) as never,
    kms: new LocalKms(aws.dir),
    sessions,
  });
  gateway = await startDataGateway({ dynamodbEndpoint: aws.endpoints.dynamodb, sessions });
  const config = { region: localNames.region, credentials: localCredentials };
  routed = tenantRoutedClient({
    roleArn: localNames.tenantRoleArn,
    platform: aws.docs,
    clientConfig: { ...config, endpoint: gateway.endpoint },
    stsConfig: { ...config, endpoint: emulator.endpoint },
  });
  await aws.docs.send(
    new PutCommand({ TableName: table, Item: { PK: `T#${B}#ORG`, SK: 'PROFILE', secret: 'b' } }),
  );
});
afterAll(async () => {
  await gateway?.stop();
  await emulator?.stop();
  await aws?.stop();
});

describe('tenant sessions of the tenant data role', () => {
  it("routes a tenant's requests through its own tagged session, and platform items through the function", async () => {
    await routed.send(
      new PutCommand({ TableName: table, Item: { PK: `T#${A}#ORG`, SK: 'PROFILE', name: 'a' } }),
    );
    const read = await routed.send(
      new GetCommand({ TableName: table, Key: { PK: `T#${A}#ORG`, SK: 'PROFILE' } }),
    );
    expect(read.Item?.name).toBe('a');
    expect([...sessions.values()].map((s) => s.tenant)).toEqual([A]);
    // A platform pointer written with the tenant's change, in one transaction, in the tenant session.
    await routed.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { PK: `T#${A}#APIKEY`, SK: 'key_1' } } },
          { Put: { TableName: table, Item: { PK: 'P#APIKEY#hash-1', SK: 'GRANT', orgId: A } } },
        ],
      }),
    );
    const pointer = await routed.send(
      new GetCommand({ TableName: table, Key: { PK: 'P#APIKEY#hash-1', SK: 'GRANT' } }),
    );
    expect(pointer.Item?.orgId).toBe(A);
    expect(sessions.size).toBe(1);
  });

  it('refuses, as IAM would, a tenant session reaching another tenant, a platform read, or a scan', async () => {
    const asA = routed.clientFor(A);
    await expect(
      asA.send(new GetCommand({ TableName: table, Key: { PK: `T#${B}#ORG`, SK: 'PROFILE' } })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(
      asA.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': `T#${B}#ORG` },
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(
      asA.send(new GetCommand({ TableName: table, Key: { PK: 'P#APIKEY#hash-1', SK: 'GRANT' } })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(asA.send(new ScanCommand({ TableName: table }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    const b = await aws.docs.send(
      new GetCommand({ TableName: table, Key: { PK: `T#${B}#ORG`, SK: 'PROFILE' } }),
    );
    expect(b.Item?.secret).toBe('b');
  });

  it('refuses a request that spans two tenants before it leaves the function', async () => {
    await expect(
      routed.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { PK: `T#${A}#X`, SK: '1' } } },
            { Put: { TableName: table, Item: { PK: `T#${B}#X`, SK: '1' } } },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });
});
