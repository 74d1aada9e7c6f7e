import type { FakeGithub } from '../fakes/github';
import type { FakeJira } from '../fakes/jira';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, startRuntime } from '../support/runtime-process';
import type { SyncFakes } from '../support/sync-fakes';
import { connectSyncFakes, startSyncFakes } from '../support/sync-fakes';

/**
 * A suspended org's work is not done, and nothing it changed meanwhile is lost: after it is
 * reactivated, the scheduled reconciliation brings over what changed while it was suspended.
 */
const REPO = 'acme/web';

let hub: RuntimeProcess;
let fakes: SyncFakes;
let github: FakeGithub;
let jira: FakeJira;
let admin: ReturnType<typeof client>;
let orgId: string;

// biome-ignore lint/suspicious/noExplicitAny: the tests read the providers' and the hub's JSON freely
type Json = Record<string, any>;

const asHuman = (fake: 'jira' | 'github', method: string, path: string, body?: unknown) =>
  fakes.asHuman(fake, method, path, body);

beforeAll(async () => {
  fakes = await startSyncFakes();
  ({ github, jira } = fakes);
  // Reconciliation may look at changes up to now: the test says when webhooks were refused.
  process.env.SYNC_SETTLE_SECONDS = '0';
  // Its own runtime: the reconciliation schedule it runs counts every org's mappings.
  hub = await startRuntime({ own: true });
  admin = client(hub);
  orgId = ((await admin('POST', '/v1/orgs', { name: 'Paused Co', slug: 'paused-co' })).json as Json).id;
  const { jiraConnection, githubConnection } = await connectSyncFakes(hub, orgId, fakes);
  const mapping = await admin('POST', `/v1/orgs/${orgId}/mappings`, {
    tracker: { connectionId: jiraConnection, project: 'WEB' },
    codeHost: { connectionId: githubConnection, repository: REPO },
  });
  expect(mapping.status).toBe(201);
}, 150_000);

afterAll(async () => {
  await hub?.stop();
  await fakes?.stop();
});

describe('a suspended organisation', () => {
  it('gets nothing synced while suspended, and what changed meanwhile is synced after reactivation', async () => {
    const created = await asHuman('jira', 'POST', '/rest/api/3/issue', {
      fields: { project: { key: 'WEB' }, issuetype: { name: 'Task' }, summary: 'Before the pause' },
    });
    // The first sync cold-starts the workers: it may take a while on a busy machine.
    const link = await eventually(async () => {
      const json = (await admin('GET', `/v1/orgs/${orgId}/links?limit=100`)).json as Json;
      return (json.items as Json[]).find((l) => l.tracker.key === created.key);
    }, 60_000);
    const number = Number(String(link.codeHost.key).split('#').pop());
    await Promise.all([github.webhooks.settled(), jira.webhooks.settled()]);
    const summary = () => (jira.issues.get(created.key) as { fields: Json }).fields.summary;

    expect((await admin('POST', `/v1/orgs/${orgId}/suspend`)).status).toBe(200);
    // Edits on GitHub until the hub refuses the org's webhooks (its tenant cache holds for seconds).
    let edits = 0;
    const title = await eventually(async () => {
      edits += 1;
      const next = `Edited while paused ${edits}`;
      await asHuman('github', 'PATCH', `/repos/${REPO}/issues/${number}`, { title: next });
      await github.webhooks.settled();
      return github.webhooks.sent.at(-1)?.status === 403 ? next : undefined;
    }, 20_000);
    await Promise.all([github.webhooks.settled(), jira.webhooks.settled()]);
    expect(summary()).not.toBe(title);

    expect((await admin('POST', `/v1/orgs/${orgId}/reactivate`)).json.status).toBe('active');
    const run = await fetch(`${hub.url}/_local/schedules/reconcileSync`, { method: 'POST' });
    expect(await run.json()).toMatchObject({ queued: 1, skipped: 0 });
    await eventually(async () => (summary() === title ? true : undefined), 30_000);
  });
});
