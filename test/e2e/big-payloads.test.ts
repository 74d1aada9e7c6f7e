import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CLAIMS_BUCKET } from '../../lib/local/local-s3';
import { fromAdf } from '../../shared/connectors/jira/adf';
import type { FakeGithub } from '../fakes/github';
import { GITHUB_HUMAN } from '../fakes/github';
import { GITHUB_BODY_LIMIT } from '../fakes/github-repositories';
import type { FakeJira } from '../fakes/jira';
import { JIRA_HUMAN } from '../fakes/jira';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, startRuntime } from '../support/runtime-process';
import type { SyncFakes } from '../support/sync-fakes';
import { connectSyncFakes, startSyncFakes } from '../support/sync-fakes';
import { signedHeaders } from '../support/webhooks';

/**
 * Nothing is lost for being big or deep: an event too large for the bus is claim-checked and synced
 * whole; a webhook over the documented limits is refused with a problem, never a 503.
 */
const REPO = 'acme/web';
const MiB = 1024 * 1024;

let hub: RuntimeProcess;
let fakes: SyncFakes;
let github: FakeGithub;
let jira: FakeJira;
let admin: ReturnType<typeof client>;
let orgId: string;
let generic: { id: string; webhookSecret: string; webhookUrl: string };

// biome-ignore lint/suspicious/noExplicitAny: the tests read the providers' and the hub's JSON freely
type Json = Record<string, any>;

beforeAll(async () => {
  fakes = await startSyncFakes();
  ({ github, jira } = fakes);
  hub = await startRuntime();
  admin = client(hub);
  orgId = ((await admin('POST', '/v1/orgs', { name: 'Big Co', slug: 'big-co' })).json as Json).id;
  // Paid plan: the test sends more than a free plan's handful of deliveries.
  const { jiraConnection, githubConnection } = await connectSyncFakes(hub, orgId, fakes);
  const mapping = await admin('POST', `/v1/orgs/${orgId}/mappings`, {
    tracker: { connectionId: jiraConnection, project: 'WEB' },
    codeHost: { connectionId: githubConnection, repository: REPO },
    users: [{ tracker: JIRA_HUMAN.accountId, codeHost: GITHUB_HUMAN.login }],
  });
  expect(mapping.status).toBe(201);
  generic = (await admin('POST', `/v1/orgs/${orgId}/connections`, { provider: 'generic', name: 'ci' }))
    .json as typeof generic;
  // The webhook function loads on first use (a cold start): warm it, so the fakes' 10 s timeout measures the hub.
  const warm = JSON.stringify({ type: 'warm.up', data: {} });
  expect((await sendGeneric(warm)).status).toBe(202);
}, 180_000);

afterAll(async () => {
  await hub?.stop();
  await fakes?.stop();
});

/**
 * A heavily formatted description, as Jira's editor writes one: every word coloured and underlined,
 * so about 1 MiB of ADF holds some 50,000 characters of text.
 */
function formattedDescription(targetBytes: number) {
  const word = (n: number) => ({
    type: 'text',
    text: `w${n} `,
    marks: [{ type: 'textColor', attrs: { color: '#ff5630' } }, { type: 'underline' }],
  });
  const content: Json[] = [];
  let n = 0;
  while (JSON.stringify(content).length < targetBytes) {
    content.push({ type: 'paragraph', content: Array.from({ length: 20 }, () => word(n++)) });
  }
  return { type: 'doc', version: 1, content };
}

/** The claim-checked events in the bucket (raw deliveries are kept there too, under `raw/`). */
const claimObjects = () =>
  readdirSync(join(hub.dataDir, 's3', LOCAL_CLAIMS_BUCKET))
    .filter((f) => f.endsWith('.object'))
    .filter((f) => Buffer.from(f.slice(0, -'.object'.length), 'base64url').toString().includes('/events/'));

const sendGeneric = (body: string) =>
  fetch(`${hub.url}${generic.webhookUrl}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedHeaders(generic.webhookSecret, body) },
    body,
  });

describe('big and deep payloads', () => {
  it('syncs a Jira issue with a 1 MiB description to GitHub, with the whole text', async () => {
    const description = formattedDescription(MiB);
    expect(JSON.stringify(description).length).toBeGreaterThanOrEqual(MiB);
    const before = claimObjects().length;
    const res = await fetch(`${jira.url}/rest/api/3/issue`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${JIRA_HUMAN.email}:${JIRA_HUMAN.apiToken}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        fields: { project: { key: 'WEB' }, issuetype: { name: 'Task' }, summary: 'Huge spec', description },
      }),
    });
    expect(res.status).toBe(201);
    const { key } = (await res.json()) as { key: string };
    const link = await eventually(async () => {
      const links = (await admin('GET', `/v1/orgs/${orgId}/links?limit=100`)).json as Json;
      return (links.items as Json[]).find((l) => l.tracker.key === key);
    }, 60_000);
    const issue = github.repositories
      .repo(REPO)
      .issues.get(Number(String(link.codeHost.key).split('#').pop())) as Json;
    const text = fromAdf(description);
    // Under GitHub's 65,536 characters: nothing had to be cut, and nothing was.
    expect(text.length).toBeGreaterThan(40_000);
    expect(text.length).toBeLessThan(65_536);
    expect(issue.body).toBe(text);
    // The webhook was accepted (not 413, not 503). Its canonical event carries the description as
    // Markdown, a twentieth of the ADF delivery: small enough for the bus, with no claim check.
    const created = jira.webhooks.sent.find((d) => d.event === 'jira:issue_created');
    expect(created?.status).toBe(202);
    const event = await eventually(async () => {
      const feed = (await admin('GET', `/v1/orgs/${orgId}/events?limit=100`)).json as Json;
      return (feed.items as Json[]).find((e) => e.type === 'work_item.created' && e.data.item?.key === key);
    });
    expect(event.data.item.description).toBe(text);
    expect(event.claim).toBeUndefined();
    expect(claimObjects().length).toBe(before);
  }, 120_000);

  it('never cuts a description longer than GitHub takes silently: the change is parked with the reason', async () => {
    const words = Array.from({ length: 12_000 }, (_, i) => `word${i}`).join(' ');
    expect(words.length).toBeGreaterThan(GITHUB_BODY_LIMIT);
    const res = await fetch(`${jira.url}/rest/api/3/issue`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${JIRA_HUMAN.email}:${JIRA_HUMAN.apiToken}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        fields: {
          project: { key: 'WEB' },
          issuetype: { name: 'Task' },
          summary: 'Too long for GitHub',
          description: {
            type: 'doc',
            version: 1,
            content: [{ type: 'paragraph', content: [{ type: 'text', text: words }] }],
          },
        },
      }),
    });
    expect(res.status).toBe(201);
    const parked = await eventually(async () => {
      const items = (await admin('GET', `/v1/orgs/${orgId}/dead-letters`)).json.items as Json[] | undefined;
      return items?.find((d) => /65536|too long/i.test(String(d.reason)));
    }, 90_000);
    expect(parked.reason).toMatch(/too long/i);
    // No issue carries a cut-down copy of the text.
    const bodies = [...github.repositories.repo(REPO).issues.values()].map((i) =>
      String((i as Json).body ?? ''),
    );
    expect(bodies.filter((b) => b.startsWith('word0 word1') && b !== words)).toEqual([]);
  }, 150_000);

  it('accepts a signed 400 KiB generic webhook; the event feed keeps it by reference', async () => {
    const body = JSON.stringify({ type: 'build.finished', data: { log: 'x'.repeat(400 * 1024) } });
    const res = await sendGeneric(body);
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    const stored = await eventually(async () => {
      const feed = (await admin('GET', `/v1/orgs/${orgId}/events?limit=100`)).json as Json;
      return (feed.items as Json[]).find((e) => e.id === eventId);
    }, 30_000);
    expect(stored).toMatchObject({
      type: 'custom.build.finished',
      data: {},
      claim: { key: `T#${orgId}/events/${eventId}.json`, bytes: expect.any(Number) },
    });
    expect(stored.claim.bytes).toBeGreaterThan(400 * 1024);
  }, 60_000);

  it('refuses a signed 7 MiB webhook with 413 and a 20,000-deep one with 400, as problems', async () => {
    const big = JSON.stringify({ type: 'build.finished', data: { log: 'x'.repeat(7 * MiB) } });
    const tooBig = await sendGeneric(big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers.get('content-type')).toBe('application/problem+json');
    expect(((await tooBig.json()) as Json).detail).toMatch(/at most 5242880 bytes \(5 MiB\)/);
    const deep = `{"type":"build.finished","data":{"v":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
    const tooDeep = await sendGeneric(deep);
    expect(tooDeep.status).toBe(400);
    expect(((await tooDeep.json()) as Json).detail).toMatch(/deeper than 128 levels/);
    // The hub is still well.
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
  }, 60_000);
});
