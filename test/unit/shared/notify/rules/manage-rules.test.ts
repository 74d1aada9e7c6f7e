import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../../../../shared/audit/audit-record';
import { ForbiddenError, NotFoundError, ValidationError } from '../../../../../shared/errors';
import type { CanonicalEvent } from '../../../../../shared/events/canonical-event';
import { claimCheck } from '../../../../../shared/events/claim-check';
import type { Principal } from '../../../../../shared/identity/principal';
import type { DeliveryTarget, RenderedMessage } from '../../../../../shared/notify/model';
import { makeManageNotificationRules } from '../../../../../shared/notify/rules/manage-rules';
import type { NotificationRuleStore } from '../../../../../shared/notify/rules/ports';
import type { NotificationRule } from '../../../../../shared/notify/rules/rule';
import { CreateNotificationRuleRequest } from '../../../../../shared/notify/rules/rule';
import type { ClaimCheckStore } from '../../../../../shared/ports/claim-check-store';
import type { QuotaClaim } from '../../../../../shared/ports/stores';
import { anEvent, EP, ORG, TEAM, USR } from './builders';

const owner: Principal = {
  kind: 'org_member',
  type: 'api_key',
  id: 'key_1',
  name: 'owner',
  orgId: ORG,
  role: 'owner',
};
const request = { requestId: 'r1', ip: '203.0.113.9', userAgent: 'jest' };
const DEACTIVATED = 'usr_01M8F79P3R3K1638C8KPHEN332';
const MEMBER = 'usr_01M8F79MGRCMY1JDM07R52VC07';

/** An in-memory rule store that records what it was asked to write. */
function fakeStore() {
  const rules = new Map<string, { value: NotificationRule; version: number }>();
  const writes: { audit: AuditRecord; quota?: QuotaClaim }[] = [];
  const store: NotificationRuleStore = {
    create: async (rule, audit, quota) => {
      rules.set(rule.id, { value: rule, version: 1 });
      writes.push({ audit, quota });
    },
    get: async (_org, id) => rules.get(id) ?? null,
    list: async () => ({ items: [...rules.values()].map((r) => r.value), nextCursor: null }),
    listEnabled: async () => [...rules.values()].map((r) => r.value).filter((r) => r.enabled),
    save: async (rule, version, audit) => {
      rules.set(rule.id, { value: rule, version: version + 1 });
      writes.push({ audit });
    },
    remove: async (_org, id, audit) => {
      rules.delete(id);
      writes.push({ audit });
    },
  };
  return { store, writes };
}

function fakeClaims(): ClaimCheckStore {
  const bodies = new Map<string, string>();
  return {
    put: async (tenantId, name, body) => {
      const key = `T#${tenantId}/${name}`;
      bodies.set(key, body);
      return { key, bytes: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') };
    },
    get: async (key) => {
      const body = bodies.get(key);
      if (body === undefined) throw new NotFoundError(`nothing at ${key}`);
      return body;
    },
    purgeTenant: async () => ({ removed: 0, done: true }),
  };
}

const user = (id: string, email: string, status: 'active' | 'deactivated' = 'active') => ({
  id,
  orgId: ORG,
  email,
  name: email,
  role: 'member',
  status,
  createdAt: '2026-01-01T00:00:00.000Z',
});
const USERS: Record<string, ReturnType<typeof user>> = {
  [USR]: user(USR, 'ada@example.com'),
  [MEMBER]: user(MEMBER, 'Grace@example.com'),
  [DEACTIVATED]: user(DEACTIVATED, 'gone@example.com', 'deactivated'),
};

/** A channel that renders what it was given, so the test sees which target each rendering is for. */
const fakeChannel = <C extends DeliveryTarget['channel']>(channel: C) => ({
  rendered: [] as DeliveryTarget[],
  async render(event: CanonicalEvent, target: DeliveryTarget): Promise<RenderedMessage> {
    this.rendered.push(target);
    return {
      channel,
      title: `${event.type} for ${JSON.stringify(target)}`,
      contentType: 'text/plain',
      body: event.id,
    };
  },
});

function setup(options: { stored?: CanonicalEvent[]; claims?: ClaimCheckStore; channels?: boolean } = {}) {
  const { store, writes } = fakeStore();
  const claims = options.claims ?? fakeClaims();
  const webhook = fakeChannel('webhook');
  const email = fakeChannel('email');
  const lookup = async (_org: string, id: string) => USERS[id] ?? null;
  const refs = { endpointGone: false };
  const asked: string[][] = [];
  const manage = makeManageNotificationRules({
    orgs: { get: async () => ({ plan: 'free' }) as never },
    rules: store,
    refs: {
      endpoints: { get: async (_o, id) => (id === EP && !refs.endpointGone ? { id } : null) },
      users: { get: lookup as never },
      teams: { get: async (_o, id) => (id === TEAM ? ({ id } as never) : null) },
      connections: { get: async () => null },
    },
    users: { get: lookup as never },
    teams: {
      get: async () => null,
      membersOf: async (_o, teamId) =>
        teamId === TEAM
          ? [
              { teamId, userId: MEMBER, role: 'member' },
              { teamId, userId: USR, role: 'member' },
              { teamId, userId: DEACTIVATED, role: 'member' },
            ]
          : [],
    },
    events: { get: async (_o, id) => options.stored?.find((e) => e.id === id) },
    claims,
    channels: options.channels === false ? {} : { webhook, email },
    clock: { now: () => new Date('2026-02-01T12:00:00.000Z') },
    // ops@ confirmed, grace@ a user of the org, any other address not confirmed yet.
    addresses: {
      states: async (_o, list) =>
        new Map(
          list.map((a) => {
            const address = a.toLowerCase();
            const state =
              address === 'ops@example.com' ? 'confirmed' : address.startsWith('grace') ? 'user' : 'pending';
            return [address, state] as const;
          }),
        ),
      request: async (_o, list) => {
        asked.push([...list]);
        return list;
      },
    },
  });
  return { manage, writes, webhook, email, claims, refs, asked };
}

const create = (input: Record<string, unknown>) =>
  CreateNotificationRuleRequest.parse({
    name: 'rule',
    eventTypes: ['pull_request.*'],
    destinations: [{ kind: 'webhook_endpoint', endpointId: EP }],
    ...input,
  });

describe('managing notification rules', () => {
  it('creates a rule counted against the plan, with its audit record', async () => {
    const { manage, writes } = setup();
    const rule = await manage.create(ORG, create({}), owner, request);
    expect(rule).toMatchObject({
      id: expect.stringMatching(/^nrule_/),
      orgId: ORG,
      enabled: true,
      createdAt: '2026-02-01T12:00:00.000Z',
    });
    expect(writes).toEqual([
      {
        quota: { resource: 'notificationRules', limit: 10 },
        audit: expect.objectContaining({
          action: 'notification_rule.created',
          targets: [{ type: 'notification_rule', id: rule.id }],
          after: expect.objectContaining({ name: 'rule', eventTypes: ['pull_request.*'] }),
        }),
      },
    ]);
  });

  it('records who made a rule: the hub user (a personal key’s owner), none for a key of its own, and the chat it was asked in', async () => {
    const { manage } = setup();
    expect((await manage.create(ORG, create({}), owner, request)).createdBy).toEqual({ name: 'owner' });
    const personal: Principal = { ...owner, id: 'key_2', name: 'Ada’s key', ownerUserId: MEMBER };
    expect((await manage.create(ORG, create({}), personal, request)).createdBy).toEqual({
      userId: MEMBER,
      name: 'Ada’s key',
    });
    const person: Principal = { ...owner, type: 'user', id: MEMBER, name: 'Ada' };
    const askedIn = { provider: 'slack', connectionId: 'con_1', conversation: 'C1' };
    expect((await manage.create(ORG, create({}), person, request, askedIn)).createdBy).toEqual({
      userId: MEMBER,
      name: 'Ada',
      askedIn,
    });
  });

  it('refuses to create a rule naming a webhook endpoint the org does not have', async () => {
    const { manage, writes } = setup();
    await expect(
      manage.create(
        ORG,
        create({ destinations: [{ kind: 'webhook_endpoint', endpointId: 'ep_01M8F79P3R3K1638C8KPHEN332' }] }),
        owner,
        request,
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(writes).toEqual([]);
  });

  it('changes only the fields given, validated again, and audits before and after', async () => {
    const { manage, writes } = setup();
    const rule = await manage.create(ORG, create({ description: 'keep me' }), owner, request);
    const changed = await manage.update(
      ORG,
      rule.id,
      { enabled: false, conditions: { containers: ['acme/web'] } },
      owner,
      request,
    );
    expect(changed).toMatchObject({
      description: 'keep me',
      enabled: false,
      conditions: { containers: ['acme/web'] },
    });
    await expect(manage.get(ORG, rule.id)).resolves.toEqual(changed);
    expect(writes[1]?.audit).toMatchObject({
      action: 'notification_rule.updated',
      before: { enabled: true, conditions: {} },
      after: { enabled: false, conditions: { containers: ['acme/web'] } },
    });
    await expect(
      manage.update(
        ORG,
        rule.id,
        { eventTypes: ['pull_request.*'], conditions: { labels: ['bug'] } },
        owner,
        request,
      ),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('lets a rule whose endpoint has gone be disabled, and checks destinations only when they change', async () => {
    const { manage, refs } = setup();
    const rule = await manage.create(ORG, create({}), owner, request);
    refs.endpointGone = true;
    await expect(manage.update(ORG, rule.id, { enabled: false }, owner, request)).resolves.toMatchObject({
      enabled: false,
    });
    await expect(
      manage.update(
        ORG,
        rule.id,
        { destinations: [{ kind: 'webhook_endpoint', endpointId: EP }] },
        owner,
        request,
      ),
    ).rejects.toThrow(`destinations.0.endpointId: no webhook endpoint ${EP}`);
  });

  it('deletes a rule with its audit record, and 404s on a rule that is not there', async () => {
    const { manage, writes } = setup();
    const rule = await manage.create(ORG, create({}), owner, request);
    await manage.remove(ORG, rule.id, owner, request);
    expect(writes[1]?.audit).toMatchObject({ action: 'notification_rule.deleted', before: { name: 'rule' } });
    await expect(manage.get(ORG, rule.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(manage.remove(ORG, rule.id, owner, request)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('trying a notification rule', () => {
  it('renders a sample for each destination and recipient (active users, team members, addresses, once each), sending nothing', async () => {
    const { manage, webhook, email, asked } = setup();
    const rule = await manage.create(
      ORG,
      create({
        eventTypes: ['pull_request.merged'],
        conditions: { containers: ['acme/api'], authors: ['octo'] },
        destinations: [
          { kind: 'webhook_endpoint', endpointId: EP },
          {
            kind: 'email',
            userIds: [USR, DEACTIVATED],
            teamIds: [TEAM],
            addresses: ['grace@EXAMPLE.com', 'ops@example.com', 'wait@example.com'],
          },
        ],
      }),
      owner,
      request,
    );
    expect(rule.addressConfirmations).toEqual([
      { address: 'grace@example.com', state: 'user' },
      { address: 'ops@example.com', state: 'confirmed' },
      { address: 'wait@example.com', state: 'pending' },
    ]);
    expect(asked).toEqual([['grace@example.com', 'ops@example.com', 'wait@example.com']]);
    const result = await manage.test(ORG, rule.id, { sample: 'pull_request.merged' });
    expect(result.deliveries[1]?.unconfirmed).toEqual(['wait@example.com']);
    expect(result).toMatchObject({
      matched: true,
      reasons: [],
      enabled: true,
      event: { type: 'pull_request.merged', tenantId: ORG },
    });
    expect(result.event.data).toMatchObject({
      pullRequest: { container: 'acme/api', author: { login: 'octo' } },
    });
    expect(webhook.rendered).toEqual([{ channel: 'webhook', endpointId: EP }]);
    expect(email.rendered).toEqual([
      { channel: 'email', address: 'ada@example.com', userId: USR },
      { channel: 'email', address: 'Grace@example.com', userId: MEMBER },
      { channel: 'email', address: 'ops@example.com' },
    ]);
    expect(result.deliveries.map((d) => [d.destination.kind, d.rendered.length])).toEqual([
      ['webhook_endpoint', 1],
      ['email', 3],
    ]);
  });

  it('says why a stored event does not match, and renders nothing', async () => {
    const stored = anEvent('pull_request.opened', (d) => {
      d.pullRequest.container = 'acme/web';
    });
    const { manage, webhook } = setup({ stored: [stored] });
    const rule = await manage.create(
      ORG,
      create({ eventTypes: ['pull_request.merged'], conditions: { containers: ['acme/api'] } }),
      owner,
      request,
    );
    await expect(manage.test(ORG, rule.id, { eventId: stored.id })).resolves.toEqual({
      event: stored,
      enabled: true,
      matched: false,
      reasons: [
        'eventTypes: pull_request.opened matches none of pull_request.merged',
        'containers: acme/web is none of acme/api',
      ],
      deliveries: [],
    });
    expect(webhook.rendered).toEqual([]);
  });

  it('reads a claim-checked stored event whole before matching it', async () => {
    const claims = fakeClaims();
    const whole = anEvent('work_item.updated', (d) => {
      d.item.labels = ['incident'];
      d.item.description = 'x'.repeat(300_000);
    });
    const checked = await claimCheck(whole, claims);
    const inFeed = { ...checked, data: {} } as CanonicalEvent;
    const { manage } = setup({ stored: [inFeed], claims });
    const rule = await manage.create(
      ORG,
      create({ eventTypes: ['work_item.*'], conditions: { labels: ['incident'] } }),
      owner,
      request,
    );
    const result = await manage.test(ORG, rule.id, { eventId: whole.id });
    expect(result.matched).toBe(true);
    expect(result.event.data).toEqual(whole.data);
  });

  it('404s on an event the org does not have, and 400s on a sample type that is not canonical', async () => {
    const { manage } = setup();
    const rule = await manage.create(ORG, create({}), owner, request);
    await expect(
      manage.test(ORG, rule.id, { eventId: 'evt_01JD3Q4ZK8M7X2V9N6B5C4D3E2' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(manage.test(ORG, rule.id, { sample: 'pull_request.exploded' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('asks events:read as well to try a rule on a stored event (a sample needs only notifications:manage)', async () => {
    const stored = anEvent('pull_request.merged', () => undefined);
    const { manage } = setup({ stored: [stored] });
    const rule = await manage.create(ORG, create({}), owner, request);
    const notifier: Principal = { ...owner, role: 'role_01JD3Q4ZK8M7X2V9N6B5C4D3E2' };
    await expect(manage.test(ORG, rule.id, { eventId: stored.id }, notifier)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(
      manage.test(ORG, rule.id, { sample: 'pull_request.merged' }, notifier),
    ).resolves.toMatchObject({
      matched: true,
    });
    await expect(manage.test(ORG, rule.id, { eventId: stored.id }, owner)).resolves.toMatchObject({
      event: { id: stored.id },
    });
  });

  it('says so when a destination’s channel is not available, rather than rendering', async () => {
    const { manage } = setup({ channels: false });
    const rule = await manage.create(ORG, create({}), owner, request);
    const result = await manage.test(ORG, rule.id, { sample: 'pull_request.opened' });
    expect(result.deliveries).toEqual([
      {
        destination: { kind: 'webhook_endpoint', endpointId: EP },
        rendered: [],
        note: 'The webhook channel is not available here',
      },
    ]);
  });
});
