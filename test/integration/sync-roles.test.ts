import { DynamoDbSyncStore } from '../../shared/adapters/dynamodb/dynamodb-sync-store';
import { auditBySystem } from '../../shared/audit/audit-record';
import type { CanonicalReading } from '../../shared/connectors/canonical-read';
import {
  actorOf,
  readCommentChange,
  readItemChange,
  readPullRequestActivity,
} from '../../shared/connectors/canonical-read';
import type { Connection, Provider } from '../../shared/connectors/connection';
import type { CodeHostConnector, NativeFields, TrackerConnector } from '../../shared/connectors/work-items';
import { SYNC_FIELDS } from '../../shared/connectors/work-items';
import { ProviderUnavailableError } from '../../shared/errors';
import type { Normalised, Person, WorkItemField } from '../../shared/events/canonical';
import { canonicalEvent, trackerKeysIn } from '../../shared/events/canonical';
import type { CanonicalEvent } from '../../shared/events/canonical-event';
import { newId } from '../../shared/ids';
import type { Json } from '../../shared/json-fields';
import { obj } from '../../shared/json-fields';
import { itemKeys } from '../../shared/sync/link';
import type { Mapping } from '../../shared/sync/mapping';
import type { SyncStore } from '../../shared/sync/ports';
import { makeSyncProviders } from '../../shared/sync/providers';
import { makeSyncEngine } from '../../shared/sync/sync-engine';
import { aMapping } from '../support/builders';
import type { LocalDynamoDb } from '../support/local-dynamodb';
import { startLocalDynamoDb } from '../support/local-dynamodb';

/**
 * The sync engine knows the parts a provider plays, not the providers: two providers no folder
 * of the hub implements, a "board" tracker and a "forge" code host kept in memory, are synced
 * by the same engine, on DynamoDB Local, with nothing in `shared/sync/` knowing them.
 */

type Item = Required<NativeFields> & { key: string; comments: string[] };

/**
 * How each fake's canonical events read: the board keys people by account id, the forge by login,
 * as a tracker and a code host in the hub do; the readers are the ones every provider uses.
 */
const BOARD: CanonicalReading = {
  personKey: (p) => p.id,
  refId: (item) => item.id,
  createdBy: (item) => item.creator?.id ?? null,
};
const FORGE: CanonicalReading = {
  personKey: (p) => p.login,
  refId: (item) => item.id,
  createdBy: (item) => item.createdVia,
};

/**
 * The fakes' normaliser: a test's short description of a change as canonical data, validated by
 * `canonicalEvent` like any provider's. Fields a change does not name get empty values.
 */
function canonical(provider: string, type: string, data: Json): Normalised {
  const person = (name: unknown): Person | null =>
    typeof name === 'string'
      ? { id: name, login: provider === 'forge' ? name : null, name: null, bot: name.endsWith('[app]') }
      : null;
  const actor = person(data.actor);
  if (type.startsWith('work_item.')) {
    const item = obj(data.item);
    const fields = obj(item.fields) as NativeFields;
    return {
      type: type as 'work_item.updated',
      data: {
        actor,
        item: {
          id: String(item.id),
          key: String(item.key),
          url: '',
          container: String(item.container),
          type: 'item',
          title: fields.title ?? '',
          description: fields.description ?? '',
          status: { name: fields.status ?? '', category: 'todo' },
          assignee: person(fields.assignee),
          reporter: null,
          labels: fields.labels ?? [],
          priority: null,
          dueDate: null,
          parent: null,
          createdVia: null,
          createdAt: null,
          updatedAt: null,
        },
        changedFields: data.changed as WorkItemField[],
        changes: [],
      },
    };
  }
  if (type.startsWith('comment.')) {
    return {
      type: type as 'comment.created',
      data: {
        actor,
        comment: {
          id: String(data.id),
          body: String(data.body),
          author: actor,
          url: '',
          createdVia: null,
          createdAt: null,
          updatedAt: null,
        },
        on: { kind: 'work_item', id: String(data.itemId), key: String(data.itemId), url: '', container: '' },
      },
    };
  }
  const title = String(data.title);
  return {
    type: type as 'pull_request.opened',
    data: {
      actor,
      pullRequest: {
        id: String(data.number),
        number: Number(data.number),
        key: `team/app!${data.number}`,
        url: String(data.url),
        container: 'team/app',
        title,
        description: '',
        state: type === 'pull_request.merged' ? 'merged' : 'open',
        draft: false,
        sourceBranch: 'topic',
        targetBranch: 'main',
        author: actor,
        reviewers: [],
        mentions: (data.mentions as string[] | undefined) ?? trackerKeysIn(title),
        createdVia: null,
        createdAt: null,
        updatedAt: null,
        mergedAt: null,
      },
    },
  };
}

function board() {
  const items = new Map<string, Item>();
  /** The markers the hub posted its comments with, and the comments they are on. */
  const markers = new Map<string, string>();
  const pullRequests: { key: string; url: string; state: string; codeHost: string }[] = [];
  const connector: TrackerConnector = {
    provider: 'board' as Provider,
    role: 'tracker',
    displayName: 'Board',
    defaultItemType: undefined,
    checkContainer: () => null,
    actorOf: (event) => actorOf(event, BOARD),
    couldBeHub: () => true,
    readItem: (event) => readItemChange(event, BOARD),
    readComment: (event) => readCommentChange(event, BOARD),
    referencesIn: (text, project) =>
      [...text.matchAll(/\b([A-Z]+-\d+)\b/g)].map((m) => m[1] as string).filter((k) => k.startsWith(project)),
    canonicalText: (markdown) => markdown.trim(),
    open: (connection) => ({
      connection,
      identity: async () => ({ actor: 'board-bot', creator: 'board-bot' }),
      itemUrl: (_project, key) => `https://board.test/items/${key}`,
      createItem: async (project, _type, fields) => {
        const key = `${project}-${items.size + 100}`;
        items.set(key, {
          key,
          title: fields.title ?? '',
          description: fields.description ?? '',
          status: 'Backlog',
          assignee: fields.assignee ?? null,
          labels: fields.labels ?? [],
          comments: [],
        });
        return { ref: { id: key, key, url: `https://board.test/items/${key}` }, status: 'Backlog' };
      },
      updateItem: async (_project, ref, fields) => {
        Object.assign(items.get(ref.key) as Item, fields);
      },
      addComment: async (_project, ref, markdown, options) => {
        (items.get(ref.key) as Item).comments.push(markdown);
        const id = `c-${Date.now()}`;
        if (options?.marker) markers.set(options.marker, id);
        return id;
      },
      findComment: async (_project, _ref, marker) => markers.get(marker) ?? null,
      changedSince: async () => ({ items: [], next: null }),
      estimateChangedSince: async () => 0,
      linkPullRequest: async (key, pr) => {
        pullRequests.push({ key, ...pr });
      },
      moveTo: async (key, status) => {
        (items.get(key) as Item).status = status;
      },
    }),
  };
  return { connector, items, pullRequests };
}

function forge() {
  const issues = new Map<number, Item>();
  const markers = new Map<string, string>();
  /** The next issue update fails as an outage would, when set; or waits for `hold` to settle first. */
  const faults: { failNextUpdate: boolean; hold: Promise<void> | null } = {
    failNextUpdate: false,
    hold: null,
  };
  const connector: CodeHostConnector = {
    provider: 'forge' as Provider,
    role: 'codeHost',
    displayName: 'Forge',
    checkContainer: () => null,
    actorOf: (event) => actorOf(event, FORGE),
    couldBeHub: (actor) => actor.endsWith('[app]'),
    readItem: (event) => readItemChange(event, FORGE),
    readComment: (event) => readCommentChange(event, FORGE),
    readPullRequest: readPullRequestActivity,
    open: (connection) => ({
      connection,
      identity: async () => ({ actor: 'hub[app]', creator: 'hub-app' }),
      itemUrl: (repository, key) => `https://forge.test/${repository}/${key}`,
      createItem: async (repository, _type, fields) => {
        const number = issues.size + 1;
        issues.set(number, {
          key: `${repository}!${number}`,
          title: fields.title ?? '',
          description: fields.description ?? '',
          status: 'open',
          assignee: fields.assignee ?? null,
          labels: fields.labels ?? [],
          comments: [],
        });
        const key = `${repository}!${number}`;
        return { ref: { id: key, key, url: `https://forge.test/${key}` }, status: 'open' };
      },
      updateItem: async (_repository, ref, fields) => {
        if (faults.failNextUpdate) {
          faults.failNextUpdate = false;
          throw new ProviderUnavailableError('Forge: 503');
        }
        const hold = faults.hold;
        faults.hold = null;
        if (hold) await hold;
        Object.assign(issues.get(Number(ref.key.split('!')[1])) as Item, fields);
      },
      addComment: async (_repository, ref, markdown, options) => {
        (issues.get(Number(ref.key.split('!')[1])) as Item).comments.push(markdown);
        const id = `n-${Date.now()}`;
        if (options?.marker) markers.set(options.marker, id);
        return id;
      },
      findComment: async (_repository, _ref, marker) => markers.get(marker) ?? null,
      changedSince: async () => ({ items: [], next: null }),
      estimateChangedSince: async () => 0,
      createBranch: async () => {},
      openPullRequest: async () => ({ number: 1, url: 'https://forge.test/pr/1', draft: true }),
    }),
  };
  return { connector, issues, faults };
}

let aws: LocalDynamoDb;
beforeAll(async () => {
  aws = await startLocalDynamoDb();
});
afterAll(async () => aws?.stop());

/** An org with a board ↔ forge mapping, the engine over DynamoDB Local, and events from either side. */
async function setup(store: SyncStore) {
  const orgId = newId('org');
  const boardConnection = newId('con');
  const forgeConnection = newId('con');
  const b = board();
  const f = forge();
  const connectors = { board: b.connector, forge: f.connector };
  const connection = (id: string, provider: string) =>
    ({
      id,
      orgId,
      provider,
      name: provider,
      status: 'active',
      config: { baseUrl: null },
    }) as unknown as Connection;
  const providers = makeSyncProviders({
    connections: {
      withCredentials: async (_org, id) =>
        id === boardConnection
          ? { connection: connection(id, 'board'), encryptedCredentials: 'sealed' }
          : id === forgeConnection
            ? { connection: connection(id, 'forge'), encryptedCredentials: 'sealed' }
            : null,
    },
    cipher: {
      encrypt: async (plain) => plain,
      decrypt: async () => JSON.stringify({ kind: 'jira_api_token', email: 'x@board.test', apiToken: 't' }),
    },
    connectors,
  });
  const audits: string[] = [];
  const engine = makeSyncEngine({
    store,
    providers,
    audit: { append: async (record) => void audits.push(record.action) },
    clock: { now: () => new Date() },
    connectors,
  });
  const input = aMapping({
    tracker: { connectionId: boardConnection, project: 'BRD' },
    codeHost: { connectionId: forgeConnection, repository: 'team/app' },
    statuses: [
      { tracker: 'Backlog', codeHost: 'open' },
      { tracker: 'Doing', codeHost: 'open' },
      { tracker: 'Shipped', codeHost: 'closed' },
    ],
    users: [{ tracker: 'u-ann', codeHost: 'ann' }],
    pullRequests: { opened: 'Doing', merged: 'Shipped' },
  });
  const mapping: Mapping = {
    ...input,
    orgId,
    tracker: { ...input.tracker, provider: 'board' },
    codeHost: { ...input.codeHost, provider: 'forge' },
  };
  await store.createMapping(
    mapping,
    auditBySystem({
      action: 'mapping.created',
      actor: 'test',
      orgId,
      targets: [{ type: 'mapping', id: mapping.id }],
      requestId: 'r',
      at: new Date(),
    }),
    { resource: 'mappings', limit: 100 },
  );
  // Provider times a minute back, two seconds apart: before the hub's own moves, which it stamps now.
  let clock = Date.now() - 60_000;
  const event = (provider: string, connectionId: string, type: string, data: Json): CanonicalEvent => {
    clock += 2000;
    const at = new Date(clock);
    const delivery = { orgId, connectionId, body: JSON.stringify(data), receivedAt: at, correlationId: 'c' };
    return canonicalEvent(delivery, provider, newId('evt'), {
      ...canonical(provider, type, data),
      occurredAt: at.toISOString(),
    } as Normalised);
  };

  return { orgId, boardConnection, forgeConnection, b, f, engine, mapping, event, audits };
}

describe('the sync engine, between providers it has never heard of', () => {
  it('links, translates, suppresses echoes, mirrors comments and applies pull requests by role', async () => {
    const store = new DynamoDbSyncStore(aws.docs, aws.tables);
    const { orgId, boardConnection, forgeConnection, b, f, engine, mapping, event, audits } =
      await setup(store);
    // A new board item in a closing status: a forge issue, closed, assigned through the user pairs.
    b.items.set('BRD-7', {
      key: 'BRD-7',
      title: 'Ship the board',
      description: 'Body',
      status: 'Shipped',
      assignee: 'u-ann',
      labels: ['a', 'b'],
      comments: [],
    });
    const created = await engine.handle(
      event('board', boardConnection, 'work_item.created', {
        actor: 'u-bob',
        changed: [...SYNC_FIELDS],
        item: {
          id: 'BRD-7',
          key: 'BRD-7',
          container: 'BRD',
          fields: {
            title: ' Ship the board ',
            description: 'Body',
            status: 'Shipped',
            assignee: 'u-ann',
            labels: ['b', 'a'],
          },
        },
      }),
    );
    expect(created).toEqual(['created']);
    expect(f.issues.get(1)).toMatchObject({
      title: 'Ship the board',
      status: 'closed',
      assignee: 'ann',
      labels: ['a', 'b'],
    });
    const linkId = await store.findLinkId(orgId, itemKeys.item(boardConnection, 'BRD-7'));
    const link = await store.getLink(orgId, String(linkId));
    expect(link).toMatchObject({
      tracker: { provider: 'board', container: 'BRD', key: 'BRD-7', url: 'https://board.test/items/BRD-7' },
      codeHost: { provider: 'forge', container: 'team/app', key: 'team/app!1' },
    });

    // The hub's own write on the forge, coming back: an echo, recognised by the forge's actor.
    const forgeItem = (fields: NativeFields, actor: string, changed: string[]) =>
      event('forge', forgeConnection, 'work_item.updated', {
        actor,
        changed,
        item: { id: 'team/app!1', key: 'team/app!1', container: 'team/app', fields },
      });
    expect(await engine.handle(forgeItem({ status: 'closed' }, 'hub[app]', ['status']))).toEqual(['echo']);

    // A person reopens it: the board item goes to the first status paired with `open`.
    expect(await engine.handle(forgeItem({ status: 'open' }, 'ann', ['status']))).toEqual(['updated']);
    expect(b.items.get('BRD-7')?.status).toBe('Backlog');
    expect((await store.getLink(orgId, String(linkId)))?.fields.status).toMatchObject({
      value: 'Backlog',
      side: 'codeHost',
    });

    // A comment crosses with its provider's name.
    const commented = await engine.handle(
      event('forge', forgeConnection, 'comment.created', {
        actor: 'ann',
        itemId: 'team/app!1',
        id: 'n-1',
        body: 'Looks good',
      }),
    );
    expect(commented).toEqual(['commented']);
    expect(b.items.get('BRD-7')?.comments).toEqual(['**ann** commented in Forge:\n\nLooks good']);

    // A merged pull request naming the item: linked on the board, moved to Shipped, and the
    // forge issue closed through the link.
    const merged = await engine.handle(
      event('forge', forgeConnection, 'pull_request.merged', {
        actor: 'ann',
        number: 9,
        url: 'https://forge.test/pr/9',
        title: 'BRD-7: ship it',
      }),
    );
    expect(merged).toEqual(['pull-request']);
    expect(b.pullRequests).toEqual([
      {
        key: 'BRD-7',
        url: 'https://forge.test/pr/9',
        title: 'BRD-7: ship it',
        state: 'merged',
        codeHost: 'Forge',
      },
    ]);
    expect(b.items.get('BRD-7')?.status).toBe('Shipped');
    expect(f.issues.get(1)?.status).toBe('closed');
    const after = await store.getLink(orgId, String(linkId));
    expect(after).toMatchObject({
      fields: { status: { value: 'Shipped', side: 'tracker' } },
      pending: { tracker: [], codeHost: [] },
      pullRequests: [{ repository: 'team/app', number: 9, state: 'merged' }],
      comments: [{ codeHost: 'n-1' }],
    });

    // A forge issue a scan finds unlinked: a board item made for it, in the workflow's own start.
    const outcome = await engine.snapshot(mapping, 'codeHost', {
      ref: { id: 'team/app!2', key: 'team/app!2', url: 'https://forge.test/team/app!2' },
      container: 'team/app',
      kind: 'updated',
      fields: { title: 'Found by a scan', description: '', status: 'open', assignee: null, labels: [] },
      changed: [...SYNC_FIELDS],
      at: new Date().toISOString(),
      actor: null,
      createdBy: null,
      snapshot: true,
    });
    expect(outcome).toBe('created');
    expect(b.items.get('BRD-101')).toMatchObject({ title: 'Found by a scan', status: 'Backlog' });
    expect(audits).toEqual(['link.created', 'sync.pull_request_applied', 'link.created']);

    // The board item is deleted: the link ends, the forge issue stays and says why it no longer syncs.
    const deleted = event('board', boardConnection, 'work_item.deleted', {
      actor: 'u-bob',
      changed: [],
      item: { id: 'BRD-7', key: 'BRD-7', container: 'BRD', fields: {} },
    });
    expect(await engine.handle(deleted)).toEqual(['ended']);
    expect(f.issues.get(1)?.comments).toEqual([
      'The linked Board item BRD-7 was deleted: the Integration Hub no longer keeps this item in step with it.',
    ]);
    expect((await store.getLink(orgId, String(linkId)))?.ended).toMatchObject({
      side: 'tracker',
      reason: 'deleted',
    });
    // Replayed, it changes nothing; later forge changes and comments go nowhere.
    expect(await engine.handle(deleted)).toEqual(['no-change']);
    const boardBefore = structuredClone(b.items.get('BRD-7'));
    expect(await engine.handle(forgeItem({ title: 'After the end' }, 'ann', ['title']))).toEqual(['ignored']);
    expect(b.items.get('BRD-7')).toEqual(boardBefore);
    expect(audits.at(-1)).toBe('link.ended');
  });

  it('creates one counterpart however often its creation is cut short and retried', async () => {
    const real = new DynamoDbSyncStore(aws.docs, aws.tables);
    let crashBeforeLink = true;
    // The worker dies after the counterpart exists and before its link is written.
    const store = new Proxy(real, {
      get(target, name) {
        if (name === 'createLink' && crashBeforeLink)
          return async () => {
            crashBeforeLink = false;
            throw new Error('the worker stopped');
          };
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { orgId, boardConnection, f, engine, event, audits } = await setup(store);
    const created = event('board', boardConnection, 'work_item.created', {
      actor: 'u-bob',
      changed: [...SYNC_FIELDS],
      item: {
        id: 'BRD-8',
        key: 'BRD-8',
        container: 'BRD',
        fields: { title: 'Once only', description: '', status: 'Shipped', assignee: null, labels: [] },
      },
    });
    await expect(engine.handle(created)).rejects.toThrow('the worker stopped');
    expect(f.issues.size).toBe(1);
    // The retry links the counterpart it made; closing it then meets an outage.
    f.faults.failNextUpdate = true;
    await expect(engine.handle(created)).rejects.toThrow(ProviderUnavailableError);
    expect(f.issues.size).toBe(1);
    const linkId = String(await real.findLinkId(orgId, itemKeys.item(boardConnection, 'BRD-8')));
    expect((await real.getLink(orgId, linkId))?.pending).toEqual({ tracker: [], codeHost: ['status'] });
    // The next retry sends what is still pending, and nothing more is created.
    expect(await engine.handle(created)).toEqual(['updated']);
    expect(f.issues.size).toBe(1);
    expect(f.issues.get(1)).toMatchObject({ title: 'Once only', status: 'closed' });
    expect((await real.getLink(orgId, linkId))?.pending).toEqual({ tracker: [], codeHost: [] });
    expect(audits.filter((a) => a === 'link.created')).toHaveLength(1);
  });

  it('ends with the newest value on the provider when an older write lands after it', async () => {
    const store = new DynamoDbSyncStore(aws.docs, aws.tables);
    const { orgId, boardConnection, f, engine, event } = await setup(store);
    const boardItem = (title: string, changed: string[]) =>
      event('board', boardConnection, changed.length > 1 ? 'work_item.created' : 'work_item.updated', {
        actor: 'u-bob',
        changed,
        item: {
          id: 'BRD-9',
          key: 'BRD-9',
          container: 'BRD',
          fields: { title, description: '', status: 'Backlog', assignee: null, labels: [] },
        },
      });
    expect(await engine.handle(boardItem('First', [...SYNC_FIELDS]))).toEqual(['created']);
    // The older change's write to the forge is slow: the newer one is saved and written meanwhile.
    let release = () => {};
    f.faults.hold = new Promise<void>((r) => {
      release = r;
    });
    const older = engine.handle(boardItem('Second', ['title']));
    await new Promise((r) => setTimeout(r, 200));
    expect(await engine.handle(boardItem('Third', ['title']))).toEqual(['updated']);
    expect(f.issues.get(1)?.title).toBe('Third');
    release();
    expect(await older).toEqual(['updated']);
    // The older write landed last; the link's newest value was written again after it.
    expect(f.issues.get(1)?.title).toBe('Third');
    const linkId = String(await store.findLinkId(orgId, itemKeys.item(boardConnection, 'BRD-9')));
    expect((await store.getLink(orgId, linkId))?.pending).toEqual({ tracker: [], codeHost: [] });
  });

  it('never moves anything backwards: late, out-of-order and replayed deliveries change nothing', async () => {
    const store = new DynamoDbSyncStore(aws.docs, aws.tables);
    const { orgId, boardConnection, forgeConnection, b, f, engine, event, audits } = await setup(store);
    const boardItem = (title: string) =>
      event('board', boardConnection, 'work_item.updated', {
        actor: 'u-bob',
        changed: ['title'],
        item: { id: 'BRD-9', key: 'BRD-9', container: 'BRD', fields: { title } },
      });
    const created = event('board', boardConnection, 'work_item.created', {
      actor: 'u-bob',
      changed: [...SYNC_FIELDS],
      item: {
        id: 'BRD-9',
        key: 'BRD-9',
        container: 'BRD',
        fields: { title: 'First', description: '', status: 'Backlog', assignee: null, labels: [] },
      },
    });
    b.items.set('BRD-9', {
      key: 'BRD-9',
      title: 'First',
      description: '',
      status: 'Backlog',
      assignee: null,
      labels: [],
      comments: [],
    });
    // Two edits on the board, the provider stamping them in order; delivered the other way round.
    // (The board fake keeps its first title: only the hub's writes to it are recorded there.)
    const older = boardItem('Second');
    const newer = boardItem('Third');
    expect(await engine.handle(created)).toEqual(['created']);
    expect(await engine.handle(newer)).toEqual(['updated']);
    expect(f.issues.get(1)?.title).toBe('Third');
    expect(await engine.handle(older)).toEqual(['no-change']);
    expect(f.issues.get(1)?.title).toBe('Third');
    const linkId = String(await store.findLinkId(orgId, itemKeys.item(boardConnection, 'BRD-9')));
    const settled = await store.getLink(orgId, linkId);
    expect(settled?.fields.title).toMatchObject({ value: 'Third', side: 'tracker' });
    // Replays of either are no-ops: the link is not even written again.
    for (const replay of [older, newer, older, created])
      expect(await engine.handle(replay)).toEqual(['no-change']);
    expect((await store.getLink(orgId, linkId))?.revision).toBe(settled?.revision);

    // The code host's own late delivery cannot resurrect what that side has since changed either.
    const forgeItem = (title: string) =>
      event('forge', forgeConnection, 'work_item.updated', {
        actor: 'ann',
        changed: ['title'],
        item: { id: 'team/app!1', key: 'team/app!1', container: 'team/app', fields: { title } },
      });
    const forgeOlder = forgeItem('Forge draft');
    const forgeNewer = forgeItem('Third');
    expect(await engine.handle(forgeNewer)).toEqual(['no-change']);
    expect(await engine.handle(forgeOlder)).toEqual(['no-change']);
    expect((await store.getLink(orgId, linkId))?.fields.title).toMatchObject({ value: 'Third' });
    expect(b.items.get('BRD-9')?.title).toBe('First');

    // A pull request opened, then merged; the `opened` delivery arrives last, and the merge is replayed.
    // It names the item only in its canonical `mentions` (a provider that links them otherwise).
    const pr = (type: string) =>
      event('forge', forgeConnection, type, {
        actor: 'ann',
        number: 12,
        url: 'https://forge.test/pr/12',
        title: 'Ship it',
        mentions: ['BRD-9'],
      });
    const opened = pr('pull_request.opened');
    const merged = pr('pull_request.merged');
    expect(await engine.handle(merged)).toEqual(['pull-request']);
    expect(b.items.get('BRD-9')?.status).toBe('Shipped');
    expect(await engine.handle(opened)).toEqual(['no-change']);
    expect(await engine.handle(merged)).toEqual(['no-change']);
    expect(b.items.get('BRD-9')?.status).toBe('Shipped');
    expect(f.issues.get(1)?.status).toBe('closed');
    expect(b.pullRequests.filter((p) => p.key === 'BRD-9')).toEqual([
      expect.objectContaining({ url: 'https://forge.test/pr/12', state: 'merged' }),
    ]);
    expect((await store.getLink(orgId, linkId))?.pullRequests).toEqual([
      expect.objectContaining({ number: 12, state: 'merged' }),
    ]);
    expect(audits.filter((a) => a === 'sync.pull_request_applied')).toHaveLength(1);
  });

  it('mirrors a comment once however its save fails after posting, and the message is retried', async () => {
    const real = new DynamoDbSyncStore(aws.docs, aws.tables);
    // The store write that fails next, once: after the comment was posted.
    const failing = { next: null as null | 'saveLink' | 'recordMirroredComment' };
    const store = new Proxy(real, {
      get(target, name) {
        if (name === failing.next)
          return async () => {
            failing.next = null;
            throw new Error('the store is unavailable');
          };
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { orgId, boardConnection, forgeConnection, b, engine, event } = await setup(store);
    b.items.set('BRD-11', {
      key: 'BRD-11',
      title: 'Talked about',
      description: '',
      status: 'Backlog',
      assignee: null,
      labels: [],
      comments: [],
    });
    const created = event('board', boardConnection, 'work_item.created', {
      actor: 'u-bob',
      changed: [...SYNC_FIELDS],
      item: {
        id: 'BRD-11',
        key: 'BRD-11',
        container: 'BRD',
        fields: { title: 'Talked about', description: '', status: 'Backlog', assignee: null, labels: [] },
      },
    });
    expect(await engine.handle(created)).toEqual(['created']);
    const comment = (id: string, body: string) =>
      event('forge', forgeConnection, 'comment.created', { actor: 'ann', itemId: 'team/app!1', id, body });

    // The link's save fails after the post was recorded on its claim: the retry only saves.
    const first = comment('n-1', 'First');
    failing.next = 'saveLink';
    await expect(engine.handle(first)).rejects.toThrow('the store is unavailable');
    expect(await engine.handle(first)).toEqual(['commented']);
    // Recording the post fails: the retry cannot know from the store, and finds it by its marker.
    const second = comment('n-2', 'Second');
    failing.next = 'recordMirroredComment';
    await expect(engine.handle(second)).rejects.toThrow('the store is unavailable');
    expect(await engine.handle(second)).toEqual(['commented']);
    // And a replay of either, later, posts nothing.
    expect(await engine.handle(first)).toEqual(['no-change']);
    expect(await engine.handle(second)).toEqual(['no-change']);

    expect(b.items.get('BRD-11')?.comments).toEqual([
      '**ann** commented in Forge:\n\nFirst',
      '**ann** commented in Forge:\n\nSecond',
    ]);
    const linkId = String(await real.findLinkId(orgId, itemKeys.item(boardConnection, 'BRD-11')));
    expect((await real.getLink(orgId, linkId))?.comments.map((p) => p.codeHost)).toEqual(['n-1', 'n-2']);
  });
});
