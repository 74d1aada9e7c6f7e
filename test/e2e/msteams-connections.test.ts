import type { FakeTeams } from '../fakes/msteams/fake-teams';
import { startFakeTeams, TEAMS_TENANT } from '../fakes/msteams/fake-teams';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, startRuntime } from '../support/runtime-process';

let hub: RuntimeProcess;
let fake: FakeTeams;
beforeAll(async () => {
  fake = await startFakeTeams();
  hub = await startRuntime();
});
afterAll(async () => {
  await hub?.stop();
  await fake?.stop();
});

describe('Microsoft Teams connections in the local runtime', () => {
  it('take the tenant a bot claims and a secret Workflows URL; the connection webhook route refuses activities', async () => {
    const admin = client(hub);
    const org = (await admin('POST', '/v1/orgs', { name: 'Teams test', slug: 'teams-test' })).json as {
      id: string;
    };
    const created = await admin('POST', `/v1/orgs/${org.id}/connections`, {
      provider: 'msteams',
      name: 'Teams',
      config: { baseUrl: fake.url },
    });
    expect(created.status).toBe(201);
    const con = created.json as { id: string };
    const path = `/v1/orgs/${org.id}/connections/${con.id}`;

    const bot = await admin('PUT', `${path}/credentials`, {
      kind: 'teams_bot',
      tenantId: TEAMS_TENANT.toUpperCase(),
    });
    expect(bot.status).toBe(200);
    expect(bot.json.credentials).toMatchObject({ kind: 'teams_bot', tenantId: TEAMS_TENANT });
    expect(
      (await admin('PUT', `${path}/credentials`, { kind: 'teams_bot', tenantId: 'not-a-guid' })).status,
    ).toBe(400);

    const flow = await admin('PUT', `${path}/credentials`, {
      kind: 'teams_workflow_webhook',
      url: fake.workflowUrl('wf'),
    });
    expect(flow.status).toBe(200);
    expect(flow.text).not.toContain('fake-sig');
    expect((await admin('GET', path)).text).not.toContain('fake-sig');

    const activity = fake.activities.message({ id: '19:general@thread.tacv2' }, 'status WEB-12');
    const posted = await fake.send(`${hub.url}/webhooks/msteams/${con.id}`, activity);
    expect(posted.status).toBe(401);
  });
});
