import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import autocannon from 'autocannon';
import { localCredentials } from '../lib/local/dynamodb-local';
import { localNames } from '../lib/local/local-names';
import type { RuntimeProcess } from '../test/support/runtime-process';
import { client, startRuntime } from '../test/support/runtime-process';
import { signedHeaders } from '../test/support/webhooks';
import { measureBundles } from './bundles';
import type { Summary } from './stats';
import { ms, summarise, timeSequential } from './stats';

/**
 * `npm run bench`: one run against the local runtime on loopback. Prints medians and p99s, with
 * a raw DynamoDB Local GetItem measured in the same run as the floor every API read stands on.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_N ?? 500);

const rows: [string, Summary][] = [];
const report = (label: string, s: Summary) => {
  rows.push([label, s]);
  process.stdout.write(`  measured ${label}\n`);
};

let hub: RuntimeProcess | undefined;
try {
  process.stdout.write('Starting the local runtime…\n');
  hub = await startRuntime();
  const dynamoEndpoint = /\[hub\] dynamodb\s+(\S+)/.exec(hub.output())?.[1];
  if (!dynamoEndpoint) throw new Error('the runtime did not report its DynamoDB endpoint');

  const admin = client(hub);
  const org = (await admin('POST', '/v1/orgs', { name: 'Bench', slug: 'bench' })).json as { id: string };
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

  const asMember = client(hub, key);
  report(
    'GET /v1/orgs/{orgId}, API key',
    await timeSequential(N, async () => {
      const res = await asMember('GET', `/v1/orgs/${org.id}`);
      if (res.status !== 200) throw new Error(`GET org answered ${res.status}`);
    }),
  );

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
    const eventId = String(res.json.eventId);
    const itemKey = { PK: { S: `T#${org.id}#EVT` }, SK: { S: eventId } };
    for (;;) {
      const found = await ddb.send(
        new GetItemCommand({ TableName: localNames.table('domain'), Key: itemKey }),
      );
      if (found.Item) break;
      if (performance.now() - start > 30_000) throw new Error(`event ${eventId} was not stored within 30 s`);
    }
    stored.push(performance.now() - start);
  }
  report('webhook → stored by the worker', summarise(stored));

  const load = await autocannon({
    url: `${hub.url}/v1/orgs/${org.id}`,
    connections: 10,
    duration: 5,
    headers: { authorization: `Bearer ${key}` },
  });
  ddb.destroy();
  await hub.stop();
  hub = undefined;

  process.stdout.write('Synthesizing and measuring Lambda bundles…\n');
  const bundles = measureBundles(ROOT);

  const floor = rows[0]?.[1].p50 ?? Number.NaN;
  process.stdout.write(
    `\nIntegration Hub bench — ${new Date().toISOString()}, Node ${process.version}, n=${N}\n\n`,
  );
  process.stdout.write(
    `${'path'.padEnd(36)}${'p50'.padStart(12)}${'p99'.padStart(12)}${'max'.padStart(12)}${'p50 / floor'.padStart(14)}\n`,
  );
  for (const [label, s] of rows) {
    process.stdout.write(
      `${label.padEnd(36)}${ms(s.p50).padStart(12)}${ms(s.p99).padStart(12)}${ms(s.max).padStart(12)}${`${(s.p50 / floor).toFixed(1)}×`.padStart(14)}\n`,
    );
  }
  process.stdout.write(
    `\nGET /v1/orgs/{orgId} under load (autocannon, 10 connections, 5 s): ${load.requests.average.toFixed(0)} req/s, ` +
      `p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, ${load.non2xx} non-2xx, ${load.errors} errors\n`,
  );
  process.stdout.write(
    `\n${'Lambda bundle'.padEnd(28)}${'size'.padStart(12)}${'init (median of 5)'.padStart(22)}\n`,
  );
  for (const b of bundles) {
    process.stdout.write(
      `${b.name.padEnd(28)}${`${(b.bytes / 1024).toFixed(0)} KiB`.padStart(12)}${ms(b.initMsMedian).padStart(22)}\n`,
    );
  }
} finally {
  await hub?.stop();
}
