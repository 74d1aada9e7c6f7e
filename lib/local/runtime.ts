import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbApiKeyStore } from '../../shared/adapters/dynamodb/dynamodb-api-key-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import { DynamoDbPoolAccounts } from '../../shared/adapters/dynamodb/dynamodb-pool-accounts';
import { DynamoDbSignInGrants } from '../../shared/adapters/dynamodb/dynamodb-sign-in-grants';
import { DynamoDbUserStore } from '../../shared/adapters/dynamodb/dynamodb-user-store';
import { generateApiKey, hashApiKey } from '../../shared/identity/api-key-format';
import { makeTokenClaims } from '../../shared/identity/token-claims';
import { newId } from '../../shared/ids';
import type { FunctionName, QueueName, StreamName } from '../../shared/topology';
import { functions, queues, streams } from '../../shared/topology';
import { AwsCallCounter, countingProxy } from './aws-calls';
import { startAwsEmulator } from './aws-emulator';
import { ADMIN_KEY_FILE } from './data-files';
import { startDataGateway } from './data-gateway';
import {
  DEV_AUDIENCE,
  devIssuerKey,
  ISSUER_PATH,
  mintDevToken,
  publicJwks,
  verifyDevAccessToken,
} from './dev-issuer';
import { ensureTables, localCredentials, startDynamoDbLocal } from './dynamodb-local';
import { localFunctionEnvironment } from './function-environment';
import { describeFailure, FunctionHost } from './function-host';
import { HttpGateway } from './http-gateway';
import { clockEndpoints, LocalClock } from './local-clock';
import { LocalCognito } from './local-cognito';
import { dnsEndpoints, LocalDns } from './local-dns';
import { LocalIam } from './local-iam';
import { LocalKms } from './local-kms';
import { LocalMailbox, mailboxEndpoints } from './local-mailbox';
import { localNames } from './local-names';
import { poolEndpoints } from './local-pool-endpoints';
import { LOCAL_CLAIMS_BUCKET, startLocalS3 } from './local-s3';
import { scheduleEndpoints, startScheduler } from './scheduler';
import { seedChatApps } from './seed-chat-apps';
import { ensureQueues, ensureStreamDeadLetterQueues, startSqsLocal } from './sqs-local';
import type { Poller } from './sqs-poller';
import { startPoller } from './sqs-poller';
import { startStreamPoller } from './stream-poller';
import { LocalConnections, WebSocketGateway } from './websocket-gateway';

export interface LocalRuntimeOptions {
  readonly port: number;
  readonly dataDir: string;
  /** Repository root, where the handler modules are. */
  readonly root: string;
  readonly logLevel?: string;
  /** Run the queue pollers. Off leaves accepted work queued (to inspect queues, or to test durability). @default true */
  readonly workers?: boolean;
  /** Load every function before answering. Off starts faster; each function then loads on first use. @default true */
  readonly warm?: boolean;
  readonly log?: (line: string) => void;
}

export interface LocalRuntime {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Printed once, on the first start with an empty data dir. */
  readonly newAdminKey: string | null;
  /** Endpoints of the local servers, for tests and benchmarks that go below the API. */
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string; readonly aws: string };
  stop(): Promise<void>;
}

/**
 * Runs the whole hub on one machine: DynamoDB Local, an SQS-compatible server, the EventBridge
 * and KMS endpoints, the queue pollers and the HTTP API, all driving the same handler modules
 * that run in Lambda.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const dynamo = await startDynamoDbLocal(dataDir);
    stops.push(() => dynamo.stop());
    await ensureTables(dynamo.endpoint);
    log(`dynamodb  ${dynamo.endpoint} (data in ${join(dataDir, 'dynamodb')})`);

    const sqsServer = await startSqsLocal(dataDir);
    stops.push(() => sqsServer.stop());
    const sqs = new SQSClient({
      endpoint: sqsServer.endpoint,
      region: localNames.region,
      credentials: localCredentials,
    });
    const localQueues = await ensureQueues(sqs);
    const streamDeadLetterUrls = await ensureStreamDeadLetterQueues(sqs);
    log(`sqs       ${sqsServer.endpoint} (data in ${join(dataDir, 'sqs')})`);

    const queueUrls = Object.fromEntries(Object.entries(localQueues).map(([n, q]) => [n, q.url])) as Record<
      QueueName,
      string
    >;
    const mailbox = new LocalMailbox(dataDir);
    const clock = new LocalClock(dataDir);
    const dns = new LocalDns(dataDir);
    // Each function signs with its own credentials and is held to its declared access; the
    // runtime's own (pollers, stream poller, bootstrap, probes) are not restricted.
    // The local user pool signs SSO sign-ins in with the dev issuer's key (see `issuerKey` below).
    const issuerKey = await devIssuerKey(dataDir);
    const gatewayUrl = (port: number) => `http://127.0.0.1:${port}`;
    const poolDocs = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: localNames.region,
        credentials: localCredentials,
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    const poolTables = { domainTable: localNames.table('domain'), auditTable: localNames.table('audit') };
    const iam = new LocalIam(localCredentials.accessKeyId, (reason) => log(`iam refused: ${reason}`));
    const sessions = iam.sessions;
    const calls = new AwsCallCounter();
    // The real-time API's open connections, posted to through the emulator's Management API.
    const realtimeConnections = new LocalConnections();
    const poolGrants = new DynamoDbSignInGrants(poolDocs, localNames.table('domain'));
    const issuerUrl = `${gatewayUrl(options.port)}${ISSUER_PATH}`;
    const cognito = new LocalCognito(dataDir, {
      clientId: DEV_AUDIENCE,
      // The triggers' logic, on the runtime's own DynamoDB Local credentials (Cognito's, in AWS).
      grants: poolGrants,
      tokenClaims: makeTokenClaims({
        orgs: new DynamoDbOrgStore(poolDocs, poolTables),
        users: new DynamoDbUserStore(poolDocs, poolTables),
        grants: poolGrants,
        accounts: new DynamoDbPoolAccounts(poolDocs, localNames.table('domain')),
        clock,
      }),
      mint: (claims) => mintDevToken(issuerKey, issuerUrl, claims),
      verifyAccess: (token) => verifyDevAccessToken(issuerKey, issuerUrl, token),
      now: () => clock.now(),
    });
    const aws = await startAwsEmulator({
      sqs,
      queueUrls,
      kms: new LocalKms(dataDir),
      mailbox,
      sessions,
      calls,
      iam,
      cognito,
      connections: realtimeConnections,
    });
    // The local SES's own publisher of bounces and complaints (runtime credentials: not a function).
    const sesEvents = new EventBridgeClient({
      endpoint: aws.endpoint,
      region: localNames.region,
      credentials: localCredentials,
    });
    stops.push(async () => sesEvents.destroy());
    stops.push(async () => poolDocs.destroy());
    // The functions reach SQS through a counter; the pollers (Lambda's event source mappings) do not.
    const sqsForFunctions = await countingProxy(sqsServer.endpoint, 'SQS', calls, iam);
    stops.push(() => sqsForFunctions.stop());
    stops.push(() => aws.stop());
    log(
      `aws       ${aws.endpoint} (EventBridge PutEvents, KMS, SES SendEmail into the local mailbox, STS AssumeRole; each function held to its declared access)`,
    );
    const s3 = await startLocalS3({ dataDir, buckets: [LOCAL_CLAIMS_BUCKET], calls, iam });
    stops.push(() => s3.stop());
    log(`s3        ${s3.endpoint} (claim checks, data in ${join(dataDir, 's3')})`);
    const dataGateway = await startDataGateway({
      dynamodbEndpoint: dynamo.endpoint,
      iam,
      onRefusal: (reason) => log(`data gateway refused: ${reason}`),
      calls,
    });
    stops.push(() => dataGateway.stop());
    log(
      `data      ${dataGateway.endpoint} (DynamoDB as IAM lets each function see it: its declared access and LeadingKeys enforced)`,
    );

    // The port must be known before handlers load: the JWT issuer URL is part of their config.
    const port = options.port;
    // Each function's execution environment gets only what its declared access names.
    const environment = {
      endpoints: {
        dynamodb: dataGateway.endpoint,
        sqs: sqsForFunctions.endpoint,
        aws: aws.endpoint,
        s3: s3.endpoint,
      },
      claimsBucket: LOCAL_CLAIMS_BUCKET,
      queueUrls,
      jwt: {
        issuer: `${gatewayUrl(port)}${ISSUER_PATH}`,
        jwksUri: `${gatewayUrl(port)}${ISSUER_PATH}/.well-known/jwks.json`,
        audience: DEV_AUDIENCE,
      },
      logLevel: options.logLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO',
      inherited: process.env,
      publicUrl: gatewayUrl(port),
      // A browser treats localhost as a secure context: passkeys work over plain HTTP there.
      passkeys: {
        rpId: 'localhost',
        rpName: 'Integration Hub (local)',
        origins: [`http://localhost:${port}`],
      },
      clockOffsetFile: clock.file,
      dnsFile: dns.file,
    };

    const host = new FunctionHost(options.root, (name) => localFunctionEnvironment(name, environment));
    const dynamoProbe = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: localNames.region,
      credentials: localCredentials,
    });
    const newAdminKey = await bootstrapAdminKey(dataDir, dynamoProbe);
    // Chat providers come up with settings matching their loopback fakes, unless some are set.
    const seededChatApps = await seedChatApps(dynamoProbe, aws.endpoint);
    if (seededChatApps.length > 0) log(`chat apps seeded with local defaults: ${seededChatApps.join(', ')}`);

    const health = async (_req: IncomingMessage, res: ServerResponse) => {
      const components: Record<string, string> = {};
      const probe = async (name: string, check: () => Promise<unknown>) => {
        components[name] = await check().then(
          () => 'up',
          () => 'down',
        );
      };
      await Promise.all([
        probe('dynamodb', () =>
          dynamoProbe.send(new DescribeTableCommand({ TableName: localNames.table('domain') })),
        ),
        probe('sqs', () =>
          Promise.all(
            Object.values(localQueues).map((q) =>
              sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['QueueArn'] })),
            ),
          ),
        ),
        probe('eventbridge', () => fetch(aws.endpoint, { method: 'POST', body: '{}' })),
      ]);
      // One poller per queue and per stream, and the scheduler.
      const expected = Object.keys(queues).length + Object.keys(streams).length + 1;
      components.pollers = workers ? (pollers.length === expected ? 'up' : 'down') : 'paused';
      const ok = Object.values(components).every((s) => s === 'up' || s === 'paused');
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'degraded', components }));
    };
    const jsonEndpoint = (body: unknown) => async (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const gateway = new HttpGateway(host, [
      ...scheduleEndpoints(host, clock),
      ...clockEndpoints(clock),
      ...dnsEndpoints(dns),
      ...poolEndpoints(cognito, {
        endpoint: aws.endpoint,
        clientId: DEV_AUDIENCE,
        region: localNames.region,
      }),
      { method: 'GET', path: '/healthz', handle: health },
      {
        method: 'GET',
        path: '/_local/aws-calls',
        // `?by=caller`: the same calls by the function that made them (DynamoDB's, which the bench breaks down).
        handle: async (req, res) =>
          jsonEndpoint(
            new URL(req.url ?? '/', 'http://local').searchParams.get('by') === 'caller'
              ? calls.byCaller()
              : calls.snapshot(),
          )(req, res),
      },
      // The fault drill: kill a function's environment mid-batch; the new one gets the batch again.
      ...(Object.keys(functions) as FunctionName[]).map((name) => ({
        method: 'POST',
        path: `/_local/functions/${name}/restart`,
        handle: async (req: IncomingMessage, res: ServerResponse) =>
          jsonEndpoint({ restarted: name, inFlight: await host.restart(name) })(req, res),
      })),
      ...mailboxEndpoints({
        mailbox,
        // As SES does: on the default bus, through EventBridge, with the runtime's own credentials.
        publish: async (entry) => {
          const out = await sesEvents.send(new PutEventsCommand({ Entries: [entry] }));
          if (out.FailedEntryCount) throw new Error(`PutEvents failed: ${out.Entries?.[0]?.ErrorMessage}`);
        },
        now: () => clock.now(),
      }),
      {
        method: 'GET',
        path: `${ISSUER_PATH}/.well-known/jwks.json`,
        handle: jsonEndpoint(publicJwks(issuerKey)),
      },
      {
        method: 'GET',
        path: `${ISSUER_PATH}/.well-known/openid-configuration`,
        handle: jsonEndpoint({
          issuer: `${gatewayUrl(port)}${ISSUER_PATH}`,
          jwks_uri: `${gatewayUrl(port)}${ISSUER_PATH}/.well-known/jwks.json`,
          audience: DEV_AUDIENCE,
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      },
    ]);
    // The real-time API on the same port, calling the same handler through the function host.
    const websockets = new WebSocketGateway(host, realtimeConnections);
    gateway.upgrades = (req, socket, head) => {
      if (!websockets.handles(req)) return socket.destroy();
      websockets.upgrade(req, socket, head).catch(() => socket.destroy());
    };
    stops.push(() => host.stop());
    // Closed first (stops run in reverse), so each connection's $disconnect still finds its function.
    stops.push(() => websockets.stop());
    // Warm start: every function's init runs now rather than on its first request (a cold start).
    if (options.warm ?? true) await host.warm();

    const workers = options.workers ?? true;
    const pollers: Poller[] = [];
    for (const name of workers ? (Object.keys(queues) as QueueName[]) : []) {
      pollers.push(
        startPoller({
          sqs,
          host,
          name,
          queue: localQueues[name],
          onError: (e) => log(`poller ${name}: ${describeFailure(e)}`),
        }),
      );
    }
    for (const name of workers ? (Object.keys(streams) as StreamName[]) : []) {
      pollers.push(
        startStreamPoller({
          name,
          dynamodbEndpoint: dynamo.endpoint,
          dataDir,
          host,
          sqs,
          deadLetterUrl: streamDeadLetterUrls[name],
          onError: (e) => log(`stream ${name}: ${describeFailure(e)}`),
        }),
      );
    }
    if (workers)
      pollers.push(
        startScheduler({
          host,
          clock,
          onError: (name, e) => log(`schedule ${name}: ${(e as Error).message}`),
        }),
      );
    // Pollers stop before the servers they read from.
    stops.push(async () => {
      await Promise.all(pollers.map((p) => p.stop()));
    });
    const boundPort = await gateway.listen(port);
    stops.push(() => gateway.close());

    log(`api       ${gatewayUrl(boundPort)}`);
    return {
      url: gatewayUrl(boundPort),
      port: boundPort,
      dataDir,
      newAdminKey,
      endpoints: { dynamodb: dynamo.endpoint, sqs: sqsServer.endpoint, aws: aws.endpoint },
      stop: async () => {
        await stopAll();
        dynamoProbe.destroy();
        sqs.destroy();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * On first start, issues the platform-admin key, stores its hash and writes the key to a 0600 file.
 * The runtime's own credentials write it: no function may write a platform-admin key record.
 */
async function bootstrapAdminKey(dataDir: string, dynamodb: DynamoDBClient): Promise<string | null> {
  const file = join(dataDir, ADMIN_KEY_FILE);
  if (existsSync(file) && readFileSync(file, 'utf8').trim() !== '') return null;
  const keys = new DynamoDbApiKeyStore(
    DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    { domainTable: localNames.table('domain'), auditTable: localNames.table('audit') },
  );
  const key = generateApiKey();
  await keys.createPlatformKey(newId('key'), 'platform admin (local bootstrap)', hashApiKey(key));
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
