import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';

const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: Record<string, unknown>[];
}[];
const example = (event: string, action?: string) =>
  examples.find((e) => e.name === event)?.examples.find((p) => action === undefined || p.action === action);

let hub: RuntimeProcess;
beforeAll(async () => {
  hub = await startRuntime();
});
afterAll(async () => {
  await hub?.stop();
});

async function githubConnection(slug: string) {
  const admin = client(hub);
  const org = (await admin('POST', '/v1/orgs', { name: slug, slug })).json as { id: string };
  const con = (await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'github', name: 'GitHub' }))
    .json as { id: string; webhookSecret: string; webhookUrl: string };
  return { org, con };
}

const deliver = async (url: string, secret: string, event: string, payload: unknown, delivery: string) => {
  const body = JSON.stringify(payload);
  return client(hub, '')('POST', url, body, {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': await sign(secret, body),
  });
};

describe('GitHub webhooks over HTTP', () => {
  it("verifies, de-duplicates and normalises GitHub's own payloads into the org's event feed", async () => {
    const { org, con } = await githubConnection('gh-hooks');
    expect(con.webhookUrl).toBe(`/webhooks/github/${con.id}`);
    const opened = await deliver(
      con.webhookUrl,
      con.webhookSecret,
      'issues',
      example('issues', 'opened'),
      'd-1',
    );
    expect(opened.status).toBe(202);
    expect(opened.json).toMatchObject({ duplicate: false });
    const again = await deliver(
      con.webhookUrl,
      con.webhookSecret,
      'issues',
      example('issues', 'opened'),
      'd-1',
    );
    expect(again.json).toEqual({ eventId: opened.json.eventId, duplicate: true });

    const feed = await eventually(async () => {
      const res = await client(hub)('GET', `/v1/orgs/${org.id}/events`);
      const items = (res.json.items as { id: string; type: string; source: { provider: string } }[]).filter(
        (e) => e.source.provider === 'github',
      );
      return items.length > 0 ? items : undefined;
    });
    const { issue, repository } = example('issues', 'opened') as {
      issue: { number: number; title: string };
      repository: { full_name: string };
    };
    expect(feed).toEqual([
      expect.objectContaining({
        id: opened.json.eventId,
        type: 'work_item.created',
        source: expect.objectContaining({ provider: 'github' }),
        // The feed carries the canonical model, not GitHub's payload; the raw delivery by reference.
        data: expect.objectContaining({
          item: expect.objectContaining({
            key: `${repository.full_name}#${issue.number}`,
            title: issue.title,
            status: { name: 'open', category: 'todo' },
          }),
          changedFields: expect.arrayContaining(['title', 'status']),
        }),
        raw: {
          deliveryId: 'd-1',
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          contentType: 'application/json',
        },
      }),
    ]);
    expect(feed[0]).not.toHaveProperty('data.issue');

    // Every other event type is acknowledged, never refused.
    const star = await deliver(con.webhookUrl, con.webhookSecret, 'star', example('star'), 'd-2');
    expect(star.status).toBe(202);
    expect(star.json).toEqual({ ignored: true });
  });

  it('fails closed: bad or missing signatures, wrong providers and malformed deliveries get problem+json', async () => {
    const { con } = await githubConnection('gh-refusals');
    const payload = example('issues', 'opened');
    const forged = await deliver(con.webhookUrl, 'not-the-secret', 'issues', payload, 'd-3');
    expect(forged.status).toBe(401);
    expect(forged.headers.get('content-type')).toContain('application/problem+json');
    const unsigned = await client(hub, '')('POST', con.webhookUrl, JSON.stringify(payload), {
      'content-type': 'application/json',
      'x-github-event': 'issues',
      'x-github-delivery': 'd-4',
    });
    expect(unsigned.status).toBe(401);
    // A GitHub delivery to the generic endpoint of the same connection names no generic connection.
    const wrong = await deliver(`/webhooks/generic/${con.id}`, con.webhookSecret, 'issues', payload, 'd-5');
    expect(wrong.status).toBe(404);
    const noDelivery = await client(hub, '')('POST', con.webhookUrl, '{}', {
      'content-type': 'application/json',
      'x-github-event': 'issues',
      'x-hub-signature-256': await sign(con.webhookSecret, '{}'),
    });
    expect(noDelivery.status).toBe(400);
  });

  it('receives Jira Cloud webhooks signed with X-Hub-Signature, once per X-Atlassian-Webhook-Identifier', async () => {
    const admin = client(hub);
    const org = (await admin('POST', '/v1/orgs', { name: 'jira-hooks', slug: 'jira-hooks' })).json as {
      id: string;
    };
    const con = (
      await admin('POST', `/v1/orgs/${org.id}/connections`, {
        provider: 'jira',
        name: 'Jira',
        config: { baseUrl: 'https://acme.atlassian.net' },
      })
    ).json as {
      webhookUrl: string;
      webhookSecret: string;
    };
    const body = readFileSync(join(process.cwd(), 'test', 'fixtures', 'jira', 'issue-updated.json'), 'utf8');
    const send = async (secret: string, id: string) =>
      client(hub, '')('POST', con.webhookUrl, body, {
        'content-type': 'application/json',
        'x-atlassian-webhook-identifier': id,
        'x-hub-signature': await sign(secret, body),
      });
    const first = await send(con.webhookSecret, 'jira-1');
    expect(first.status).toBe(202);
    expect((await send(con.webhookSecret, 'jira-1')).json).toEqual({
      eventId: first.json.eventId,
      duplicate: true,
    });
    expect((await send('forged', 'jira-2')).status).toBe(401);
    const stored = await eventually(async () => {
      const items = (await admin('GET', `/v1/orgs/${org.id}/events`)).json.items as {
        type: string;
        source: { provider: string };
        data: Record<string, unknown>;
      }[];
      return items.find((e) => e.source.provider === 'jira');
    });
    expect(stored.type).toBe('work_item.updated');
    // Jira's ADF and status categories arrive as the canonical model.
    expect(stored.data).toMatchObject({
      item: {
        key: 'PROJ-2',
        description: 'Builds should report back.',
        status: { name: 'In Progress', category: 'in_progress' },
      },
      changes: [{ field: 'status', from: 'To Do', to: 'In Progress' }],
    });
  });

  it('manages connections: base URLs, disable/enable, secret rotation with an overlap, delete', async () => {
    const admin = client(hub);
    const org = (await admin('POST', '/v1/orgs', { name: 'con-admin', slug: 'con-admin' })).json as {
      id: string;
    };
    const base = `/v1/orgs/${org.id}/connections`;
    const ghes = await admin('POST', base, {
      provider: 'github',
      name: 'GHES',
      config: { baseUrl: 'https://github.acme.test/api/v3/' },
    });
    expect(ghes.json).toMatchObject({
      status: 'active',
      config: { baseUrl: 'https://github.acme.test/api/v3' },
    });
    const dotcom = await admin('POST', base, { provider: 'github', name: 'GitHub' });
    expect(dotcom.json.config).toEqual({ baseUrl: 'https://api.github.com' });
    expect((await admin('POST', base, { provider: 'jira', name: 'Jira' })).status).toBe(400);
    expect(
      (await admin('POST', base, { provider: 'jira', name: 'Jira', config: { baseUrl: 'ftp://x' } })).status,
    ).toBe(400);

    const con = ghes.json as { id: string; webhookUrl: string; webhookSecret: string };
    const listed = (await admin('GET', base)).json.items as { id: string }[];
    expect(listed.map((c) => c.id).sort()).toEqual([con.id, String(dotcom.json.id)].sort());
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    const renamed = await admin('PATCH', `${base}/${con.id}`, { name: 'GHES prod' });
    expect(renamed.json).toMatchObject({
      name: 'GHES prod',
      config: { baseUrl: 'https://github.acme.test/api/v3' },
    });

    const payload = example('issues', 'opened');
    expect((await admin('POST', `${base}/${con.id}/disable`)).json.status).toBe('disabled');
    expect((await deliver(con.webhookUrl, con.webhookSecret, 'issues', payload, 'r-1')).status).toBe(404);
    expect((await admin('POST', `${base}/${con.id}/disable`)).status).toBe(409);
    expect((await admin('POST', `${base}/${con.id}/enable`)).json.status).toBe('active');

    const rotated = await admin('POST', `${base}/${con.id}/rotate-secret`, { overlapSeconds: 3600 });
    expect(rotated.status).toBe(200);
    const fresh = String(rotated.json.webhookSecret);
    expect(fresh).not.toBe(con.webhookSecret);
    expect(rotated.json.previousSecretExpiresAt).toEqual(expect.any(String));
    // Both secrets verify during the overlap; a forged one never does.
    expect((await deliver(con.webhookUrl, con.webhookSecret, 'issues', payload, 'r-2')).status).toBe(202);
    expect((await deliver(con.webhookUrl, fresh, 'issues', payload, 'r-3')).status).toBe(202);
    expect((await deliver(con.webhookUrl, 'forged', 'issues', payload, 'r-4')).status).toBe(401);
    const immediate = await admin('POST', `${base}/${con.id}/rotate-secret`, { overlapSeconds: 0 });
    expect((await deliver(con.webhookUrl, fresh, 'issues', payload, 'r-5')).status).toBe(401);
    expect(
      (await deliver(con.webhookUrl, String(immediate.json.webhookSecret), 'issues', payload, 'r-6')).status,
    ).toBe(202);

    expect((await admin('DELETE', `${base}/${con.id}`)).status).toBe(204);
    expect((await admin('GET', `${base}/${con.id}`)).status).toBe(404);
    expect(
      (await deliver(con.webhookUrl, String(immediate.json.webhookSecret), 'issues', payload, 'r-7')).status,
    ).toBe(404);
    const usage = (await admin('GET', `/v1/orgs/${org.id}/usage`)).json as { usage: { connections: number } };
    expect(usage.usage.connections).toBe(1);
    const trail = (
      await admin('GET', `/v1/orgs/${org.id}/audit-events?limit=100&targetType=connection&targetId=${con.id}`)
    ).json.items as { action: string }[];
    expect(trail.map((r) => r.action)).toEqual([
      'connection.deleted',
      'connection.secret_rotated',
      'connection.secret_rotated',
      'connection.enabled',
      'connection.disabled',
      'connection.updated',
      'connection.created',
    ]);
  });

  it("keeps the raw delivery by reference: its org's admins read it byte for byte, others do not", async () => {
    const { org, con } = await githubConnection('gh-raw');
    const other = await githubConnection('gh-raw-other');
    const keyOf = async (orgId: string, role: string) =>
      String((await client(hub)('POST', `/v1/orgs/${orgId}/api-keys`, { name: role, role })).json.key);
    // Indented as GitHub's own examples are: the raw copy must keep the bytes, not re-serialise them.
    const body = JSON.stringify(example('issues', 'opened'), null, 2);
    const sent = await client(hub, '')('POST', con.webhookUrl, body, {
      'content-type': 'application/json',
      'x-github-event': 'issues',
      'x-github-delivery': 'd-raw-1',
      'x-hub-signature-256': await sign(con.webhookSecret, body),
    });
    expect(sent.status).toBe(202);
    const eventId = String(sent.json.eventId);
    const path = `/v1/orgs/${org.id}/events/${eventId}/raw`;
    const admin = client(hub, await keyOf(org.id, 'admin'));
    const raw = await eventually(async () => {
      const res = await admin('GET', path);
      return res.status === 200 ? res : undefined;
    });
    expect(raw.text).toBe(body);
    expect(raw.headers.get('content-type')).toBe('application/octet-stream');
    expect(raw.headers.get('x-original-content-type')).toMatch(/^application\/json/);
    expect(raw.headers.get('x-delivery-id')).toBe('d-raw-1');
    const feed = (await admin('GET', `/v1/orgs/${org.id}/events`)).json.items as {
      id: string;
      raw: { sha256: string };
    }[];
    expect(raw.headers.get('x-content-sha256')).toBe(feed.find((e) => e.id === eventId)?.raw.sha256);

    const otherAdmin = await client(hub, await keyOf(other.org.id, 'admin'))('GET', path);
    // The gate refuses another org's credentials before anything of this org is read.
    expect([403, 404]).toContain(otherAdmin.status);
    expect(otherAdmin.text).not.toContain('"action"');
    const viewer = await client(hub, await keyOf(org.id, 'viewer'))('GET', path);
    expect(viewer.status).toBe(403);
    expect(viewer.headers.get('content-type')).toMatch(/problem\+json/);
    const unknown = await admin('GET', `/v1/orgs/${org.id}/events/evt_01JD3Q4ZK8M7X2V9N6B5C4D3E9/raw`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/problem\+json/);

    const cli = runCli(hub, ['events', 'raw', org.id, eventId]);
    expect(cli.status).toBe(0);
    expect(cli.stdout).toBe(body);
    const trail = (await client(hub)('GET', `/v1/orgs/${org.id}/audit-events?action=event.raw_read`)).json
      .items as { targets: { id: string }[]; after?: Record<string, unknown> }[];
    expect(trail.length).toBeGreaterThanOrEqual(2);
    expect(trail.every((r) => r.targets[0]?.id === eventId)).toBe(true);
    const { title } = (example('issues', 'opened') as { issue: { title: string } }).issue;
    expect(JSON.stringify(trail)).not.toContain(title);
  });

  it('sends a GitHub delivery from the CLI', async () => {
    const { con } = await githubConnection('gh-cli');
    const file = join(hub.dataDir, 'pull_request.json');
    writeFileSync(file, JSON.stringify(example('pull_request', 'opened')));
    // The secret from a file, so it shows in no process list.
    const secretFile = join(hub.dataDir, 'gh-cli.secret');
    writeFileSync(secretFile, `${con.webhookSecret}\n`);
    const sent = runCli(hub, [
      'webhooks',
      'send',
      'github',
      con.id,
      '--secret-file',
      secretFile,
      '--event',
      'pull_request',
      '--file',
      file,
    ]);
    expect(sent.status).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({
      duplicate: false,
      eventId: expect.stringMatching(/^evt_/),
    });
  });
});
