import { CONFIRMATION_SUBJECT, confirmAddress, withoutConfirmations } from '../support/mail-confirmations';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';
import { signedHeaders } from '../support/webhooks';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the hub's JSON freely
type Json = Record<string, any>;
type Connection = { id: string; webhookSecret: string; webhookUrl: string };

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
}, 240_000);
afterAll(async () => {
  await hub?.stop();
});

/**
 * An org of its own for each test that adds a rule: the matcher caches an org's rules for seconds,
 * so a rule added right after another event of the same org could be missed.
 */
async function freshOrg(name: string) {
  const id = (
    await admin('POST', '/v1/orgs', { name, slug: `${name.toLowerCase().replace(/\W+/g, '-')}-${suffix}` })
  ).json.id as string;
  const key = String(
    (await admin('POST', `/v1/orgs/${id}/api-keys`, { name: 'owner', role: 'owner' })).json.key,
  );
  const connection = (await admin('POST', `/v1/orgs/${id}/connections`, { provider: 'generic', name: 'ci' }))
    .json as Connection;
  const addUser = async (email: string) =>
    (await admin('POST', `/v1/orgs/${id}/users`, { email, name: email, role: 'member' })).json.id as string;
  const asOwner = client(hub, key);
  const prefs = (userId: string) => `/v1/orgs/${id}/users/${userId}/notification-preferences`;
  const rule = async (ruleName: string, destination: Json, eventTypes: string[]) => {
    const res = await asOwner('POST', `/v1/orgs/${id}/notification-rules`, {
      name: ruleName,
      eventTypes,
      destinations: [{ kind: 'email', ...destination }],
    });
    expect(res.status).toBe(201);
    // Double opt-in: each bare address the rule names confirms, as its owner would.
    for (const { address, state } of res.json.addressConfirmations as { address: string; state: string }[])
      if (state === 'pending') await confirmAddress(hub, address);
    return res.json.id as string;
  };
  const send = (type: string, data: Json) => sendEvent(type, data, connection);
  return { id, key, asOwner, addUser, prefs, rule, send };
}

async function mailTo(address: string, count = 1): Promise<Mail[]> {
  return eventually(async () => {
    const res = await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(address)}`);
    const items = withoutConfirmations(((await res.json()) as { items: Mail[] }).items);
    return items.length >= count ? items : undefined;
  }, 30_000);
}

/** Sends an event through the org's generic connection (a sender's own type: `custom.<type>`). */
async function sendEvent(type: string, data: Json, via: Connection): Promise<void> {
  const body = JSON.stringify({ type, data });
  const res = await client(hub, '')('POST', via.webhookUrl, body, {
    'content-type': 'application/json',
    ...signedHeaders(via.webhookSecret, body),
  });
  expect(res.status).toBe(202);
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
      channels: { email: true, chat: true },
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
    const org = await freshOrg('Deploy & Co');
    const address = `ada-deploys-${suffix}@mail.test`;
    const control = `control-deploys-${suffix}@mail.test`;
    const userId = await org.addUser(address);
    await org.rule('Deploys to Ada', { userIds: [userId], addresses: [control] }, ['custom.deploy.*']);
    await org.send('deploy.done', { env: 'prod', version: '<b>1.2</b>' });
    const [mail] = await mailTo(address);
    expect(mail?.subject).toBe('[Standard Webhooks] Event deploy.done');
    expect(mail?.html).toContain('&lt;b&gt;1.2&lt;/b&gt;');
    expect(mail?.html).not.toContain('<b>1.2</b>');
    expect(mail?.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(mail?.tags).toEqual({ orgId: org.id });
    const token = tokenOf(mail);
    expect(token).not.toBe('');
    expect(mail?.text).toContain(`unsubscribe?token=${token}`);

    // A link scanner opening the link changes nothing.
    const page = await fetch(`${hub.url}/unsubscribe?token=${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Deploy &amp; Co');
    expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
    expect((await org.asOwner('GET', org.prefs(userId))).json.channels).toEqual({ email: true, chat: true });

    const post = (body: string) =>
      fetch(`${hub.url}/unsubscribe?token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    expect((await post('List-Unsubscribe=Maybe')).status).toBe(400);
    expect((await org.asOwner('GET', org.prefs(userId))).json.channels).toEqual({ email: true, chat: true });
    const done = await post('List-Unsubscribe=One-Click');
    expect(done.status).toBe(200);
    expect((await org.asOwner('GET', org.prefs(userId))).json.channels).toEqual({ email: false, chat: true });
    const audit = await org.asOwner(
      'GET',
      `/v1/orgs/${org.id}/audit-events?action=notification_preferences.unsubscribed`,
    );
    expect((audit.json.items as Json[])[0]).toMatchObject({
      targets: [{ type: 'user', id: userId }],
      after: { channels: { email: false } },
    });
    expect(JSON.stringify(audit.json)).not.toContain(token);
    // Her own choice: the org's owner (users:manage) cannot turn her email on again.
    const reEnable = await org.asOwner('PUT', org.prefs(userId), { channels: { email: true } });
    expect(reEnable.status).toBe(403);
    expect(reEnable.headers.get('content-type')).toContain('application/problem+json');

    // Unsubscribed: the next event reaches the rule's other address, and Ada no more.
    await org.send('deploy.failed', { env: 'prod' });
    await mailTo(control, 2);
    expect((await mailTo(address)).map((m) => m.subject)).toEqual(['[Standard Webhooks] Event deploy.done']);
  });
});

describe('double opt-in of bare addresses', () => {
  it('sends a new address one confirmation email and nothing else until its link is used, once', async () => {
    const org = await freshOrg('Opt In');
    const userAddress = `opt-user-${suffix}@mail.test`;
    const bare = `opt-bare-${suffix}@elsewhere.test`;
    const userId = await org.addUser(userAddress);
    const created = await org.asOwner('POST', `/v1/orgs/${org.id}/notification-rules`, {
      name: 'Builds',
      eventTypes: ['custom.build.*'],
      destinations: [{ kind: 'email', userIds: [userId], addresses: [bare] }],
    });
    expect(created.status).toBe(201);
    expect(created.json.addressConfirmations).toEqual([{ address: bare, state: 'pending' }]);
    await org.send('build.done', { n: 1 });
    // The user's email arrives; the unconfirmed address got its confirmation email alone.
    await mailTo(userAddress);
    const box = async () =>
      (
        (await (await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(bare)}`)).json()) as {
          items: Mail[];
        }
      ).items;
    expect((await box()).map((m) => m.subject.startsWith(CONFIRMATION_SUBJECT))).toEqual([true]);
    const messages = await org.asOwner('GET', `/v1/orgs/${org.id}/notification-rules/${created.json.id}`);
    expect(messages.json.addressConfirmations).toEqual([{ address: bare, state: 'pending' }]);

    const token = await confirmAddress(hub, bare);
    // Single use: the same link again is refused (problem+json), and its page says so.
    const again = await fetch(`${hub.url}/email-confirmations?token=${token}`, { method: 'POST' });
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await fetch(`${hub.url}/email-confirmations?token=${token}`)).status).toBe(404);
    const after = await org.asOwner('GET', `/v1/orgs/${org.id}/notification-rules/${created.json.id}`);
    expect(after.json.addressConfirmations).toEqual([{ address: bare, state: 'confirmed' }]);
    const trail = await org.asOwner('GET', `/v1/orgs/${org.id}/audit-events?action=mail_address.confirmed`);
    expect(JSON.stringify(trail.json)).toContain('mail_address.confirmed');

    await org.send('build.done', { n: 2 });
    const [mail] = await mailTo(bare);
    expect(mail?.subject).toContain('build.done');
  });
});

describe('mail suppressions', () => {
  it('suppress an address the mail service reports as bounced, list it, and lift it with the CLI', async () => {
    const org = await freshOrg('Bounce Co');
    const address = `gone-${suffix}@mail.test`;
    const control = `control-builds-${suffix}@mail.test`;
    await org.rule('Builds to ops', { addresses: [address, control] }, ['custom.build.*']);
    await org.send('build.finished', { build: 1 });
    const [mail] = await mailTo(address);
    const feedback = await fetch(`${hub.url}/_local/mailbox/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: address, kind: 'bounce', messageId: mail?.messageId }),
    });
    expect(feedback.status).toBeLessThan(300);
    const listed = await eventually(async () => {
      const page = (await org.asOwner('GET', `/v1/orgs/${org.id}/mail-suppressions`)).json.items as Json[];
      return page.find((s) => s.address === address);
    }, 30_000);
    expect(listed).toMatchObject({ reason: 'bounce', detail: 'General' });
    expect(runCli(hub, ['mail-suppressions', 'list', org.id], org.key).stdout).toContain(address);
    const audit = await org.asOwner('GET', `/v1/orgs/${org.id}/audit-events?action=mail_suppression.created`);
    expect((audit.json.items as Json[]).find((r) => r.targets[0]?.id === address)).toMatchObject({
      actor: { type: 'system' },
      after: { reason: 'bounce' },
    });

    // Suppressed: the next event reaches the rule's other address, and this one no more.
    await org.send('build.finished', { build: 2 });
    await mailTo(control, 2);
    expect(await mailTo(address)).toHaveLength(1);

    expect(runCli(hub, ['mail-suppressions', 'delete', org.id, address], org.key).status).toBe(0);
    const after = (await org.asOwner('GET', `/v1/orgs/${org.id}/mail-suppressions`)).json.items as Json[];
    expect(after.map((s) => s.address)).not.toContain(address);
    const again = await org.asOwner(
      'DELETE',
      `/v1/orgs/${org.id}/mail-suppressions/${encodeURIComponent(address)}`,
    );
    expect(again.status).toBe(404);
  });
});

describe('email digests', () => {
  it('collect matched events and send one digest email once its hour has come', async () => {
    const org = await freshOrg('Digest Co');
    const address = `bo-digest-${suffix}@mail.test`;
    const control = `control-releases-${suffix}@mail.test`;
    const userId = await org.addUser(address);
    expect((await org.asOwner('PUT', org.prefs(userId), { digest: 'hourly' })).status).toBe(200);
    await org.rule('Releases to Bo', { userIds: [userId], addresses: [control] }, ['custom.release.*']);
    await org.send('release.cut', { version: '1.0' });
    await org.send('release.shipped', { version: '1.0' });
    // The matcher has handled both events (Bo's digest took them) once the rule's other address has both.
    await mailTo(control, 2);
    const sweep = () => fetch(`${hub.url}/_local/schedules/sendDigests`, { method: 'POST' });
    const mailbox = async () =>
      (
        (await (await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(address)}`)).json()) as {
          items: Mail[];
        }
      ).items;
    // Before its hour, nothing goes to Bo.
    expect((await sweep()).status).toBe(200);
    expect(await mailbox()).toEqual([]);
    const clock = await fetch(`${hub.url}/_local/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceSeconds: 3700 }),
    });
    expect(clock.status).toBe(200);
    expect((await sweep()).status).toBe(200);
    const digest = await mailbox();
    expect(digest).toHaveLength(1);
    expect(digest[0]?.subject).toBe('Your hourly digest from Digest Co: 2 events');
    expect(digest[0]?.text).toContain('Event release.cut');
    expect(digest[0]?.text).toContain('Event release.shipped');
    expect(digest[0]?.html).toContain('Unsubscribe');
    expect(tokenOf(digest[0])).not.toBe('');
    // Sent once: the next sweep sends nothing more.
    expect((await sweep()).status).toBe(200);
    expect(await mailbox()).toHaveLength(1);
  });
});
