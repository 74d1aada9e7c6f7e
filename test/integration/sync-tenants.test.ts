import { DynamoDbLockStore } from '../../shared/adapters/dynamodb/dynamodb-lock-store';
import { DynamoDbSyncStore } from '../../shared/adapters/dynamodb/dynamodb-sync-store';
import { auditBySystem } from '../../shared/audit/audit-record';
import type { Connection, Provider } from '../../shared/connectors/connection';
import type {
  ChangedPage,
  CodeHostConnector,
  TrackerConnector,
  WorkItemClient,
} from '../../shared/connectors/work-items';
import { ProviderUnavailableError, QuotaExceededError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { PROVIDERS } from '../../shared/providers';
import { makeManageMappings } from '../../shared/sync/manage-sync';
import type { Mapping } from '../../shared/sync/mapping';
import { makeSyncProviders } from '../../shared/sync/providers';
import {
  makeOrgSlots,
  makeScanWork,
  makeScheduleReconciliation,
  reconcileEnvelope,
} from '../../shared/sync/reconcile';
import { makeScanPages, makeScanStarter } from '../../shared/sync/scan';
import { makeSyncEngine } from '../../shared/sync/sync-engine';
import type { Org } from '../../shared/tenancy/org';
import { PLANS } from '../../shared/tenancy/plans';
import { member } from '../support/api-events';
import { aMapping } from '../support/builders';
import type { LocalDynamoDb } from '../support/local-dynamodb';
import { startLocalDynamoDb } from '../support/local-dynamodb';

/**
 * What one organisation can do to the others through sync, on DynamoDB Local: hold more
 * mappings than its plan allows, or (see below) slow everyone's reconciliation.
 */

let aws: LocalDynamoDb;
beforeAll(async () => {
  aws = await startLocalDynamoDb();
});
afterAll(async () => aws?.stop());

const request = { requestId: 'req-1', ip: '203.0.113.9', userAgent: 'jest' };
const clock = { now: () => new Date() };

/** An org on the free plan with a Jira and a GitHub connection, and the mapping use cases over DynamoDB Local. */
function freeOrg() {
  const orgId = newId('org');
  const jira = newId('con');
  const github = newId('con');
  const connection = (id: string, provider: string) =>
    ({
      id,
      orgId,
      provider,
      name: provider,
      status: 'active',
      config: { baseUrl: null },
    }) as unknown as Connection;
  const store = new DynamoDbSyncStore(aws.docs, aws.tables);
  const mappings = makeManageMappings({
    store,
    connections: {
      get: async (_org, id) =>
        id === jira ? connection(id, 'jira') : id === github ? connection(id, 'github') : null,
    },
    orgs: { get: async () => ({ id: orgId, plan: 'free', status: 'active' }) as unknown as Org },
    clock,
    connectors: PROVIDERS.syncConnectors,
    audit: { append: async () => {} },
    scanner: { backfill: async () => Promise.reject(new Error('not here')) },
  });
  const input = (n: number) => ({
    tracker: { connectionId: jira, project: 'WEB' },
    codeHost: { connectionId: github, repository: `acme/web-${n}` },
  });
  const create = (n: number) =>
    mappings.create(
      orgId,
      input(n) as Parameters<typeof mappings.create>[1],
      member(orgId, 'admin'),
      request,
    );
  return { orgId, mappings, create, store };
}

describe('mappings per org are a plan limit', () => {
  const limit = PLANS.free.mappings;

  it('refuses a mapping beyond the plan with 429, and takes one again after a delete', async () => {
    const { orgId, mappings, create } = freeOrg();
    const made = [];
    for (let n = 0; n < limit; n += 1) made.push(await create(n));
    const refused = await create(limit).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).toMatchObject({ status: 429, message: `The plan allows ${limit} sync mappings` });
    expect((await mappings.list(orgId)).items).toHaveLength(limit);

    await mappings.remove(orgId, String(made[0]?.id), member(orgId, 'admin'), request);
    await expect(create(limit)).resolves.toMatchObject({ orgId });
    await expect(create(limit + 1)).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('cannot be exceeded by concurrent creates', async () => {
    const { orgId, mappings, create } = freeOrg();
    const results = await Promise.allSettled(Array.from({ length: limit + 4 }, (_, n) => create(n)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(limit);
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(QuotaExceededError);
    expect((await mappings.list(orgId)).items).toHaveLength(limit);
  });
});

/** A promise a test settles when it chooses: a provider that has stopped answering until then. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Messages the workers and the schedule put on the queues. */
function recordingQueues() {
  const sent: {
    queue: string;
    body: string;
    delaySeconds: number | undefined;
    groupId: string | undefined;
  }[] = [];
  return {
    sent,
    send: async (queue: string, body: string, options?: { delaySeconds?: number; groupId?: string }) =>
      void sent.push({ queue, body, delaySeconds: options?.delaySeconds, groupId: options?.groupId }),
  };
}

/**
 * A tracker and a code host kept in memory, whose servers each org's test can slow down: an
 * estimate or a listing waits on `hold(orgId)` when set; `calls` counts what reached a server.
 */
function slowableProviders(callTimeoutMs: number) {
  const holds = new Map<string, Promise<void>>();
  const pages = new Map<string, ChangedPage[]>();
  const calls: { orgId: string; call: string; mappingContainer: string }[] = [];
  const inFlight = new Map<string, number>();
  const peak = new Map<string, number>();
  const waiters: { orgId: string; n: number; done: () => void }[] = [];
  /** Settles once `n` of the org's calls are at its server at once. */
  const reached = (orgId: string, n: number) =>
    new Promise<void>((done) => {
      if ((inFlight.get(orgId) ?? 0) >= n) done();
      else waiters.push({ orgId, n, done });
    });
  const client = (connection: Connection): WorkItemClient => {
    const track = async <T>(call: string, container: string, run: () => T): Promise<T> => {
      const org = connection.orgId;
      calls.push({ orgId: org, call, mappingContainer: container });
      inFlight.set(org, (inFlight.get(org) ?? 0) + 1);
      peak.set(org, Math.max(peak.get(org) ?? 0, inFlight.get(org) ?? 0));
      for (const w of waiters) if (w.orgId === org && (inFlight.get(org) ?? 0) >= w.n) w.done();
      try {
        await holds.get(org);
        return run();
      } finally {
        inFlight.set(org, (inFlight.get(org) ?? 1) - 1);
      }
    };
    return {
      connection,
      identity: async () => ({ actor: 'hub', creator: 'hub' }),
      itemUrl: (container, key) => `https://items.test/${container}/${key}`,
      createItem: async () => Promise.reject(new Error('nothing is created here')),
      updateItem: async () => {},
      addComment: async () => 'c-1',
      findComment: async () => null,
      changedSince: (container, _since, cursor) =>
        track('changedSince', container, () => {
          const list = pages.get(`${connection.orgId}:${connection.provider}`) ?? [];
          return list[Number(cursor || '0')] ?? { items: [], next: null };
        }),
      estimateChangedSince: (container) => track('estimate', container, () => 0),
    };
  };
  const base = {
    checkContainer: () => null,
    actorOf: () => null,
    couldBeHub: () => false,
    readItem: () => null,
    readComment: () => null,
  };
  const tracker: TrackerConnector = {
    ...base,
    provider: 'jira' as Provider,
    role: 'tracker',
    displayName: 'Tracker',
    defaultItemType: undefined,
    referencesIn: () => [],
    canonicalText: (markdown) => markdown,
    open: (connection) => ({
      ...client(connection),
      linkPullRequest: async () => {},
      moveTo: async () => {},
    }),
  };
  const codeHost: CodeHostConnector = {
    ...base,
    provider: 'github' as Provider,
    role: 'codeHost',
    displayName: 'Code host',
    readPullRequest: () => null,
    open: (connection) => ({
      ...client(connection),
      createBranch: async () => {},
      openPullRequest: async () => Promise.reject(new Error('no pull requests here')),
    }),
  };
  const connectors = { jira: tracker, github: codeHost };
  const providers = makeSyncProviders({
    connections: {
      withCredentials: async (orgId, id) => ({
        connection: {
          id,
          orgId,
          provider: id.endsWith('J') ? 'jira' : 'github',
          name: 'c',
          status: 'active',
          config: { baseUrl: null },
        } as unknown as Connection,
        encryptedCredentials: 'sealed',
      }),
    },
    cipher: {
      encrypt: async (p) => p,
      decrypt: async () => JSON.stringify({ kind: 'jira_api_token', email: 'a@b.test', apiToken: 't' }),
    },
    connectors,
    callTimeoutMs,
  });
  return { providers, connectors, holds, pages, calls, peak, reached };
}

/** Mappings of one org in the real store (and so in the reconciler's directory). */
async function mappingsOf(store: DynamoDbSyncStore, orgId: string, count: number): Promise<Mapping[]> {
  const made: Mapping[] = [];
  for (let n = 0; n < count; n += 1) {
    const base = aMapping({
      tracker: { connectionId: 'con_01M8F79MGRCMY1JDM07R52VC0J', project: 'WEB' },
      codeHost: { connectionId: 'con_01M8F79P3R3K1638C8KPHEN33G', repository: `acme/web-${n}` },
    });
    const mapping = {
      ...base,
      id: newId('map'),
      orgId,
      createdAt: new Date(Date.now() - 3_600_000).toISOString(),
    };
    await store.createMapping(
      mapping,
      auditBySystem({
        action: 'mapping.created',
        actor: 'test',
        orgId,
        targets: [],
        requestId: 'r',
        at: new Date(),
      }),
      { resource: 'mappings', limit: 1_000 },
    );
    made.push(mapping);
  }
  return made;
}

/** The reconcile queue's worker over the real store and lock store, and the fake providers. */
function scanWorkOver(
  store: DynamoDbSyncStore,
  fake: ReturnType<typeof slowableProviders>,
  queues: ReturnType<typeof recordingQueues>,
  options: { slots?: number; clock?: { now: () => Date } } = {},
) {
  const clock = options.clock ?? { now: () => new Date() };
  return makeScanWork({
    store,
    starter: makeScanStarter({ store, providers: fake.providers, queues, clock }),
    pages: makeScanPages({
      store,
      providers: fake.providers,
      engine: makeSyncEngine({
        store,
        providers: fake.providers,
        audit: { append: async () => {} },
        clock,
        connectors: fake.connectors,
      }),
      queues,
      clock,
    }),
    slots: makeOrgSlots(new DynamoDbLockStore(aws.docs, aws.tables.domainTable), options.slots),
    queues,
    random: () => 0.5,
  });
}

const reconcileOf = (body: string) =>
  (JSON.parse(body) as { detail: { reconcile?: { orgId: string; mappingId: string } } }).detail.reconcile;

describe('one org cannot slow the others: reconciliation fans out', () => {
  it('queues one message per mapping of every active org, page after page of the directory, holding no provider client', async () => {
    const store = new DynamoDbSyncStore(aws.docs, aws.tables);
    const [busy, quiet, suspended] = [newId('org'), newId('org'), newId('org')];
    const mappings = {
      [busy]: await mappingsOf(store, busy, 130),
      [quiet]: await mappingsOf(store, quiet, 2),
      [suspended]: await mappingsOf(store, suspended, 3),
    };
    const status: Record<string, string> = { [busy]: 'active', [quiet]: 'active', [suspended]: 'suspended' };
    const orgReads: string[] = [];
    const queues = recordingQueues();
    const schedule = makeScheduleReconciliation({
      store,
      orgs: {
        get: async (orgId) => {
          orgReads.push(orgId);
          return status[orgId] ? ({ id: orgId, status: status[orgId] } as unknown as Org) : null;
        },
      },
      queues,
    });
    const result = await schedule();

    const queued = queues.sent.map((m) => ({ queue: m.queue, ...reconcileOf(m.body) }));
    for (const orgId of [busy, quiet]) {
      const ids = queued.filter((m) => m.orgId === orgId).map((m) => m.mappingId);
      expect(ids.sort()).toEqual(mappings[orgId]?.map((m) => m.id).sort());
    }
    expect(queued.filter((m) => m.orgId === suspended)).toEqual([]);
    expect(new Set(queued.map((m) => m.queue))).toEqual(new Set(['reconcile']));
    // Each message names its org as its group: SQS fair queues serve a quiet org before a busy one's backlog.
    expect(queues.sent.every((m) => m.groupId === reconcileOf(m.body)?.orgId)).toBe(true);
    expect(result.skipped).toBeGreaterThanOrEqual(3);
    // Each org is looked up once per run, however many mappings it has.
    expect(orgReads.filter((o) => o === busy)).toHaveLength(1);
  });

  it("starts one org's reconciliation while another org's server has stopped answering", async () => {
    const store = new DynamoDbSyncStore(aws.docs, aws.tables);
    const fake = slowableProviders(60_000);
    const stalled = gate();
    const [slowOrg, fastOrg] = [newId('org'), newId('org')];
    const [slowMapping] = await mappingsOf(store, slowOrg, 1);
    const [fastMapping] = await mappingsOf(store, fastOrg, 1);
    fake.holds.set(slowOrg, stalled.opened);
    const work = scanWorkOver(store, fake, recordingQueues());
    let slowDone = false;
    const slow = work(reconcileEnvelope(slowOrg, String(slowMapping?.id)), newId('evt')).finally(() => {
      slowDone = true;
    });
    expect(await work(reconcileEnvelope(fastOrg, String(fastMapping?.id)), newId('evt'))).toBe('started');
    expect(slowDone).toBe(false);
    expect(await store.latestJob(fastOrg, String(fastMapping?.id), 'reconcile')).toMatchObject({
      status: 'running',
    });
    stalled.open();
    expect(await slow).toBe('started');
  });

  it('gives up on a server that stops answering at the per-call bound, as a provider outage', async () => {
    const store = new DynamoDbSyncStore(aws.docs, aws.tables);
    const fake = slowableProviders(300);
    const stalled = gate();
    const orgId = newId('org');
    const [mapping] = await mappingsOf(store, orgId, 1);
    fake.holds.set(orgId, stalled.opened);
    const queues = recordingQueues();
    const work = scanWorkOver(store, fake, queues);
    // The server never answers while this runs: the estimates give up, and the job starts without one…
    expect(await work(reconcileEnvelope(orgId, String(mapping?.id)), newId('evt'))).toBe('started');
    expect(await store.latestJob(orgId, String(mapping?.id), 'reconcile')).toMatchObject({ total: null });
    // …and its pages meet the same bound: an outage, retried with backoff by the failure policy.
    const page = queues.sent.find((m) => m.body.includes(orgId) && m.body.includes('sync.scan'));
    const failed = await work(String(page?.body), newId('evt')).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ProviderUnavailableError);
    expect((failed as Error).message).toMatch(/did not answer within/);
    stalled.open();
  });

  it("holds an org to its share of the workers, puts its other work back for later, and lets other orgs' work through", async () => {
    const store = new DynamoDbSyncStore(aws.docs, aws.tables);
    const fake = slowableProviders(60_000);
    const busy = gate();
    const [busyOrg, otherOrg] = [newId('org'), newId('org')];
    const busyMappings = await mappingsOf(store, busyOrg, 5);
    const [otherMapping] = await mappingsOf(store, otherOrg, 1);
    fake.holds.set(busyOrg, busy.opened);
    const queues = recordingQueues();
    const work = scanWorkOver(store, fake, queues, { slots: 2 });
    let putBack = 0;
    let threePutBack: () => void = () => {};
    const allPutBack = new Promise<void>((resolve) => {
      threePutBack = resolve;
    });
    const busyWork = busyMappings.map((m) =>
      work(reconcileEnvelope(busyOrg, m.id), newId('evt')).then((outcome) => {
        if (outcome === 'deferred' && ++putBack === 3) threePutBack();
        return outcome;
      }),
    );
    const other = await work(reconcileEnvelope(otherOrg, String(otherMapping?.id)), newId('evt'));
    expect(other).toBe('started');

    // Two reconciliations at the busy org's server at once, each asking both sides for an
    // estimate; the other three were put back while both slots were held.
    await Promise.all([fake.reached(busyOrg, 4), allPutBack]);
    busy.open();
    const outcomes = await Promise.all(busyWork);
    expect(outcomes.filter((o) => o === 'started')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'deferred')).toHaveLength(3);
    expect(fake.peak.get(busyOrg)).toBe(4);
    const deferred = queues.sent.filter((m) => m.delaySeconds !== undefined);
    expect(deferred.map((m) => reconcileOf(m.body)?.orgId)).toEqual([busyOrg, busyOrg, busyOrg]);
    expect(deferred.every((m) => m.queue === 'reconcile' && (m.delaySeconds ?? 0) >= 30)).toBe(true);

    // Its turn comes: the slots were given back, so the work put back runs.
    expect(await work(String(deferred[0]?.body), newId('evt'))).toBe('started');
  });
});

describe('work skipped for a suspended org is picked up again by reconciliation', () => {
  it('does not move the cursor past a scan page that was skipped, so the next reconciliation reads it again', async () => {
    const store = new DynamoDbSyncStore(aws.docs, aws.tables);
    const fake = slowableProviders(60_000);
    const orgId = newId('org');
    const [mapping] = await mappingsOf(store, orgId, 1);
    const mappingId = String(mapping?.id);
    // Two pages of tracker changes, none on the code host.
    fake.pages.set(`${orgId}:jira`, [
      { items: [], next: '1' },
      { items: [], next: null },
    ]);
    let now = Date.now();
    const clock = { now: () => new Date(now) };
    const queues = recordingQueues();
    const work = scanWorkOver(store, fake, queues, { clock });
    const nextPage = () => {
      const message = queues.sent.pop();
      expect(message?.body).toContain('sync.scan');
      return String(message?.body);
    };

    expect(await work(reconcileEnvelope(orgId, mappingId), newId('evt'))).toBe('started');
    const first = await store.latestJob(orgId, mappingId, 'reconcile');
    expect(await work(nextPage(), newId('evt'))).toBe('continued');
    // The org is suspended: its workers take the next page off the queue without doing it.
    nextPage();
    expect(await store.getCursor(orgId, mappingId)).toEqual({ cursor: null, reconciledAt: null });

    // Reactivated, later: the next reconciliation starts where the cursor stayed, not after the
    // skipped page, and only a finished scan moves the cursor.
    now += 16 * 60_000;
    expect(await work(reconcileEnvelope(orgId, mappingId), newId('evt'))).toBe('started');
    const again = await store.latestJob(orgId, mappingId, 'reconcile');
    expect(again?.id).not.toBe(first?.id);
    expect(again?.since).toBe(first?.since);
    expect(await work(nextPage(), newId('evt'))).toBe('continued');
    expect(await work(nextPage(), newId('evt'))).toBe('continued');
    expect(await store.getCursor(orgId, mappingId)).toMatchObject({ cursor: null });
    expect(await work(nextPage(), newId('evt'))).toBe('done');
    expect(await store.getCursor(orgId, mappingId)).toMatchObject({ cursor: again?.until });
  });

  it('lets a backfill abandoned mid-way (its page skipped) be started again, but not one still moving', async () => {
    const { orgId, store, create } = freeOrg();
    const mapping = await create(0);
    const started: string[] = [];
    const mappings = makeManageMappings({
      store,
      connections: { get: async () => null },
      orgs: { get: async () => null },
      clock,
      connectors: PROVIDERS.syncConnectors,
      audit: { append: async () => {} },
      scanner: {
        backfill: async (m) => {
          started.push(m.id);
          return { id: newId('job') } as never;
        },
      },
    });
    const job = (updatedAt: Date) => ({
      id: newId('job'),
      orgId,
      mappingId: mapping.id,
      kind: 'backfill' as const,
      status: 'running' as const,
      since: new Date(0).toISOString(),
      until: updatedAt.toISOString(),
      checkpoint: 'tracker:2',
      total: null,
      processed: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      failed: 0,
      pages: 1,
      lastError: null,
      startedAt: updatedAt.toISOString(),
      updatedAt: updatedAt.toISOString(),
      finishedAt: null,
      etaSeconds: null,
    });
    await store.createJob(job(new Date(Date.now() - 20 * 60_000)));
    await mappings.startBackfill(orgId, mapping.id, member(orgId, 'admin'), request);
    expect(started).toEqual([mapping.id]);
    await store.createJob(job(new Date()));
    await expect(mappings.startBackfill(orgId, mapping.id, member(orgId, 'admin'), request)).rejects.toThrow(
      /still running/,
    );
  });
});
