import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import autocannon from 'autocannon';
import { localCredentials } from '../lib/local/dynamodb-local';
import { localNames } from '../lib/local/local-names';
import type { RuntimeProcess } from '../test/support/runtime-process';
import { client, startRuntime } from '../test/support/runtime-process';
import { signedHeaders } from '../test/support/webhooks';
import { measureBundles } from './bundles';
import { measureChat } from './chat';
import { measureNotify } from './notify';
import { measureScim } from './scim';
import { measureSso } from './sso';
import type { Summary } from './stats';
import { ms, summarise, timeSequential } from './stats';
import { measureSync } from './sync';
import { seed, timeEach } from './tenancy';

/**
 * `npm run bench`: one run against the local runtime on loopback. Prints medians and p99s, with
 * a raw DynamoDB Local GetItem measured in the same run as the floor every API read stands on.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_N ?? 500);

const rows: [string, Summary][] = [];
const quotaLines: string[] = [];
const syncLines: string[] = [];
const notifyLines: string[] = [];
const chatLines: string[] = [];
const scimLines: string[] = [];
const ssoLines: string[] = [];
const report = (label: string, s: Summary) => {
  rows.push([label, s]);
  process.stdout.write(`  measured ${label}\n`);
};

async function measure(hub: RuntimeProcess) {
  const dynamoEndpoint = /\[hub\] dynamodb\s+(\S+)/.exec(hub.output())?.[1];
  if (!dynamoEndpoint) throw new Error('the runtime did not report its DynamoDB endpoint');

  const admin = client(hub);
  // The plan with the highest request rate: the load below measures the API, not the org's rate limit.
  const org = (await admin('POST', '/v1/orgs', { name: 'Bench', slug: 'bench', plan: 'enterprise' }))
    .json as {
    id: string;
  };
  const key = String(
    (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'bench', role: 'viewer' })).json.key,
  );
  const con = (await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'bench' }))
    .json as {
    webhookUrl: string;
    webhookSecret: string;
  };

  const ddb = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: localNames.region,
    credentials: localCredentials,
  });
  const orgKey = { PK: { S: `T#${org.id}#ORG` }, SK: { S: 'PROFILE' } };
  report(
    'DynamoDB Local GetItem (floor)',
    await timeSequential(N, async () => {
      await ddb.send(new GetItemCommand({ TableName: localNames.table('domain'), Key: orgKey }));
    }),
  );

  let writes = 0;
  report(
    'DynamoDB Local conditional UpdateItem (write floor)',
    await timeSequential(N, async () => {
      await ddb.send(
        new UpdateItemCommand({
          TableName: localNames.table('domain'),
          Key: { PK: { S: `T#${org.id}#USAGE` }, SK: { S: 'BENCH' } },
          UpdateExpression: 'ADD #n :one',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: String(++writes + 1_000_000) } },
        }),
      );
    }),
  );

  const asMember = client(hub, key);
  const readOrg = async () => {
    const res = await asMember('GET', `/v1/orgs/${org.id}`);
    if (res.status !== 200) throw new Error(`GET org answered ${res.status}`);
  };
  report('GET /v1/orgs/{orgId}, API key', await timeSequential(N, readOrg));

  const hook = client(hub, '');
  const body = (i: number) => JSON.stringify({ type: 'bench.tick', data: { i } });
  let seq = 0;
  report(
    'webhook accepted (202)',
    await timeSequential(N, async (i) => {
      const b = body(i);
      const res = await hook(
        'POST',
        con.webhookUrl,
        b,
        signedHeaders(con.webhookSecret, b, `bench_${seq++}`),
      );
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${res.text}`);
    }),
  );

  // Let the worker drain the accepted deliveries before timing end-to-end latency.
  await new Promise((r) => setTimeout(r, 3000));
  const stored: number[] = [];
  for (let i = 0; i < Math.min(N, 200); i++) {
    const b = body(i);
    const start = performance.now();
    const res = await hook('POST', con.webhookUrl, b, signedHeaders(con.webhookSecret, b, `e2e_${i}`));
    const itemKey = { PK: { S: `T#${org.id}#EVT` }, SK: { S: String(res.json.eventId) } };
    for (;;) {
      const found = await ddb.send(
        new GetItemCommand({ TableName: localNames.table('domain'), Key: itemKey }),
      );
      if (found.Item) break;
      if (performance.now() - start > 30_000)
        throw new Error(`event ${res.json.eventId} was not stored within 30 s`);
    }
    stored.push(performance.now() - start);
  }
  report('webhook → stored by the worker', summarise(stored));

  // Tenancy: the gate's checks in-process, credential resolution against DynamoDB Local, and
  // quotas under concurrency, with 1,000 orgs, and 10,000 users and 10,000 keys in one org loaded.
  process.stdout.write('Seeding 1,000 orgs, and 10,000 users and 10,000 API keys in one org…\n');
  await seed(ddb, org.id, { orgs: 1000, keys: 10_000, users: 10_000 });
  report(
    'GET /v1/orgs/{orgId}, 1,000 orgs, 10,000 users and 10,000 keys loaded',
    await timeSequential(N, readOrg),
  );

  Object.assign(process.env, {
    AWS_REGION: localNames.region,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    DOMAIN_TABLE_NAME: localNames.table('domain'),
    AUDIT_TABLE_NAME: localNames.table('audit'),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_TRACE_ENABLED: 'false',
  });
  // Loaded only now: these modules read their configuration when first imported.
  const adapters = await import('../shared/adapters/wiring');
  const { makeAuthenticator } = await import('../shared/identity/authenticate');
  const { evaluateAccess } = await import('../shared/authz/evaluate-access');
  const { ipAllowed } = await import('../shared/tenancy/org');
  const authenticate = makeAuthenticator({
    keys: adapters.apiKeyStore(),
    verifyJwt: async () => ({}),
    clock: { now: () => new Date() },
  });
  report(
    'API-key authentication (checksum, hash, GetItem)',
    await timeEach(N, () => authenticate(`Bearer ${key}`)),
  );
  const tenants = adapters.tenantDirectory();
  const principal = await authenticate(`Bearer ${key}`);
  await tenants.get(org.id);
  if (principal.kind !== 'org_member') throw new Error('the bench key is not an org key');
  const access = adapters.accessDirectory();
  const request = {
    principal,
    permission: 'org:read' as const,
    operation: 'getOrg',
    path: { orgId: org.id },
    ip: '10.1.2.3',
    at: new Date(),
  };
  report(
    'tenant resolution + permission check, roles only (warm)',
    await timeEach(N * 20, async () => {
      const [resolved, rules] = await Promise.all([tenants.get(org.id), access.get(org.id)]);
      const ok =
        resolved !== null &&
        ipAllowed('127.0.0.1', resolved.settings.ipAllowList) &&
        evaluateAccess(request, rules, null).allowed;
      if (!ok) throw new Error('refused');
    }),
  );
  // The same check for an org with Cedar policies: MFA, network and working hours, plus a team grant.
  const policyOrg = {
    roles: [],
    policies: [
      'forbid (principal, action == Hub::Action::"api_keys:revoke", resource) unless { context.mfa };',
      'forbid (principal, action, resource) unless { context.ip.isInRange(ip("10.0.0.0/8")) };',
      'forbid (principal is Hub::User, action, resource) unless { context.dayOfWeekUtc >= 0 };',
      'permit (principal, action == Hub::Action::"teams:manage", resource) when { principal in Hub::Team::"team_eng" && resource in Hub::Team::"team_eng" };',
    ].map((statement, i) => ({
      id: `p${i}`,
      description: '',
      statement,
      createdAt: new Date().toISOString(),
    })),
  };
  const facts = await adapters.accessFacts().load(request);
  evaluateAccess(request, policyOrg, facts); // compiles Cedar and parses the set once, as a first request would
  report(
    'permission check with 4 Cedar policies (warm)',
    await timeEach(N * 20, () => {
      if (!evaluateAccess(request, policyOrg, facts).allowed) throw new Error('refused');
    }),
  );

  const quotaOrg = (await admin('POST', '/v1/orgs', { name: 'Quota', slug: 'bench-quota', plan: 'free' }))
    .json as {
    id: string;
  };
  const created = await admin('POST', `/v1/orgs/${quotaOrg.id}/api-keys`, { name: 'q', role: 'owner' });
  const asQuotaOwner = client(hub, String(created.json.key));
  const creations = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      asQuotaOwner('POST', `/v1/orgs/${quotaOrg.id}/connections`, { provider: 'generic', name: `q${i}` }),
    ),
  );
  const admittedConnections = creations.filter((r) => r.status === 201).length;
  // A second org, whose minute is not already spent by the creations above.
  const rateOrg = (await admin('POST', '/v1/orgs', { name: 'Rate', slug: 'bench-rate', plan: 'free' }))
    .json as {
    id: string;
  };
  const rateKey = await admin('POST', `/v1/orgs/${rateOrg.id}/api-keys`, { name: 'r', role: 'viewer' });
  const asRateViewer = client(hub, String(rateKey.json.key));
  // Start early in a minute, so all 200 reads fall into one rate window.
  while (new Date().getUTCSeconds() > 40) await new Promise((r) => setTimeout(r, 1000));
  const reads = await Promise.all(
    Array.from({ length: 200 }, () => asRateViewer('GET', `/v1/orgs/${rateOrg.id}`)),
  );
  const admittedReads = reads.filter((r) => r.status === 200).length;
  quotaLines.push(
    `connections: 200 concurrent creations on the free plan admitted ${admittedConnections} (limit 3): ${admittedConnections === 3 ? 'exact' : 'WRONG'}`,
    `API rate: 200 concurrent reads within one minute admitted ${admittedReads} (limit 120): ${admittedReads === 120 ? 'exact' : 'WRONG'}`,
  );

  const load = await autocannon({
    url: `${hub.url}/v1/orgs/${org.id}`,
    connections: 10,
    duration: 5,
    headers: { authorization: `Bearer ${key}` },
  });
  ddb.destroy();
  await measureNotify(hub, report, notifyLines);
  await measureScim(hub, report, scimLines);
  await measureSso(hub, report, ssoLines);
  await measureChat(hub, report, chatLines);
  // Last: its scheduled reconciliations would otherwise run alongside the measurements above.
  await measureSync(hub, report, syncLines);
  return load;
}

// BENCH_ONLY=sync, notify, chat, scim or sso: those figures alone (minutes, not the whole bench).
if (['sync', 'notify', 'chat', 'scim', 'sso'].includes(process.env.BENCH_ONLY ?? '')) {
  const only = await startRuntime();
  try {
    if (process.env.BENCH_ONLY === 'sync') await measureSync(only, report, syncLines);
    else if (process.env.BENCH_ONLY === 'chat') await measureChat(only, report, chatLines);
    else if (process.env.BENCH_ONLY === 'scim') await measureScim(only, report, scimLines);
    else if (process.env.BENCH_ONLY === 'sso') await measureSso(only, report, ssoLines);
    else await measureNotify(only, report, notifyLines);
  } finally {
    await only.stop();
  }
  for (const [label, s] of rows)
    process.stdout.write(`${label}: p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, max ${ms(s.max)}\n`);
  process.stdout.write(
    `${[...syncLines, ...notifyLines, ...chatLines, ...scimLines, ...ssoLines].map((l) => `  ${l}`).join('\n')}\n`,
  );
  process.exit(0);
}

let hub: RuntimeProcess | undefined;
try {
  process.stdout.write('Starting the local runtime…\n');
  hub = await startRuntime();
  const load = await measure(hub);
  await hub.stop();
  hub = undefined;

  process.stdout.write('Synthesizing and measuring Lambda bundles…\n');
  // A bundle that cannot initialise is reported, and the figures measured above still printed.
  let bundles: ReturnType<typeof measureBundles> = [];
  try {
    bundles = measureBundles(ROOT);
  } catch (error) {
    process.stdout.write(`Bundles not measured: ${(error as Error).message.split('\n')[0]}\n`);
  }

  const floor = rows[0]?.[1].p50 ?? Number.NaN;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`\nIntegration Hub bench — ${new Date().toISOString()}, Node ${process.version}, n=${N}\n`);
  out(
    `${'path'.padEnd(56)}${'p50'.padStart(11)}${'p99'.padStart(11)}${'max'.padStart(11)}${'p50 / floor'.padStart(13)}`,
  );
  for (const [label, s] of rows) {
    const ratio = `${(s.p50 / floor).toFixed(2)}×`;
    out(
      `${label.padEnd(56)}${ms(s.p50).padStart(11)}${ms(s.p99).padStart(11)}${ms(s.max).padStart(11)}${ratio.padStart(13)}`,
    );
  }
  out(
    `\nGET /v1/orgs/{orgId} under load (autocannon, 10 connections, 5 s): ${load.requests.average.toFixed(0)} req/s, ` +
      `p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, ${load.non2xx} non-2xx, ${load.errors} errors`,
  );
  out(`\nOutbound webhooks:\n${notifyLines.map((l) => `  ${l}`).join('\n')}`);
  out(`\nSCIM:\n${scimLines.map((l) => `  ${l}`).join('\n')}`);
  out(`\nSSO sign-in:\n${ssoLines.map((l) => `  ${l}`).join('\n')}`);
  out(`\nChat (Slack):\n${chatLines.map((l) => `  ${l}`).join('\n')}`);
  out(`\nJira ↔ GitHub and Jira ↔ GitLab sync:\n${syncLines.map((l) => `  ${l}`).join('\n')}`);
  out(`\nQuota enforcement under concurrency:\n${quotaLines.map((l) => `  ${l}`).join('\n')}`);
  out(`\n${'Lambda bundle'.padEnd(28)}${'size'.padStart(12)}${'init (median of 5)'.padStart(22)}`);
  for (const b of bundles) {
    out(
      `${b.name.padEnd(28)}${`${(b.bytes / 1024).toFixed(0)} KiB`.padStart(12)}${ms(b.initMsMedian).padStart(22)}`,
    );
  }
} finally {
  await hub?.stop();
}
