import type { StoredApproval } from '../../../../shared/approvals/approval';
import { parseApprovalAction, RequestApprovalSchema, viewOf } from '../../../../shared/approvals/approval';
import { approvalCard } from '../../../../shared/approvals/card';
import { approvalEvent, approvalTargets } from '../../../../shared/approvals/events';
import { approvalExpiry } from '../../../../shared/approvals/expiry';
import type { ApprovalsDeps } from '../../../../shared/approvals/manage-approvals';
import { APPROVAL_EXPIRY_KIND, makeApprovals } from '../../../../shared/approvals/manage-approvals';
import type { ApprovalStore } from '../../../../shared/approvals/ports';
import type { AuditRecord } from '../../../../shared/audit/audit-record';
import {
  ConflictError,
  ForbiddenError,
  QuotaExceededError,
  ValidationError,
} from '../../../../shared/errors';
import { canonicalEvent } from '../../../../shared/events/canonical';
import type { CanonicalEvent } from '../../../../shared/events/canonical-event';
import { domainEventFromInsert } from '../../../../shared/events/domain-change';
import type { Principal } from '../../../../shared/identity/principal';
import { newId } from '../../../../shared/ids';
import { makeRunDueWork } from '../../../../shared/notify/delivery/due-work';
import { makeMatcher } from '../../../../shared/notify/match/match';
import type { DeliveryTarget } from '../../../../shared/notify/model';
import type { DueEntry } from '../../../../shared/ports/due-index';
import type { Team, TeamMembership } from '../../../../shared/tenancy/team';
import type { User } from '../../../../shared/tenancy/user';

const ORG = newId('org');
const T0 = new Date('2026-12-01T12:00:00.000Z');
const request = { requestId: 'req-1', ip: '203.0.113.9', userAgent: 'test' };

/** The store's conditions as DynamoDB applies them: pending, and the time on the right side of now. */
function memoryStore(): ApprovalStore & { events: CanonicalEvent[]; audits: AuditRecord[]; pending: number } {
  const items = new Map<string, StoredApproval>();
  const store = {
    events: [] as CanonicalEvent[],
    audits: [] as AuditRecord[],
    pending: 0,
    async create(
      approval: StoredApproval,
      audit: AuditRecord,
      quota: { limit: number },
      event: CanonicalEvent,
    ) {
      if (store.pending >= quota.limit) throw new QuotaExceededError('full');
      store.pending++;
      items.set(approval.id, approval);
      store.audits.push(audit);
      store.events.push(event);
    },
    async get(_orgId: string, id: string) {
      return items.get(id) ?? null;
    },
    async list() {
      return { items: [...items.values()].reverse(), nextCursor: null };
    },
    async resolve(next: StoredApproval, how: string, now: Date, audit: AuditRecord, event: CanonicalEvent) {
      const current = items.get(next.id);
      if (current?.status !== 'pending') return false;
      const due = Date.parse(current.expiresAt) <= now.getTime();
      if (how === 'expire' ? !due : due) return false;
      items.set(next.id, next);
      store.pending--;
      store.audits.push(audit);
      store.events.push(event);
      return true;
    },
  };
  return store;
}

const user = (name: string, role: User['role'] = 'member', status: User['status'] = 'active'): User => ({
  id: newId('usr'),
  orgId: ORG,
  email: `${name.toLowerCase()}@example.test`,
  name,
  role,
  status,
  createdAt: T0.toISOString(),
  createdBy: 'test',
});

function world() {
  const ada = user('Ada');
  const grace = user('Grace');
  const linus = user('Linus', 'admin');
  const gone = user('Gone', 'member', 'deactivated');
  const parent: Team = {
    id: newId('team'),
    orgId: ORG,
    name: 'Platform',
    parentId: null,
    depth: 1,
    createdAt: '',
  };
  const child: Team = {
    id: newId('team'),
    orgId: ORG,
    name: 'Releases',
    parentId: parent.id,
    depth: 2,
    createdAt: '',
  };
  const memberships: TeamMembership[] = [{ teamId: parent.id, userId: grace.id, role: 'maintainer' }];
  const users = new Map([ada, grace, linus, gone].map((u) => [u.id, u]));
  const store = memoryStore();
  const due: DueEntry[] = [];
  const audit: AuditRecord[] = [];
  let now = T0;
  const connections: Record<string, { id: string; provider: string }> = {
    chatCon: { id: newId('con'), provider: 'chatty' },
    plainCon: { id: newId('con'), provider: 'tracker' },
  };
  const endpointId = newId('ep');
  const deps: ApprovalsDeps = {
    approvals: store,
    orgs: { get: async () => ({ id: ORG, plan: 'free' }) as never },
    users: { get: async (_o, id) => users.get(id) ?? null },
    teams: {
      all: async () => [parent, child],
      membershipsOf: async (_o, userId) => memberships.filter((m) => m.userId === userId),
    },
    connections: {
      get: async (_o, id) => (Object.values(connections).find((c) => c.id === id) as never) ?? null,
    },
    endpoints: { get: async (_o, id) => (id === endpointId ? ({ id } as never) : null) },
    providers: { module: (p) => (p === 'chatty' ? ({ chat: {} } as never) : ({} as never)) },
    audit: { append: async (r) => void audit.push(r) },
    dueIndex: {
      add: async (e) => void due.push(e),
      remove: async (e) =>
        void due.splice(
          due.findIndex((d) => d.ref === e.ref),
          1,
        ),
    },
    clock: { now: () => now },
  };
  const agent: Principal = {
    kind: 'org_member',
    type: 'api_key',
    id: newId('key'),
    name: 'release agent',
    orgId: ORG,
    role: 'member',
  };
  return {
    ada,
    grace,
    linus,
    gone,
    child,
    store,
    due,
    audit,
    connections,
    endpointId,
    agent,
    approvals: makeApprovals(deps),
    setNow: (at: Date) => {
      now = at;
    },
  };
}

const ask = (extra: Record<string, unknown> = {}) =>
  RequestApprovalSchema.parse({
    question: 'Deploy release 1.4 to production?',
    options: [
      { id: 'approve', label: 'Approve' },
      { id: 'reject', label: 'Reject' },
    ],
    answerers: { roles: ['admin'] },
    ...extra,
  });

describe('the approval request body', () => {
  const issues = (body: Record<string, unknown>) => {
    const parsed = RequestApprovalSchema.safeParse({ ...ask(), ...body });
    return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'));
  };

  it('takes a question, 2-5 slug options, answerers, and defaults the expiry to a day', () => {
    expect(ask().expiresIn).toBe(86_400);
  });

  it('refuses what an agent could get wrong, naming the field', () => {
    expect(issues({ question: 'x'.repeat(2001) })).toEqual(['question']);
    expect(issues({ options: [{ id: 'only', label: 'Only' }] })).toEqual(['options']);
    expect(
      issues({ options: Array.from({ length: 6 }, (_, i) => ({ id: `o${i}`, label: `O${i}` })) }),
    ).toEqual(['options']);
    expect(
      issues({
        options: [
          { id: 'same', label: 'A' },
          { id: 'same', label: 'B' },
        ],
      }),
    ).toEqual(['options']);
    expect(
      issues({
        options: [
          { id: 'Not A Slug', label: 'A' },
          { id: 'b', label: 'B' },
        ],
      }),
    ).toEqual(['options.0.id']);
    expect(issues({ answerers: {} })).toEqual(['answerers']);
    expect(issues({ answerers: { userIds: ['someone'] } })).toEqual(['answerers.userIds.0']);
    expect(issues({ expiresIn: 59 })).toEqual(['expiresIn']);
    expect(issues({ expiresIn: 7 * 86_400 + 1 })).toEqual(['expiresIn']);
    expect(issues({ context: { blob: 'x'.repeat(4100) } })).toEqual(['context']);
    expect(
      issues({ destination: { kind: 'email', connectionId: newId('con'), conversation: 'C1' } }),
    ).toEqual(['destination.kind']);
    expect(issues({ surprise: true })).toEqual(['']);
  });
});

describe('asking', () => {
  it('stores a pending approval, indexes its expiry and announces it', async () => {
    const w = world();
    const approval = await w.approvals.request(ORG, ask({ expiresIn: 3600 }), w.agent, request);
    expect(approval).toMatchObject({ status: 'pending', requestedBy: { name: 'release agent' } });
    expect(approval.id).toMatch(/^apr_[0-9A-Z]{26}$/);
    expect(approval.expiresAt).toBe('2026-12-01T13:00:00.000Z');
    expect(w.due).toEqual([
      { kind: APPROVAL_EXPIRY_KIND, orgId: ORG, ref: approval.id, dueAt: new Date(approval.expiresAt) },
    ]);
    expect(w.store.events.map((e) => [e.type, e.source.provider])).toEqual([['approval.requested', 'hub']]);
    expect(w.store.audits.map((a) => a.action)).toEqual(['approval.requested']);
  });

  it('posts to a chat connection only: one whose provider has a chat part', async () => {
    const w = world();
    const chat = await w.approvals.request(
      ORG,
      ask({ destination: { kind: 'chat', connectionId: w.connections.chatCon?.id, conversation: 'C0123' } }),
      w.agent,
      request,
    );
    expect(chat.destination).toEqual({
      kind: 'chat',
      provider: 'chatty',
      connectionId: w.connections.chatCon?.id,
      conversation: 'C0123',
    });
    await expect(
      w.approvals.request(
        ORG,
        ask({ destination: { kind: 'chat', connectionId: w.connections.plainCon?.id, conversation: 'C1' } }),
        w.agent,
        request,
      ),
    ).rejects.toThrow(/not a chat connection/);
    await expect(
      w.approvals.request(
        ORG,
        ask({ destination: { kind: 'chat', connectionId: newId('con'), conversation: 'C1' } }),
        w.agent,
        request,
      ),
    ).rejects.toThrow(ValidationError);
  });

  it('refuses a callback endpoint, user or team the org does not have', async () => {
    const w = world();
    await expect(
      w.approvals.request(ORG, ask({ callbackEndpointId: newId('ep') }), w.agent, request),
    ).rejects.toThrow(/Webhook endpoint/);
    await expect(
      w.approvals.request(ORG, ask({ answerers: { userIds: [newId('usr')] } }), w.agent, request),
    ).rejects.toThrow(/No user/);
    await expect(
      w.approvals.request(ORG, ask({ answerers: { teamIds: [newId('team')] } }), w.agent, request),
    ).rejects.toThrow(/No team/);
    const ok = await w.approvals.request(ORG, ask({ callbackEndpointId: w.endpointId }), w.agent, request);
    expect(ok.callbackEndpointId).toBe(w.endpointId);
  });

  it("stops at the plan's pending approvals", async () => {
    const w = world();
    for (let i = 0; i < 20; i++) await w.approvals.request(ORG, ask(), w.agent, request);
    await expect(w.approvals.request(ORG, ask(), w.agent, request)).rejects.toThrow(QuotaExceededError);
  });
});

describe('answering', () => {
  it('lets the first authorised answer win; a later one learns who decided, through what and when', async () => {
    const w = world();
    const { id } = await w.approvals.request(ORG, ask(), w.agent, request);
    w.setNow(new Date(T0.getTime() + 60_000));
    const first = await w.approvals.answer({
      orgId: ORG,
      approvalId: id,
      option: 'approve',
      userId: w.linus.id,
      channel: 'chatty',
    });
    expect(first).toMatchObject({
      outcome: 'won',
      approval: { status: 'decided', decision: { option: 'approve', via: 'chatty', by: { name: 'Linus' } } },
    });
    const second = await w.approvals.answer({
      orgId: ORG,
      approvalId: id,
      option: 'reject',
      userId: w.linus.id,
      channel: 'api',
    });
    expect(second.outcome).toBe('already_decided');
    expect(second.message).toBe('Already decided by Linus via chatty at 2026-12-01 12:01 UTC: Approve');
    expect(w.store.events.map((e) => e.type)).toEqual(['approval.requested', 'approval.decided']);
    // Its pending count is given back, and its expiry forgotten.
    expect(w.store.pending).toBe(0);
    expect(w.due).toEqual([]);
  });

  it('decides who may answer: named users, holders of a named role, members of a named team (maintainers above it too)', async () => {
    const w = world();
    const byUser = await w.approvals.request(
      ORG,
      ask({ answerers: { userIds: [w.ada.id] } }),
      w.agent,
      request,
    );
    const byTeam = await w.approvals.request(
      ORG,
      ask({ answerers: { teamIds: [w.child.id] } }),
      w.agent,
      request,
    );
    const byRole = await w.approvals.request(ORG, ask({ answerers: { roles: ['admin'] } }), w.agent, request);
    const outcome = async (approvalId: string, userId: string) =>
      (await w.approvals.answer({ orgId: ORG, approvalId, option: 'approve', userId, channel: 'api' }))
        .outcome;
    expect(await outcome(byUser.id, w.grace.id)).toBe('not_allowed');
    expect(await outcome(byUser.id, w.ada.id)).toBe('won');
    expect(await outcome(byTeam.id, w.ada.id)).toBe('not_allowed');
    expect(await outcome(byTeam.id, w.grace.id)).toBe('won');
    expect(await outcome(byRole.id, w.ada.id)).toBe('not_allowed');
    expect(await outcome(byRole.id, w.linus.id)).toBe('won');
  });

  it('refuses a deactivated or unknown user, and audits the refusal', async () => {
    const w = world();
    const { id } = await w.approvals.request(
      ORG,
      ask({ answerers: { userIds: [w.gone.id] } }),
      w.agent,
      request,
    );
    const refused = await w.approvals.answer({
      orgId: ORG,
      approvalId: id,
      option: 'approve',
      userId: w.gone.id,
      channel: 'chatty',
    });
    expect(refused.outcome).toBe('not_allowed');
    expect(
      (
        await w.approvals.answer({
          orgId: ORG,
          approvalId: id,
          option: 'approve',
          userId: newId('usr'),
          channel: 'api',
        })
      ).outcome,
    ).toBe('not_allowed');
    expect(w.audit.map((a) => [a.action, a.outcome, a.actor.name])).toEqual([
      ['approval.answer_refused', 'denied', 'Gone'],
      ['approval.answer_refused', 'denied', expect.stringMatching(/^usr_/)],
    ]);
    expect((await w.approvals.get(ORG, id)).status).toBe('pending');
  });

  it('refuses an option the approval does not offer, and an approval it does not have', async () => {
    const w = world();
    const { id } = await w.approvals.request(ORG, ask(), w.agent, request);
    expect(
      await w.approvals.answer({
        orgId: ORG,
        approvalId: id,
        option: 'maybe',
        userId: w.linus.id,
        channel: 'api',
      }),
    ).toMatchObject({
      outcome: 'unknown',
      what: 'option',
    });
    expect(
      await w.approvals.answer({
        orgId: ORG,
        approvalId: newId('apr'),
        option: 'approve',
        userId: w.linus.id,
        channel: 'api',
      }),
    ).toMatchObject({
      outcome: 'unknown',
      what: 'approval',
    });
  });

  it('reads an approval past its time as expired before any sweep, and refuses an answer to it', async () => {
    const w = world();
    const { id } = await w.approvals.request(ORG, ask({ expiresIn: 60 }), w.agent, request);
    w.setNow(new Date(T0.getTime() + 60_000));
    expect(await w.approvals.get(ORG, id)).toMatchObject({
      status: 'expired',
      expiredAt: '2026-12-01T12:01:00.000Z',
    });
    expect(
      (
        await w.approvals.answer({
          orgId: ORG,
          approvalId: id,
          option: 'approve',
          userId: w.linus.id,
          channel: 'api',
        })
      ).outcome,
    ).toBe('expired');
  });

  it('maps outcomes to the API: 403 not allowed, 409 with the decision, 400 unknown option; only people answer', async () => {
    const w = world();
    const { id } = await w.approvals.request(ORG, ask(), w.agent, request);
    const as = (u: User): Principal => ({
      kind: 'org_member',
      type: 'user',
      id: u.id,
      name: u.name,
      orgId: ORG,
      role: u.role,
    });
    await expect(w.approvals.answerAsCaller(ORG, id, 'approve', w.agent, request)).rejects.toThrow(
      ForbiddenError,
    );
    // Not even an answerer's personal key: an agent holding its owner's key must not approve itself.
    await expect(
      w.approvals.answerAsCaller(ORG, id, 'approve', { ...w.agent, ownerUserId: w.linus.id }, request),
    ).rejects.toThrow(ForbiddenError);
    await expect(w.approvals.answerAsCaller(ORG, id, 'approve', as(w.ada), request)).rejects.toThrow(
      ForbiddenError,
    );
    await expect(w.approvals.answerAsCaller(ORG, id, 'maybe', as(w.linus), request)).rejects.toThrow(
      ValidationError,
    );
    expect(await w.approvals.answerAsCaller(ORG, id, 'approve', as(w.linus), request)).toMatchObject({
      status: 'decided',
    });
    const late = w.approvals.answerAsCaller(ORG, id, 'reject', as(w.linus), request);
    await expect(late).rejects.toThrow(ConflictError);
    await expect(late).rejects.toMatchObject({
      extensions: { status: 'decided', decision: { option: 'approve' } },
    });
  });
});

describe('cancelling and expiring', () => {
  it('lets the requester or an admin cancel, nobody else, and only while pending', async () => {
    const w = world();
    const one = await w.approvals.request(ORG, ask(), w.agent, request);
    const ada: Principal = {
      kind: 'org_member',
      type: 'user',
      id: w.ada.id,
      name: 'Ada',
      orgId: ORG,
      role: 'member',
    };
    const admin: Principal = {
      kind: 'org_member',
      type: 'user',
      id: w.linus.id,
      name: 'Linus',
      orgId: ORG,
      role: 'admin',
    };
    await expect(w.approvals.cancel(ORG, one.id, ada, request)).rejects.toThrow(ForbiddenError);
    expect(await w.approvals.cancel(ORG, one.id, w.agent, request)).toMatchObject({
      status: 'cancelled',
      cancelled: { by: { name: 'release agent' } },
    });
    await expect(w.approvals.cancel(ORG, one.id, admin, request)).rejects.toThrow(ConflictError);
    const two = await w.approvals.request(ORG, ask(), w.agent, request);
    expect((await w.approvals.cancel(ORG, two.id, admin, request)).status).toBe('cancelled');
    expect(
      (
        await w.approvals.answer({
          orgId: ORG,
          approvalId: two.id,
          option: 'approve',
          userId: w.linus.id,
          channel: 'api',
        })
      ).outcome,
    ).toBe('cancelled');
    expect(w.store.events.filter((e) => e.type === 'approval.cancelled')).toHaveLength(2);
  });

  it('expires through the due sweep once its time has come, announcing it; an answer after it is refused', async () => {
    const w = world();
    const { id } = await w.approvals.request(ORG, ask({ expiresIn: 120 }), w.agent, request);
    const entries = [...w.due];
    let now = T0;
    const run = makeRunDueWork({
      dueIndex: {
        add: async (e) => void entries.push(e),
        remove: async (e) =>
          void entries.splice(
            entries.findIndex((d) => d.ref === e.ref),
            1,
          ),
        due: async (kind, at) => entries.filter((e) => e.kind === kind && e.dueAt <= at),
      },
      queues: { sendBatch: async () => undefined },
      clock: { now: () => now },
      health: {} as never,
      tenants: { get: async () => ({ status: 'active' }) as never },
      kinds: [approvalExpiry(w.store, { now: () => now })],
    });
    expect((await run()).other).toBeUndefined();
    now = new Date(T0.getTime() + 120_000);
    w.setNow(now);
    expect((await run()).other).toEqual({ [APPROVAL_EXPIRY_KIND]: 1 });
    expect(entries).toEqual([]);
    expect(w.store.events.map((e) => e.type)).toEqual(['approval.requested', 'approval.expired']);
    expect(w.store.audits.at(-1)).toMatchObject({ action: 'approval.expired', actor: { type: 'system' } });
    expect(
      (
        await w.approvals.answer({
          orgId: ORG,
          approvalId: id,
          option: 'approve',
          userId: w.linus.id,
          channel: 'api',
        })
      ).outcome,
    ).toBe('expired');
  });
});

describe('what the approval events carry and where they go', () => {
  const approval = (over: Partial<StoredApproval> = {}): StoredApproval => ({
    id: newId('apr'),
    orgId: ORG,
    status: 'pending',
    question: 'Deploy release 1.4?\nThe canary is green.',
    options: [
      { id: 'approve', label: 'Approve' },
      { id: 'reject', label: 'Reject' },
    ],
    answerers: { userIds: [], teamIds: [], roles: ['admin'] },
    destination: { kind: 'chat', provider: 'chatty', connectionId: newId('con'), conversation: 'C0123' },
    context: null,
    callbackEndpointId: newId('ep'),
    requestedBy: { type: 'api_key', id: newId('key'), name: 'release agent' },
    createdAt: T0.toISOString(),
    expiresAt: '2026-12-02T12:00:00.000Z',
    decision: null,
    cancelled: null,
    expiredAt: null,
    ...over,
  });

  it('renders a pending approval as a card with a button per option, who asked and until when', () => {
    const a = approval();
    const card = approvalCard(approvalEvent('approval.requested', a, T0, 'c'));
    expect(card.title).toBe('Decision needed: Deploy release 1.4?');
    expect(card.context).toBe('Asked by release agent, expires 2026-12-02 12:00 UTC');
    expect(card.actions).toEqual([
      { kind: 'button', id: `approval:${a.id}:approve`, label: 'Approve', style: 'primary' },
      { kind: 'button', id: `approval:${a.id}:reject`, label: 'Reject' },
    ]);
    expect(parseApprovalAction(`approval:${a.id}:reject`)).toEqual({ approvalId: a.id, option: 'reject' });
    expect(parseApprovalAction('bot:status')).toBeNull();
  });

  it('renders a decided approval with who decided and no buttons; an expired one too', () => {
    const decided = approval({
      status: 'decided',
      decision: {
        option: 'approve',
        label: 'Approve',
        by: { userId: 'usr_1', name: 'Linus' },
        at: '2026-12-01T12:05:00.000Z',
        via: 'chatty',
      },
    });
    const card = approvalCard(decided);
    expect(card).toMatchObject({ title: 'Approve: Deploy release 1.4?', tone: 'good' });
    expect(card.context).toContain('Decided by Linus via chatty at 2026-12-01 12:05 UTC');
    expect(card.actions).toBeUndefined();
    const late = approvalCard(approval(), new Date('2026-12-03T00:00:00Z'));
    expect(late.title).toBe('Expired: Deploy release 1.4?');
    expect(late.actions).toBeUndefined();
    expect(viewOf(approval(), new Date('2026-12-03T00:00:00Z')).status).toBe('expired');
  });

  it("sends the hub's approval events to its callback endpoint and chat destination, never a sender's", () => {
    const a = approval();
    const event = approvalEvent('approval.decided', a, T0, 'c');
    expect(approvalTargets(event)).toEqual([
      { channel: 'webhook', endpointId: a.callbackEndpointId },
      {
        channel: 'chat',
        provider: 'chatty',
        connectionId: a.destination?.connectionId,
        conversation: 'C0123',
      },
    ]);
    expect(approvalTargets({ ...event, source: { provider: 'generic', connectionId: 'con_x' } })).toEqual([]);
    expect(approvalTargets({ ...event, tenantId: newId('org') })).toEqual([]);
  });

  it('refuses an approval event from any provider: only the hub publishes them', () => {
    expect(() =>
      canonicalEvent(
        { orgId: ORG, connectionId: 'con_x', body: '{}', receivedAt: T0, correlationId: 'c' },
        'generic',
        'd1',
        { type: 'approval.decided', data: { approval: approval() }, occurredAt: null } as never,
      ),
    ).toThrow(/Only the hub publishes approval.decided/);
  });

  it("lets the matcher add an event's own targets, an endpoint only while it is enabled", async () => {
    const a = approval();
    const enqueued: DeliveryTarget[][] = [];
    const match = makeMatcher({
      endpoints: { listEnabled: async () => [] },
      deliveries: {
        enqueue: async (_e, targets) => {
          enqueued.push([...targets]);
          return { created: targets.length, existing: 0 };
        },
      },
      ownTargets: approvalTargets,
    });
    await match(approvalEvent('approval.requested', a, T0, 'c'));
    expect(enqueued).toEqual([
      [
        {
          channel: 'chat',
          provider: 'chatty',
          connectionId: a.destination?.connectionId,
          conversation: 'C0123',
        },
      ],
    ]);
    const enabled = makeMatcher({
      endpoints: { listEnabled: async () => [{ id: String(a.callbackEndpointId), eventTypes: [] }] },
      deliveries: {
        enqueue: async (_e, targets) => {
          enqueued.push([...targets]);
          return { created: targets.length, existing: 0 };
        },
      },
      ownTargets: approvalTargets,
    });
    await enabled(approvalEvent('approval.decided', a, T0, 'c'));
    expect(enqueued[1]?.map((t) => t.channel)).toEqual(['webhook', 'chat']);
  });

  it("publishes an outbox item's event as written, and only into its own org", () => {
    const event = approvalEvent('approval.decided', approval(), T0, 'c');
    const item = { PK: `T#${ORG}#OUTBOX`, SK: event.id, id: event.id, event: JSON.stringify(event) };
    expect(domainEventFromInsert(item, 'stream-1', T0)).toEqual(event);
    expect(domainEventFromInsert({ ...item, PK: `T#${newId('org')}#OUTBOX` }, 'stream-1', T0)).toBeNull();
    expect(domainEventFromInsert({ ...item, event: '{nope' }, 'stream-1', T0)).toBeNull();
  });
});
