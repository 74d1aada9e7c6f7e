import { makeEmailChannel } from '../../../../../shared/notify/email/email-channel';
import type { UnsubscribeSubject } from '../../../../../shared/notify/email/ports';
import { NotificationPreferencesInput } from '../../../../../shared/notify/email/preferences';
import { hashUnsubscribeToken } from '../../../../../shared/notify/email/unsubscribe';
import type { DeliveryMessage } from '../../../../../shared/notify/model';
import type { MailMessage } from '../../../../../shared/ports/mailer';
import { aCanonicalEvent } from '../../../../support/builders';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const USER = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2';

function setup(options: { suppressed?: string[]; fail?: Error } = {}) {
  const sent: MailMessage[] = [];
  const tokens = new Map<string, UnsubscribeSubject>();
  const channel = makeEmailChannel({
    mailer: {
      send: async (m) => {
        if (options.fail) throw options.fail;
        sent.push(m);
        return { messageId: 'm-1' };
      },
    },
    tokens: {
      put: async (hash, subject) => void tokens.set(hash, subject),
      find: async (h) => tokens.get(h) ?? null,
    },
    suppressions: { suppressed: async (_o, a) => new Set(a.filter((x) => options.suppressed?.includes(x))) },
    clock: { now: () => new Date('2026-12-01T10:00:00Z') },
    publicUrl: 'https://hub.example',
    providerNames: () => 'Code Host',
    orgName: async () => 'Acme',
  });
  return { channel, sent, tokens };
}

const event = aCanonicalEvent({ type: 'custom.deploy.done', tenantId: ORG, data: { env: 'prod' } });
const message = (target: DeliveryMessage['target']) =>
  ({
    orgId: ORG,
    id: 'msg_1',
    eventId: event.id,
    eventType: event.type,
    target,
    status: 'pending',
    attempts: 0,
    createdAt: '2026-12-01T10:00:00Z',
  }) as DeliveryMessage & { target: { channel: 'email'; address: string; userId?: string } };

describe('the email channel', () => {
  it('sends HTML and text with one-click unsubscribe headers and the org tag, the token stored by its hash only', async () => {
    const { channel, sent, tokens } = setup();
    const outcome = await channel.send(
      message({ channel: 'email', address: 'ada@example.com', userId: USER }),
      event,
    );
    expect(outcome.ok).toBe(true);
    const [mail] = sent;
    expect(mail?.to).toBe('ada@example.com');
    expect(mail?.subject).toBe('[Code Host] Event deploy.done');
    expect(mail?.html).toContain('<!DOCTYPE html>');
    expect(mail?.tags).toEqual({ orgId: ORG });
    expect(mail?.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const link = /^<(https:\/\/hub\.example\/unsubscribe\?token=(hubunsub_[A-Za-z0-9_-]{43}))>$/.exec(
      mail?.headers?.['List-Unsubscribe'] ?? '',
    );
    expect(link).not.toBeNull();
    expect(mail?.text).toContain(`Unsubscribe: ${link?.[1]}`);
    expect(tokens.get(hashUnsubscribeToken(link?.[2] ?? ''))).toEqual({ orgId: ORG, userId: USER });
    expect([...tokens.keys()]).not.toContain(link?.[2]);
    expect(mail?.text).toContain('a notification rule of Acme sends you custom.deploy.done events');
  });

  it('gives a bare address a link that names the address', async () => {
    const { channel, tokens } = setup();
    await channel.send(message({ channel: 'email', address: 'ops@example.com' }), event);
    expect([...tokens.values()]).toEqual([{ orgId: ORG, address: 'ops@example.com' }]);
  });

  it('does not send to a suppressed address, and says retrying cannot help', async () => {
    const { channel, sent } = setup({ suppressed: ['ada@example.com'] });
    const outcome = await channel.send(message({ channel: 'email', address: 'Ada@example.com' }), event);
    expect(outcome).toMatchObject({ ok: false, permanent: 'rejected' });
    expect(sent).toEqual([]);
  });

  it('retries when the mail service throttles, and fails a message it rejects', async () => {
    const throttled = Object.assign(new Error('Maximum sending rate exceeded.'), {
      name: 'TooManyRequestsException',
      $metadata: { httpStatusCode: 429 },
    });
    const retry = await setup({ fail: throttled }).channel.send(
      message({ channel: 'email', address: 'a@example.com' }),
      event,
    );
    expect(retry).toMatchObject({ ok: false, error: 'the mail service is throttling' });
    expect(retry).not.toHaveProperty('permanent');
    const rejected = Object.assign(new Error('Email address is not verified: a@example.com'), {
      name: 'MessageRejected',
    });
    const fail = await setup({ fail: rejected }).channel.send(
      message({ channel: 'email', address: 'a@example.com' }),
      event,
    );
    expect(fail).toMatchObject({ ok: false, permanent: 'rejected' });
    // The service's message may quote the address; the outcome does not.
    expect(JSON.stringify(fail)).not.toContain('a@example.com');
  });

  it('renders without sending or minting a token, and retries on a short schedule', async () => {
    const { channel, sent, tokens } = setup();
    const rendered = await channel.render(event, {
      channel: 'email',
      address: 'ada@example.com',
      userId: USER,
    });
    expect(rendered).toMatchObject({
      channel: 'email',
      title: '[Code Host] Event deploy.done',
      contentType: 'text/plain',
    });
    expect(rendered.alternatives?.['text/html']).toContain('Event deploy.done');
    expect(rendered.headers?.['List-Unsubscribe']).toContain('https://hub.example/unsubscribe?token=');
    expect(sent).toEqual([]);
    expect(tokens.size).toBe(0);
    expect(channel.retrySchedule.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3600);
  });
});

describe('the email channel, before each attempt', () => {
  const withUser = (user: { status: string } | null, prefs: Record<string, unknown> | null) =>
    makeEmailChannel({
      mailer: { send: async () => ({ messageId: 'm' }) },
      tokens: { put: async () => undefined, find: async () => null },
      suppressions: { suppressed: async () => new Set<string>() },
      clock: { now: () => new Date('2026-12-01T10:00:00Z') },
      publicUrl: 'https://hub.example',
      users: { get: async () => user as never },
      preferences: {
        getMany: async () =>
          new Map(prefs ? [[USER, NotificationPreferencesInput.parse(prefs)]] : []) as never,
      },
    });
  const toUser = message({ channel: 'email', address: 'ada@example.com', userId: USER });

  it('drops a queued email (a retry, a resend) once its user turned email off, muted, or left', async () => {
    expect(await withUser({ status: 'active' }, null).readiness(toUser)).toMatchObject({ kind: 'ready' });
    expect(
      await withUser({ status: 'active' }, { channels: { email: false } }).readiness(toUser),
    ).toMatchObject({ kind: 'drop', reason: expect.stringContaining('preferences') });
    expect(await withUser({ status: 'active' }, { mute: { until: null } }).readiness(toUser)).toMatchObject({
      kind: 'drop',
    });
    expect(await withUser({ status: 'deactivated' }, null).readiness(toUser)).toMatchObject({
      kind: 'drop',
      reason: expect.stringContaining('no longer an active user'),
    });
  });

  it('limits email to one address, whatever sends it, to one a second', async () => {
    const ready = await withUser(null, null).readiness(
      message({ channel: 'email', address: 'Bo@Example.com' }),
    );
    expect(ready).toEqual({ kind: 'ready', rateLimit: { key: 'mail:bo@example.com', perSecond: 1 } });
  });
});
