import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';
import { signedHeaders } from '../support/webhooks';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the hub's JSON freely
type Json = Record<string, any>;

interface Mail {
  messageId: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  tags?: Record<string, string>;
}

let hub: RuntimeProcess;
let admin: ReturnType<typeof client>;
let orgId: string;
let ownerKey: string;
let ada: { id: string; token: string };
let bo: { id: string; token: string };
let generic: { id: string; webhookSecret: string; webhookUrl: string };
const suffix = Math.random().toString(36).slice(2, 8);
const adaEmail = `ada-${suffix}@mail.test`;
const boEmail = `bo-${suffix}@mail.test`;
const prefsOf = (userId: string) => `/v1/orgs/${orgId}/users/${userId}/notification-preferences`;

const mint = (sub: string) =>
  runCli(hub, ['token', 'mint', '--sub', sub, '--org', orgId, '--role', 'member']).stdout.trim();

beforeAll(async () => {
  // Its own runtime: the digest test moves the hub's clock.
  hub = await startRuntime({ own: true });
  admin = client(hub);
  orgId = (await admin('POST', '/v1/orgs', { name: 'Mail & Co', slug: `mail-${suffix}` })).json.id as string;
  ownerKey = String(
    (await admin('POST', `/v1/orgs/${orgId}/api-keys`, { name: 'owner', role: 'owner' })).json.key,
  );
  const user = async (email: string, name: string) => {
    const id = (await admin('POST', `/v1/orgs/${orgId}/users`, { email, name, role: 'member' })).json
      .id as string;
    return { id, token: mint(id) };
  };
  ada = await user(adaEmail, 'Ada');
  bo = await user(boEmail, 'Bo');
  generic = (await admin('POST', `/v1/orgs/${orgId}/connections`, { provider: 'generic', name: 'ci' }))
    .json as typeof generic;
}, 240_000);
afterAll(async () => {
  await hub?.stop();
});

async function mailTo(address: string, count = 1): Promise<Mail[]> {
  return eventually(async () => {
    const res = await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(address)}`);
    const items = ((await res.json()) as { items: Mail[] }).items;
    return items.length >= count ? items : undefined;
  }, 30_000);
}

/** Sends an event through the org's generic connection (a sender's own type: `custom.<type>`). */
async function sendEvent(type: string, data: Json): Promise<void> {
  const body = JSON.stringify({ type, data });
  const res = await client(hub, '')('POST', generic.webhookUrl, body, {
    'content-type': 'application/json',
    ...signedHeaders(generic.webhookSecret, body),
  });
  expect(res.status).toBe(202);
}

async function emailRule(name: string, destination: Json, eventTypes = ['custom.*']) {
  const res = await client(hub, ownerKey)('POST', `/v1/orgs/${orgId}/notification-rules`, {
    name,
    eventTypes,
    destinations: [{ kind: 'email', ...destination }],
  });
  expect(res.status).toBe(201);
  return res.json.id as string;
}

const tokenOf = (mail: Mail | undefined) =>
  /token=(hubunsub_[A-Za-z0-9_-]{43})/.exec(mail?.headers?.['List-Unsubscribe'] ?? '')?.[1] ?? '';

describe('notification preferences over HTTP and the CLI', () => {
  it('are the user’s own to read and set; another member is refused; users:manage may', async () => {
    const asAda = client(hub, ada.token);
    const defaults = await asAda('GET', prefsOf(ada.id));
    expect(defaults.status).toBe(200);
    expect(defaults.json).toEqual({
      userId: ada.id,
      mute: null,
      eventTypes: ['*'],
      channels: { email: true },
      digest: 'off',
      dailyHourUtc: 8,
      updatedAt: null,
    });
    const set = await asAda('PUT', prefsOf(ada.id), { eventTypes: ['custom.*'], dailyHourUtc: 6 });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ eventTypes: ['custom.*'], dailyHourUtc: 6, digest: 'off' });
    expect((await asAda('GET', prefsOf(ada.id))).json).toMatchObject({ eventTypes: ['custom.*'] });

    const other = await asAda('PUT', prefsOf(bo.id), { channels: { email: false } });
    expect(other.status).toBe(403);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    expect((await asAda('GET', prefsOf(bo.id))).status).toBe(403);
    // The owner holds users:manage.
    expect((await client(hub, ownerKey)('GET', prefsOf(bo.id))).json).toMatchObject({ userId: bo.id });

    const bad = await asAda('PUT', prefsOf(ada.id), { eventTypes: ['Not A Type'], pager: true });
    expect(bad.status).toBe(400);

    const audit = await client(hub, ownerKey)(
      'GET',
      `/v1/orgs/${orgId}/audit-events?action=notification_preferences.updated`,
    );
    expect((audit.json.items as Json[])[0]).toMatchObject({
      actor: { id: ada.id },
      targets: [{ type: 'user', id: ada.id }],
    });
    // Back to the defaults for the tests below.
    expect((await asAda('PUT', prefsOf(ada.id), {})).status).toBe(200);
  });

  it('the CLI changes only the options given, as the user, and refuses another user’s', () => {
    const set = runCli(
      hub,
      ['notifications', 'preferences', 'set', orgId, bo.id, '--digest', 'daily', '--daily-hour', '7'],
      bo.token,
    );
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ digest: 'daily', dailyHourUtc: 7, eventTypes: ['*'] });
    const muted = runCli(hub, ['notifications', 'preferences', 'set', orgId, bo.id, '--mute'], bo.token);
    expect(JSON.parse(muted.stdout)).toMatchObject({
      mute: { until: null },
      digest: 'daily',
      dailyHourUtc: 7,
    });
    const got = runCli(hub, ['notifications', 'preferences', 'get', orgId, bo.id], bo.token);
    expect(JSON.parse(got.stdout)).toMatchObject({ userId: bo.id, mute: { until: null } });

    const refused = runCli(hub, ['notifications', 'preferences', 'get', orgId, bo.id], ada.token);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('403');
    expect(
      runCli(
        hub,
        ['notifications', 'preferences', 'set', orgId, bo.id, '--no-mute', '--digest', 'off'],
        bo.token,
      ).status,
    ).toBe(0);
  });
});

describe('unsubscribe links', () => {
  it('answer an unknown token with a plain page on GET and problem+json on POST', async () => {
    const unknown = `hubunsub_${'A'.repeat(43)}`;
    const page = await fetch(`${hub.url}/unsubscribe?token=${unknown}`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    const post = await fetch(`${hub.url}/unsubscribe?token=${unknown}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(post.status).toBe(404);
    expect(post.headers.get('content-type')).toContain('application/problem+json');
    const huge = await fetch(`${hub.url}/unsubscribe?token=${'x'.repeat(5000)}`);
    expect(huge.status).toBe(404);
  });

  it('GET shows a confirm page and changes nothing; the one-click POST turns the user’s email off, audited', async () => {
    const control = `control-deploys-${suffix}@mail.test`;
    const ruleId = await emailRule('Deploys to Ada', { userIds: [ada.id], addresses: [control] }, [
      'custom.deploy.*',
    ]);
    await sendEvent('deploy.done', { env: 'prod', version: '<b>1.2</b>' });
    const [mail] = await mailTo(adaEmail);
    expect(mail?.subject).toBe('[Standard Webhooks] Event deploy.done');
    expect(mail?.html).toContain('&lt;b&gt;1.2&lt;/b&gt;');
    expect(mail?.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(mail?.tags).toEqual({ orgId });
    const token = tokenOf(mail);
    expect(token).not.toBe('');
    expect(mail?.text).toContain(`unsubscribe?token=${token}`);

    // A link scanner opening the link changes nothing.
    const page = await fetch(`${hub.url}/unsubscribe?token=${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Mail &amp; Co');
    expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
    expect((await client(hub, ada.token)('GET', prefsOf(ada.id))).json.channels).toEqual({ email: true });

    const notOneClick = await fetch(`${hub.url}/unsubscribe?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=Maybe',
    });
    expect(notOneClick.status).toBe(400);
    const done = await fetch(`${hub.url}/unsubscribe?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(done.status).toBe(200);
    expect((await client(hub, ada.token)('GET', prefsOf(ada.id))).json.channels).toEqual({ email: false });
    const audit = await client(hub, ownerKey)(
      'GET',
      `/v1/orgs/${orgId}/audit-events?action=notification_preferences.unsubscribed`,
    );
    expect((audit.json.items as Json[])[0]).toMatchObject({
      targets: [{ type: 'user', id: ada.id }],
      after: { channels: { email: false } },
    });
    expect(JSON.stringify(audit.json)).not.toContain(token);

    // Unsubscribed: the next event reaches the rule's other address, and Ada no more.
    await sendEvent('deploy.failed', { env: 'prod' });
    await mailTo(control, 2);
    await client(hub, ownerKey)('DELETE', `/v1/orgs/${orgId}/notification-rules/${ruleId}`);
    expect((await mailTo(adaEmail)).map((m) => m.subject)).toEqual(['[Standard Webhooks] Event deploy.done']);
    expect((await client(hub, ada.token)('PUT', prefsOf(ada.id), {})).status).toBe(200);
  });
});

describe('mail suppressions', () => {
  it('suppress an address the mail service reports as bounced, list it, and lift it with the CLI', async () => {
    const address = `gone-${suffix}@mail.test`;
    const control = `control-builds-${suffix}@mail.test`;
    const ruleId = await emailRule('Builds to ops', { addresses: [address, control] }, ['custom.build.*']);
    await sendEvent('build.finished', { build: 1 });
    const [mail] = await mailTo(address);
    const feedback = await fetch(`${hub.url}/_local/mailbox/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: address, kind: 'bounce', messageId: mail?.messageId }),
    });
    expect(feedback.status).toBeLessThan(300);
    const asOwner = client(hub, ownerKey);
    const listed = await eventually(async () => {
      const page = (await asOwner('GET', `/v1/orgs/${orgId}/mail-suppressions`)).json.items as Json[];
      return page.find((s) => s.address === address);
    }, 30_000);
    expect(listed).toMatchObject({ reason: 'bounce' });
    const cli = runCli(hub, ['mail-suppressions', 'list', orgId], ownerKey);
    expect(cli.stdout).toContain(address);

    const audit = await asOwner('GET', `/v1/orgs/${orgId}/audit-events?action=mail_suppression.created`);
    expect((audit.json.items as Json[]).find((r) => r.targets[0]?.id === address)).toMatchObject({
      actor: { type: 'system' },
      after: { reason: 'bounce' },
    });

    // Suppressed: the next event reaches the rule's other address, and this one no more.
    await sendEvent('build.finished', { build: 2 });
    await mailTo(control, 2);
    expect(await mailTo(address)).toHaveLength(1);

    expect(runCli(hub, ['mail-suppressions', 'delete', orgId, address], ownerKey).status).toBe(0);
    expect(
      ((await asOwner('GET', `/v1/orgs/${orgId}/mail-suppressions`)).json.items as Json[]).map(
        (s) => s.address,
      ),
    ).not.toContain(address);
    expect(
      (await asOwner('DELETE', `/v1/orgs/${orgId}/mail-suppressions/${encodeURIComponent(address)}`)).status,
    ).toBe(404);
    await asOwner('DELETE', `/v1/orgs/${orgId}/notification-rules/${ruleId}`);
  });
});

describe('email digests', () => {
  it('collect matched events and send one digest email once its hour has come', async () => {
    const asBo = client(hub, bo.token);
    expect((await asBo('PUT', prefsOf(bo.id), { digest: 'hourly' })).status).toBe(200);
    const control = `control-releases-${suffix}@mail.test`;
    const ruleId = await emailRule('Releases to Bo', { userIds: [bo.id], addresses: [control] }, [
      'custom.release.*',
    ]);
    await sendEvent('release.cut', { version: '1.0' });
    await sendEvent('release.shipped', { version: '1.0' });
    const asOwner = client(hub, ownerKey);
    // The matcher has handled both events (Bo's digest took them) once the rule's other address has both.
    await mailTo(control, 2);
    // Before its hour, nothing goes to Bo.
    expect((await fetch(`${hub.url}/_local/schedules/sendDigests`, { method: 'POST' })).status).toBe(200);
    const before = await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(boEmail)}`);
    expect(((await before.json()) as { items: Mail[] }).items).toEqual([]);
    const clock = await fetch(`${hub.url}/_local/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceSeconds: 3700 }),
    });
    expect(clock.status).toBe(200);
    const digest = await eventually(async () => {
      await fetch(`${hub.url}/_local/schedules/sendDigests`, { method: 'POST' });
      const res = await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(boEmail)}`);
      const items = ((await res.json()) as { items: Mail[] }).items;
      return items.find((m) => m.subject.includes('digest')) ? items : undefined;
    }, 60_000);
    expect(digest).toHaveLength(1);
    expect(digest[0]?.subject).toBe('Your hourly digest from Mail & Co: 2 events');
    expect(digest[0]?.text).toContain('Event release.cut');
    expect(digest[0]?.text).toContain('Event release.shipped');
    expect(digest[0]?.html).toContain('Unsubscribe');
    expect(tokenOf(digest[0])).not.toBe('');
    // Sent once: the next sweep sends nothing more.
    await fetch(`${hub.url}/_local/schedules/sendDigests`, { method: 'POST' });
    expect(await mailTo(boEmail)).toHaveLength(1);
    await asOwner('DELETE', `/v1/orgs/${orgId}/notification-rules/${ruleId}`);
  });
});
