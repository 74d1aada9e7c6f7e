import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { devIssuerKey, ISSUER_PATH, mintDevToken } from '../lib/local/dev-issuer';
import { localCredentials } from '../lib/local/dynamodb-local';
import { localNames } from '../lib/local/local-names';
import { newId } from '../shared/ids';
import type { RuntimeProcess } from '../test/support/runtime-process';
import { client } from '../test/support/runtime-process';
import type { Summary } from './stats';
import { ms, summarise, timeSequential } from './stats';

const N = Number(process.env.BENCH_SCIM_N ?? 200);
/** How many users the org holds while creates and PATCHes are timed. */
const USERS = Number(process.env.BENCH_SCIM_USERS ?? 10_000);
/** Creates in flight while the org is seeded, as an IdP's provisioning run sends them. */
const SEED_CONCURRENCY = 8;
/**
 * How the org is seeded: `api` creates every user through the SCIM API (about 10 a second on a
 * loaded two-core machine, so 10,000 take a quarter of an hour); `copy` (the default) creates the
 * first `API_SEED` so, and writes the rest as copies of one of them.
 */
const SEED = process.env.BENCH_SCIM_SEED === 'api' ? 'api' : 'copy';
const API_SEED = 200;
/** Runs of the filter that reads every user (each one reads the whole org). */
const SCAN_N = Number(process.env.BENCH_SCIM_SCAN_N ?? 10);
/** Users deprovisioned while their token and personal key are in use. */
const DEPROVISION_N = Number(process.env.BENCH_DEPROVISION_N ?? 20);
/** The most a deprovisioned user's credentials may go on working before the bench gives up. */
const DEPROVISION_LIMIT_MS = 10_000;
/** Between one refused-or-not probe and the next. */
const POLL_GAP_MS = 2;

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const headers = { 'content-type': 'application/scim+json' };
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/**
 * The SCIM service as an IdP uses it, over the local runtime, with the org holding `USERS` users
 * (10,000 by default; the first 200 created through the SCIM API, 8 in flight, the rest copies of
 * one of those — or all through the API with `BENCH_SCIM_SEED=api`): a user's creation (one
 * transaction: hub user, email and userName claims, profile, count, audit), PATCHes as Okta
 * (`replace` of `name.givenName`) and Entra ID (path-less `Replace` with dotted keys) send them,
 * and filtered lists — the indexed lookup IdPs send before every create (`userName eq`) and a
 * filter that reads every user (`emails[type eq "work"].value co …`). Then deprovisioning: the
 * time from Okta's `PATCH active false` to the first refused request of that user's signed-in
 * token and of their personal API key, both polled while the PATCH is in flight.
 */
export async function measureScim(
  hub: RuntimeProcess,
  report: (label: string, s: Summary) => void,
  lines: string[],
): Promise<void> {
  const admin = client(hub);
  const suffix = Math.random().toString(36).slice(2, 8);
  const org = (
    await admin('POST', '/v1/orgs', { name: 'SCIM bench', slug: `scim-bench-${suffix}`, plan: 'enterprise' })
  ).json as { id: string };
  const token = String((await admin('POST', `/v1/orgs/${org.id}/scim-tokens`, { name: 'bench' })).json.token);
  const scim = client(hub, token);
  let refused = 0;
  const userName = (i: number) => `user-${i}-${suffix}@bench.test`;
  const body = (i: number) => ({
    schemas: [USER],
    userName: userName(i),
    name: { givenName: 'Bench', familyName: `user-${i}-${suffix}` },
    emails: [{ value: userName(i), type: 'work', primary: true }],
    active: true,
  });
  const ids: string[] = [];
  let first = '';
  const create = async (i: number) => {
    const res = await scim('POST', '/scim/v2/Users', body(i), headers);
    if (res.status !== 201) refused++;
    else ids.push(String(res.json.id));
    if (i === 0) first = String(res.json.id);
    return res.status;
  };

  // The org's users: the first ones created as a provisioning run creates them, a few requests in
  // flight; the rest copies of one of those, written as the SCIM service writes a user (below).
  const viaApi = SEED === 'api' ? USERS : Math.min(USERS, API_SEED);
  let next = 0;
  const seedStart = performance.now();
  let seedRetries = 0;
  process.stdout.write(`  seeding ${viaApi} SCIM users through the API, ${SEED_CONCURRENCY} in flight…\n`);
  await Promise.all(
    Array.from({ length: SEED_CONCURRENCY }, async () => {
      while (next < viaApi) {
        const i = next++;
        let status = await create(i);
        // A transient answer (a conflict of transactions, a busy local table) is tried again, as IdPs do.
        for (let retry = 0; status >= 500 && retry < 3; retry++) {
          seedRetries++;
          refused--; // counted again by the retry, if it fails too
          await sleep(50);
          status = await create(i);
        }
        if (status !== 201) throw new Error(`seeding user ${i} answered ${status}`);
        if ((i + 1) % 1000 === 0) process.stdout.write(`  …${i + 1} users\n`);
      }
    }),
  );
  const apiSeconds = (performance.now() - seedStart) / 1000;
  lines.push(
    `seeded ${ids.length} users through POST /scim/v2/Users, ${SEED_CONCURRENCY} in flight, in ${apiSeconds.toFixed(1)} s (${(ids.length / apiSeconds).toFixed(0)} users/s, ${seedRetries} retried)`,
  );
  if (ids.length < USERS) {
    const bulkStart = performance.now();
    const copies = await cloneUsers(hub, org.id, first, userName(0), suffix, viaApi, USERS);
    ids.push(...copies);
    next = USERS;
    lines.push(
      `and ${copies.length} more as copies of the first one's items (hub user, email and userName claims, SCIM profile; the users count raised), batch-written in ${((performance.now() - bulkStart) / 1000).toFixed(1)} s`,
    );
  }
  // The service sees them all as its own: counted, listed and found by userName.
  const listed = await scim('GET', '/scim/v2/Users?count=1');
  const found = await scim(
    'GET',
    `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName(USERS - 1)}"`)}`,
  );
  if (listed.json.totalResults !== USERS || found.json.totalResults !== 1)
    throw new Error(`seeded ${USERS} users, the SCIM service lists ${listed.json.totalResults}`);
  const seeded = ids.length;

  report(
    `SCIM POST /Users (create), ${seeded} users in the org`,
    await timeSequential(N, async () => void (await create(next++)), 5),
  );
  const pick = (i: number) => ids[(Math.abs(i) * 7919) % seeded] ?? '';
  const patch = (operations: unknown[]) => async (i: number) => {
    const res = await scim(
      'PATCH',
      `/scim/v2/Users/${pick(i)}`,
      { schemas: [PATCH_OP], Operations: operations },
      headers,
    );
    if (res.status !== 200) refused++;
  };
  let edit = 0;
  report(
    `SCIM PATCH /Users/{id}, Okta replace name.givenName, ${ids.length} users`,
    await timeSequential(
      N,
      (i) => patch([{ op: 'replace', path: 'name.givenName', value: `Okta ${edit++}` }])(i),
      5,
    ),
  );
  report(
    `SCIM PATCH /Users/{id}, Entra path-less Replace, ${ids.length} users`,
    await timeSequential(
      N,
      (i) =>
        patch([
          { op: 'Replace', value: { 'name.givenName': `Entra ${edit++}`, 'name.familyName': 'Bench' } },
        ])(i + N),
      5,
    ),
  );
  const lookup = encodeURIComponent(`userName eq "${userName(Math.floor(seeded / 2))}"`);
  report(
    `SCIM GET /Users?filter=userName eq (indexed), ${ids.length} users`,
    await timeSequential(N, async () => {
      const res = await scim('GET', `/scim/v2/Users?filter=${lookup}`);
      if (res.json.totalResults !== 1) refused++;
    }),
  );
  const scan = encodeURIComponent(`emails[type eq "work"].value co "${suffix}@bench.test"`);
  report(
    `SCIM GET /Users?filter=emails[…] co (all ${ids.length} users read)`,
    await timeSequential(
      SCAN_N,
      async () => {
        const res = await scim('GET', `/scim/v2/Users?filter=${scan}&count=50`);
        if (res.status !== 200) refused++;
      },
      1,
    ),
  );
  lines.push(`${ids.length} users in one org at the end; ${refused} unexpected answers`);
  await measureDeprovisioning(hub, org.id, scim, report, lines);
}

/**
 * Per user: a signed-in admin (a hub user adopted by the IdP, with a token from the local user
 * pool's issuer and a personal API key of their own), both in use; then `PATCH active false`, and
 * both credentials polled from the moment the PATCH is sent until each is refused. A request sent
 * after the PATCH was answered and still admitted is counted (there should be none).
 */
async function measureDeprovisioning(
  hub: RuntimeProcess,
  orgId: string,
  scim: ReturnType<typeof client>,
  report: (label: string, s: Summary) => void,
  lines: string[],
): Promise<void> {
  const admin = client(hub);
  const key = await devIssuerKey(hub.dataDir);
  const { issuer } = (await (
    await fetch(`${hub.url}${ISSUER_PATH}/.well-known/openid-configuration`)
  ).json()) as { issuer: string };
  const suffix = Math.random().toString(36).slice(2, 8);
  const toToken: number[] = [];
  const toKey: number[] = [];
  const scimAnswered: number[] = [];
  let admittedAfter = 0;
  for (let i = 0; i < DEPROVISION_N; i++) {
    const email = `leaver-${i}-${suffix}@bench.test`;
    const made = await admin('POST', `/v1/orgs/${orgId}/users`, {
      email,
      name: `Leaver ${i}`,
      role: 'admin',
    });
    if (made.status !== 201) throw new Error(`user ${email}: ${made.status} ${made.text}`);
    const userId = String(made.json.id);
    const adopted = await scim(
      'POST',
      '/scim/v2/Users',
      {
        schemas: [USER],
        userName: email,
        emails: [{ value: email, type: 'work', primary: true }],
        active: true,
      },
      headers,
    );
    if (adopted.status !== 201 || adopted.json.id !== userId)
      throw new Error(`SCIM adoption of ${email}: ${adopted.status} ${adopted.text}`);
    const jwt = await mintDevToken(key, issuer, { sub: userId, email, orgId, role: 'admin' });
    const asUser = client(hub, jwt);
    const personal = await asUser('POST', `/v1/orgs/${orgId}/api-keys`, {
      name: 'laptop',
      role: 'viewer',
      owner: 'me',
    });
    if (personal.status !== 201) throw new Error(`personal key: ${personal.status} ${personal.text}`);
    const asKey = client(hub, String(personal.json.key));
    for (const api of [asUser, asKey]) {
      const res = await api('GET', `/v1/orgs/${orgId}`);
      if (res.status !== 200) throw new Error(`before deprovisioning: ${res.status} ${res.text}`);
    }

    let answeredAt = Number.POSITIVE_INFINITY;
    const sent = performance.now();
    const off = scim(
      'PATCH',
      `/scim/v2/Users/${userId}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] },
      headers,
    ).then((res) => {
      answeredAt = performance.now();
      if (res.status !== 200 || res.json.active !== false)
        throw new Error(`deprovisioning answered ${res.status}: ${res.text}`);
    });
    const untilRefused = async (api: ReturnType<typeof client>) => {
      for (;;) {
        const asked = performance.now();
        const res = await api('GET', `/v1/orgs/${orgId}`);
        const at = performance.now();
        if (res.status === 403 && String(res.json.detail).includes('deactivated')) return at - sent;
        if (res.status !== 200) throw new Error(`while deprovisioning: ${res.status} ${res.text}`);
        if (asked > answeredAt) admittedAfter++;
        if (at - sent > DEPROVISION_LIMIT_MS)
          throw new Error(`still admitted ${DEPROVISION_LIMIT_MS} ms after the SCIM call`);
        await sleep(POLL_GAP_MS);
      }
    };
    const [tokenMs, keyMs] = await Promise.all([untilRefused(asUser), untilRefused(asKey), off]);
    toToken.push(tokenMs);
    toKey.push(keyMs);
    scimAnswered.push(answeredAt - sent);
  }
  const token = summarise(toToken);
  const personal = summarise(toKey);
  const answered = summarise(scimAnswered);
  report('deprovision: SCIM PATCH active false answered', answered);
  report("deprovision: SCIM call → user's token first refused", token);
  report("deprovision: SCIM call → user's personal API key first refused", personal);
  lines.push(
    `deprovisioning, ${DEPROVISION_N} signed-in users: SCIM call → first refused request p50 ${ms(token.p50)}, p99 ${ms(token.p99)} (token); p50 ${ms(personal.p50)}, p99 ${ms(personal.p99)} (personal API key); the PATCH itself answered in p50 ${ms(answered.p50)}`,
    `deprovisioning: ${admittedAfter} requests sent after the SCIM answer were still admitted (expected 0)`,
  );
}

/**
 * Writes users `from`…`to - 1` straight into the table as copies of the SCIM-created user
 * `templateId` (whose userName is `templateName`): its items as the SCIM service wrote them — the
 * hub user, the email and userName claims, the SCIM profile — read back and copied with another id
 * and address, then the org's users count raised by as many, as `create` would have. No audit
 * record is copied (nothing a SCIM request reads). Returns the new users' ids.
 */
async function cloneUsers(
  hub: RuntimeProcess,
  orgId: string,
  templateId: string,
  templateName: string,
  suffix: string,
  from: number,
  to: number,
): Promise<string[]> {
  const endpoint = /\[hub\] dynamodb\s+(\S+)/.exec(hub.output())?.[1];
  if (!endpoint) throw new Error('the runtime did not report its DynamoDB endpoint');
  const ddb = new DynamoDBClient({ endpoint, region: localNames.region, credentials: localCredentials });
  const docs = DynamoDBDocumentClient.from(ddb);
  const table = localNames.table('domain');
  try {
    const keys = [
      { PK: `T#${orgId}#USER`, SK: templateId },
      { PK: `T#${orgId}#USEREMAIL`, SK: templateName },
      { PK: `T#${orgId}#SCIMUSERNAME`, SK: templateName.toLowerCase() },
      { PK: `T#${orgId}#SCIMUSER`, SK: templateId },
    ];
    const template = await Promise.all(
      keys.map(async (Key) => {
        const out = await docs.send(new GetCommand({ TableName: table, Key, ConsistentRead: true }));
        if (!out.Item) throw new Error(`the SCIM-created user has no item ${Key.PK} ${Key.SK}`);
        return JSON.stringify(out.Item);
      }),
    );
    const marker = templateName.split('@')[0] ?? templateName;
    const ids: string[] = [];
    const items: Record<string, unknown>[] = [];
    for (let i = from; i < to; i++) {
      const id = newId('usr');
      ids.push(id);
      for (const json of template)
        items.push(
          JSON.parse(json.replaceAll(templateId, id).replaceAll(marker, `user-${i}-${suffix}`)) as Record<
            string,
            unknown
          >,
        );
    }
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += 24) batches.push(items.slice(i, i + 24));
    // A few writers at a time: DynamoDB Local is one process on the same two cores.
    for (let i = 0; i < batches.length; i += 4) {
      await Promise.all(
        batches.slice(i, i + 4).map(async (batch) => {
          let pending: Record<string, unknown>[] | undefined = batch;
          while (pending && pending.length > 0) {
            const out: BatchWriteCommandOutput = await docs.send(
              new BatchWriteCommand({
                RequestItems: { [table]: pending.map((Item) => ({ PutRequest: { Item } })) },
              }),
            );
            pending = out.UnprocessedItems?.[table]?.map(
              (r) => r.PutRequest?.Item as Record<string, unknown>,
            );
          }
        }),
      );
    }
    await docs.send(
      new UpdateCommand({
        TableName: table,
        Key: { PK: `T#${orgId}#USAGE`, SK: 'TOTALS' },
        UpdateExpression: 'ADD #count :n',
        ExpressionAttributeNames: { '#count': 'users' },
        ExpressionAttributeValues: { ':n': ids.length },
      }),
    );
    return ids;
  } finally {
    ddb.destroy();
  }
}
