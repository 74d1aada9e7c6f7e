import { createHash } from 'node:crypto';
import { auditBySystem } from '../audit/audit-record';
import type {
  CommentChange,
  ItemChange,
  PullRequestActivity,
  TrackerConnector,
  WorkItemClient,
  WorkItemConnector,
} from '../connectors/work-items';
import { DependencyUnavailableError, ProviderAuthError, ValidationError } from '../errors';
import type { CanonicalEvent } from '../events/canonical-event';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { AuditStore } from '../ports/stores';
import { openBranchForLink } from './branches';
import type { Canonical, Translation } from './fields';
import { fromSide, sameValue, toNative, toSide } from './fields';
import type { Link } from './link';
import { itemKeys, linkKeys } from './link';
import type { Mapping, Side, SyncField } from './mapping';
import { containerOf, flows, otherSide, SIDES, SYNC_FIELDS } from './mapping';
import type { SyncOutcome } from './outcomes';
import type { SyncStore } from './ports';
import type { SyncProviders, WorkItemConnectors } from './providers';
import { workItemConnector } from './providers';
import type { FieldChange } from './resolve';
import { applyChanges } from './resolve';
import { saveLinkChange } from './save-link';

export type { SyncOutcome } from './outcomes';

export interface SyncEngineDeps {
  readonly store: SyncStore;
  readonly providers: SyncProviders;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly clock: Clock;
  /** The providers that can take part: the modules' sync parts (`ProviderCatalog.syncConnectors`). */
  readonly connectors: WorkItemConnectors;
}

/** Tries a link change a few times against concurrent writers before giving the message back to the queue. */
const SAVE_ATTEMPTS = 5;
/** How long a worker may hold an item while it creates the item's counterpart. */
const CLAIM_SECONDS = 120;

const STAGE_ORDER: Record<PullRequestActivity['stage'], number> = {
  opened: 0,
  approved: 1,
  closed: 2,
  merged: 3,
};

/**
 * A pull request's stage as a rank that sorts as the stages happened: by the provider's time, then
 * by stage (one second can hold a review and a merge); a merge is final, so it outranks everything.
 */
const stageRank = (pr: PullRequestActivity) =>
  `${pr.stage === 'merged' ? 1 : 0}#${new Date(pr.at).toISOString()}#${STAGE_ORDER[pr.stage]}`;

/** The claim a mirrored comment is posted under, by the source comment. */
const commentKey = (connectionId: string, commentId: string) => `comment#${connectionId}#${commentId}`;
/** What the posted comment carries, unseen, so a retry can find it: stable per source comment. */
const commentMarker = (key: string) => `hub-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;

const sideOf = (mapping: Mapping, connectionId: string): Side | null =>
  mapping.tracker.connectionId === connectionId
    ? 'tracker'
    : mapping.codeHost.connectionId === connectionId
      ? 'codeHost'
      : null;

/** Whether an event's project or repository is the mapping's (events that do not say apply). */
const inContainer = (mapping: Mapping, side: Side, container: string | null) =>
  container === null || container.toLowerCase() === containerOf(mapping, side).toLowerCase();

/**
 * The sync engine: applies one canonical event to the links it concerns, between whichever
 * providers play a mapping's tracker and code host. Every step is safe to replay (a replayed
 * change finds the value already there, a mirrored comment is known by id, a creation is claimed),
 * and changes to one link apply in order through its revision.
 */
export function makeSyncEngine(deps: SyncEngineDeps) {
  const { store, providers } = deps;

  /** The tracker connector of a mapping, by the provider its tracker connection had when it was made. */
  function trackerOf(mapping: Mapping): TrackerConnector {
    const connector = workItemConnector(mapping.tracker.provider, 'tracker', deps.connectors);
    if (connector?.role !== 'tracker')
      throw new ValidationError(`Mapping ${mapping.id}: ${mapping.tracker.provider} is not a tracker`);
    return connector;
  }

  const translationOf = (mapping: Mapping): Translation => ({
    mapping,
    canonicalText: trackerOf(mapping).canonicalText,
  });

  /** Marks which connection failed, so the failure policy flags the right one. */
  const onConnection = async <T>(connectionId: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ProviderAuthError) {
        providers.forget(connectionId);
        error.connectionId ??= connectionId;
      }
      throw error;
    }
  };

  const clientOf = async (orgId: string, connectionId: string, side: Side): Promise<WorkItemClient> =>
    side === 'tracker'
      ? (await providers.tracker(orgId, connectionId)).client
      : (await providers.codeHost(orgId, connectionId)).client;

  /**
   * Whether the hub itself made the change a webhook reports (its own write, coming back): the
   * actor is the hub's (the app or account it acts as on the connection). A scan has no actor; its values are
   * compared instead.
   */
  async function isOwnChange(event: CanonicalEvent, connector: WorkItemConnector): Promise<boolean> {
    const actor = connector.actorOf(event);
    if (!actor || !connector.couldBeHub(actor)) return false;
    const connectionId = event.source.connectionId;
    const hub = await onConnection(connectionId, () =>
      providers.identity(event.tenantId, connectionId, connector.role),
    );
    return actor === hub.actor;
  }

  /**
   * An unlinked item the hub created is a counterpart whose link is being written (or was lost
   * with its worker): reconciliation must not give it a counterpart of its own.
   */
  async function createdByHub(change: ItemChange, side: Side, mapping: Mapping): Promise<boolean> {
    if (!change.createdBy) return false;
    const hub = await providers.identity(mapping.orgId, mapping[side].connectionId, side);
    return change.createdBy === hub.creator;
  }

  /** The change's values, in canonical form: only the fields it says changed. */
  function changesOf(change: ItemChange, side: Side, mapping: Mapping, link: Link | null): FieldChange[] {
    // A snapshot of a side that has not been sent the link's latest values yet shows old values,
    // not changes: those fields wait for the push.
    const waiting = change.snapshot && link ? link.pending[side] : [];
    const t = translationOf(mapping);
    return SYNC_FIELDS.filter((f) => change.changed.includes(f) && !waiting.includes(f)).flatMap((field) => {
      const value = fromSide(field, side, change.fields[field], t, link?.fields[field]?.value as Canonical);
      return value === undefined ? [] : [{ field, value, at: change.at }];
    });
  }

  /** Sends a side the link's values it has not had yet, then records them as sent. */
  async function push(link: Link, mapping: Mapping, sourceAt: string | null): Promise<Link> {
    let current = link;
    const t = translationOf(mapping);
    for (const target of SIDES) {
      // Two events of one link push side by side: when a newer value was saved while this one
      // was being written, this write may have landed after the newer one's. The newer value is
      // then pending again and written once more, so the provider ends with the link's value.
      for (let round = 0; round < SAVE_ATTEMPTS; round += 1) {
        const fields = current.pending[target];
        if (fields.length === 0) break;
        const written = current;
        const values = Object.fromEntries(
          fields.flatMap((f) => {
            const version = written.fields[f];
            return version ? [[f, version.value as Canonical]] : [];
          }),
        ) as Partial<Record<SyncField, Canonical>>;
        const native = toNative(values, target, t);
        if (Object.keys(native).length > 0) {
          const item = written[target];
          const client = await clientOf(written.orgId, item.connectionId, target);
          await onConnection(item.connectionId, () => client.updateItem(item.container, item, native));
        }
        let overtaken: SyncField[] = [];
        current = await settle(written, (l) => {
          const stale = (f: SyncField) => !sameValue(l.fields[f]?.value, written.fields[f]?.value);
          overtaken = fields.filter((f) => f in values && stale(f));
          const kept = l.pending[target].filter((f) => !fields.includes(f) || stale(f));
          const now = deps.clock.now();
          return {
            ...l,
            pending: { ...l.pending, [target]: [...kept, ...overtaken.filter((f) => !kept.includes(f))] },
            lastSyncedAt: now.toISOString(),
            lagMs: sourceAt ? Math.max(0, now.getTime() - Date.parse(sourceAt)) : l.lagMs,
            lastError: null,
          };
        });
        if (overtaken.length === 0) break;
      }
    }
    return current;
  }

  const settle = (link: Link, change: (l: Link) => Link) => saveLinkChange(store, link, change);

  async function updateLink(change: ItemChange, side: Side, mapping: Mapping, linkId: string) {
    let link = await store.getLink(mapping.orgId, linkId);
    if (!link || link.ended) return 'ignored' as const;
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt += 1) {
      const { link: next, changed } = applyChanges(
        link,
        side,
        changesOf(change, side, mapping, link),
        mapping,
        deps.clock.now(),
      );
      if (changed && !(await store.saveLink(next, link.revision))) {
        link = (await store.getLink(mapping.orgId, linkId)) ?? link;
        continue;
      }
      const nothingPending = next.pending.tracker.length === 0 && next.pending.codeHost.length === 0;
      // A replayed or already-known delivery may only have been noted (its side's time): no change.
      const moved = !sameValue(next.fields, link.fields) || !sameValue(next.pending, link.pending);
      if (!moved && nothingPending) {
        if (change.kind === 'created' && side === 'tracker' && mapping.branches.onCreate && !next.branch)
          await openBranchForLink(deps, next, mapping, {});
        return 'no-change' as const;
      }
      await push(next, mapping, change.at);
      return 'updated' as const;
    }
    throw new DependencyUnavailableError(`Link ${linkId} is changing too fast; retrying`);
  }

  async function createCounterpart(
    change: ItemChange,
    side: Side,
    mapping: Mapping,
    key: string,
    requestId: string,
  ) {
    const org = mapping.orgId;
    const claim = await store.claimItem(org, key, requestId, CLAIM_SECONDS);
    if (!claim) {
      const linked = await store.findLinkId(org, key);
      if (linked) return updateLink(change, side, mapping, linked);
      throw new DependencyUnavailableError('Another worker is linking this item; retrying');
    }
    const target = otherSide(side);
    const t = translationOf(mapping);
    const values = Object.fromEntries(
      SYNC_FIELDS.map((f) => [f, fromSide(f, side, change.fields[f], t, undefined)]),
    ) as Record<SyncField, Canonical | undefined>;
    const at = new Date(change.at).toISOString();
    const fields: Link['fields'] = {};
    for (const f of SYNC_FIELDS) if (values[f] !== undefined) fields[f] = { value: values[f], at, side };
    // Everything that can fail before the counterpart exists is done first: after it, only the
    // claim record and the link stand between a retry and a second counterpart.
    const sourceRef = change.ref.url
      ? change.ref
      : {
          ...change.ref,
          url: (await clientOf(org, mapping[side].connectionId, side)).itemUrl(
            containerOf(mapping, side),
            change.ref.key,
          ),
        };
    const targetConnection = mapping[target].connectionId;
    const client = await clientOf(org, targetConnection, target);

    let created = claim.counterpart;
    if (!created) {
      const { status: _status, ...rest } = Object.fromEntries(
        Object.entries(values).filter(([, v]) => v !== undefined),
      ) as Partial<Record<SyncField, Canonical>>;
      created = await onConnection(targetConnection, () =>
        client.createItem(
          containerOf(mapping, target),
          target === 'tracker' ? (mapping.tracker.itemType ?? trackerOf(mapping).defaultItemType) : undefined,
          { ...toNative(rest, target, t), title: String(rest.title ?? '') },
        ),
      );
      await store.recordCounterpart(org, key, requestId, created);
    }

    // The new item starts where its provider puts it. That start stands when it means the same to
    // the source side (a new tracker item's own first status for an open code-host issue); otherwise
    // the item is sent the source's status, like any pending change (retried until it lands).
    const pending: Link['pending'] = { tracker: [], codeHost: [] };
    const status = values.status;
    if (status !== undefined && status !== null) {
      const start =
        created.status === null ? undefined : fromSide('status', target, created.status, t, status);
      const same =
        start !== undefined && sameValue(toSide('status', side, start, t), toSide('status', side, status, t));
      if (same && start !== status) fields.status = { value: start as Canonical, at, side: target };
      else if (!same && toSide('status', target, status, t) !== undefined) pending[target] = ['status'];
    }

    const sideOfLink = (s: Side, ref: { id: string; key: string; url: string }) => ({
      connectionId: mapping[s].connectionId,
      provider: mapping[s].provider,
      container: containerOf(mapping, s),
      id: ref.id,
      key: ref.key,
      url: ref.url,
    });
    const sides = {
      [side]: sideOfLink(side, sourceRef),
      [target]: sideOfLink(target, created.ref),
    } as Record<Side, Link['tracker']>;
    const now = deps.clock.now();
    const link: Link = {
      id: newId('lnk'),
      orgId: org,
      mappingId: mapping.id,
      tracker: sides.tracker,
      codeHost: sides.codeHost,
      fields,
      pending,
      comments: [],
      pullRequests: [],
      branch: null,
      history: [],
      lastSyncedAt: now.toISOString(),
      lagMs: now.getTime() - Date.parse(change.at),
      lastError: null,
      ended: null,
      revision: 1,
      createdAt: now.toISOString(),
    };
    await store.createLink(link, linkKeys(link));
    await deps.audit.append(
      auditBySystem({
        action: 'link.created',
        actor: 'hub-sync',
        orgId: org,
        targets: [
          { type: 'link', id: link.id },
          { type: 'mapping', id: mapping.id },
        ],
        requestId,
        at: now,
        after: { tracker: link.tracker.key, codeHost: link.codeHost.key, from: side },
      }),
    );
    const current = await push(link, mapping, change.at);
    if (side === 'tracker' && mapping.branches.onCreate) await openBranchForLink(deps, current, mapping, {});
    return 'created' as const;
  }

  /**
   * A linked item was deleted: the link ends (nothing is synced to a deleted item, and the other
   * item is left as it is), and the people on the other side are told in a comment when comments
   * flow their way.
   */
  async function endLink(
    change: ItemChange,
    side: Side,
    mapping: Mapping,
    linkId: string,
    requestId: string,
  ): Promise<SyncOutcome> {
    const link = await store.getLink(mapping.orgId, linkId);
    if (!link || link.ended) return 'no-change';
    const target = otherSide(side);
    const item = link[target];
    if (flows(mapping.fields.comments, side)) {
      const name =
        workItemConnector(link[side].provider, side, deps.connectors)?.displayName ?? link[side].provider;
      const client = await clientOf(link.orgId, item.connectionId, target);
      // Told before the link is saved as ended: a retry may tell twice, never not at all.
      await onConnection(item.connectionId, () =>
        client.addComment(
          item.container,
          item,
          `The linked ${name} item ${link[side].key} was deleted: the Integration Hub no longer keeps this item in step with it.`,
        ),
      );
    }
    const at = new Date(change.at).toISOString();
    await settle(link, (l) => ({
      ...l,
      ended: { side, at, reason: 'deleted' },
      pending: { tracker: [], codeHost: [] },
    }));
    await deps.audit.append(
      auditBySystem({
        action: 'link.ended',
        actor: 'hub-sync',
        orgId: link.orgId,
        targets: [
          { type: 'link', id: link.id },
          { type: 'mapping', id: mapping.id },
        ],
        requestId,
        at: deps.clock.now(),
        after: { deleted: link[side].key, kept: item.key, side },
      }),
    );
    return 'ended';
  }

  async function workItem(
    change: ItemChange,
    side: Side,
    mapping: Mapping,
    requestId: string,
  ): Promise<SyncOutcome> {
    const key = itemKeys.item(mapping[side].connectionId, change.ref.id);
    const linkId = await store.findLinkId(mapping.orgId, key);
    if (linkId && change.kind === 'deleted') return endLink(change, side, mapping, linkId, requestId);
    if (linkId) return updateLink(change, side, mapping, linkId);
    if (change.kind === 'deleted' || !flows(mapping.create, side)) return 'ignored';
    if (change.snapshot && (await createdByHub(change, side, mapping))) return 'ignored';
    return createCounterpart(change, side, mapping, key, requestId);
  }

  async function comment(
    event: CanonicalEvent,
    c: CommentChange,
    connector: WorkItemConnector,
    side: Side,
    mapping: Mapping,
  ): Promise<SyncOutcome> {
    if (event.type !== 'comment.created' || !flows(mapping.fields.comments, side)) return 'ignored';
    const linkId = await store.findLinkId(mapping.orgId, itemKeys.item(mapping[side].connectionId, c.itemId));
    const link = linkId ? await store.getLink(mapping.orgId, linkId) : null;
    if (!link || link.ended) return 'ignored';
    if (link.comments.some((pair) => pair[side] === c.id)) return 'no-change';
    const text = `**${c.author}** commented in ${connector.displayName}:\n\n${c.body}`;
    const target = otherSide(side);
    const item = link[target];
    const client = await clientOf(link.orgId, item.connectionId, target);
    // Claimed, then posted with a marker, then recorded: a retry after a failed save records what
    // was posted instead of posting again, and one that cannot know (the post's outcome was lost)
    // asks the provider for the marker before it posts.
    const key = commentKey(mapping[side].connectionId, c.id);
    const claim = await store.claimComment(link.orgId, key, event.id, CLAIM_SECONDS);
    if (!claim) throw new DependencyUnavailableError('Another worker is mirroring this comment; retrying');
    const marker = commentMarker(key);
    let mirrored = claim.mirrored;
    if (!mirrored && claim.retried)
      mirrored = await onConnection(item.connectionId, () =>
        client.findComment(item.container, item, marker, new Date(Date.parse(claim.claimedAt) - 60_000)),
      );
    if (!mirrored) {
      mirrored = await onConnection(item.connectionId, () =>
        client.addComment(item.container, item, text, { marker }),
      );
    }
    if (!claim.mirrored) await store.recordMirroredComment(link.orgId, key, mirrored);
    const posted = mirrored;
    await settle(link, (l) => ({
      ...l,
      comments: [
        ...l.comments,
        ...(l.comments.some((pair) => pair[side] === c.id)
          ? []
          : [{ [side]: c.id, [target]: posted } as { tracker: string; codeHost: string }]),
      ].slice(-500),
      lastSyncedAt: deps.clock.now().toISOString(),
    }));
    return 'commented';
  }

  async function pullRequest(
    event: CanonicalEvent,
    pr: PullRequestActivity,
    connector: WorkItemConnector,
    mapping: Mapping,
  ): Promise<SyncOutcome> {
    // A pull request the hub opened (for a tracker item) does not move that item: nobody worked on it yet.
    if (pr.stage === 'opened' && pr.byBot) return 'ignored';
    // The keys its canonical data names and any its branch, title and body name in the tracker's own form.
    const keys = [
      ...new Set(
        trackerOf(mapping).referencesIn(
          [...(pr.mentions ?? []), pr.text].join('\n'),
          mapping.tracker.project,
        ),
      ),
    ];
    if (keys.length === 0) return 'ignored';
    // Stages apply in the provider's order: a late or replayed `opened` does not undo `merged`.
    const step = `pr#${mapping.id}#${mapping.codeHost.repository}#${pr.number}`;
    const rank = stageRank(pr);
    if (!(await store.claimStep(event.tenantId, step, rank))) return 'no-change';
    const tracker = await providers.tracker(event.tenantId, mapping.tracker.connectionId);
    const status = pr.stage === 'closed' ? undefined : mapping.pullRequests[pr.stage];
    const state = pr.stage === 'merged' ? 'merged' : pr.stage === 'closed' ? 'closed' : 'open';
    for (const key of keys) {
      await onConnection(mapping.tracker.connectionId, async () => {
        if (pr.stage !== 'approved')
          await tracker.client.linkPullRequest(key, {
            url: pr.url,
            title: pr.title,
            state,
            codeHost: connector.displayName,
          });
        if (status) await tracker.client.moveTo(key, status);
      });
      const linkId = await store.findLinkId(event.tenantId, itemKeys.key(mapping.tracker.connectionId, key));
      const link = linkId ? await store.getLink(event.tenantId, linkId) : null;
      if (link && !link.ended) {
        const entry = { repository: mapping.codeHost.repository, number: pr.number, url: pr.url, state };
        // The move is a tracker change the hub made: the link takes it as one, and sends it on to
        // the code host's issue (a merged PR closes the issue when the mapping pairs Done with closed).
        const saved = await settle(link, (l) => {
          const withPr = { ...l, pullRequests: [...l.pullRequests.filter((p) => p.url !== pr.url), entry] };
          if (!status) return withPr;
          return applyChanges(
            withPr,
            'tracker',
            [{ field: 'status', value: status, at: deps.clock.now().toISOString() }],
            mapping,
            deps.clock.now(),
          ).link;
        });
        await push(saved, mapping, event.occurredAt);
      }
      await deps.audit.append(
        auditBySystem({
          action: 'sync.pull_request_applied',
          actor: 'hub-sync',
          orgId: event.tenantId,
          targets: [{ type: 'work_item', id: key }, ...(link ? [{ type: 'link', id: link.id }] : [])],
          requestId: event.id,
          at: deps.clock.now(),
          after: { pullRequest: pr.url, stage: pr.stage, status: status ?? null },
        }),
      );
    }
    await store.finishStep(event.tenantId, step, rank);
    return 'pull-request';
  }

  return {
    async handle(event: CanonicalEvent): Promise<SyncOutcome[]> {
      const connector = workItemConnector(event.source.provider, undefined, deps.connectors);
      if (!connector) return ['ignored'];
      const family = event.type.split('.')[0] ?? '';
      const item = family === 'work_item' ? connector.readItem(event) : null;
      const note = family === 'comment' ? connector.readComment(event) : null;
      const pr =
        (family === 'pull_request' || family === 'review') && connector.role === 'codeHost'
          ? connector.readPullRequest(event)
          : null;
      if (!item && !note && !pr) return ['ignored'];
      // The hub's own writes coming back are a good half of all events: they are recognised
      // before anything is read. A connection that cannot say who the hub is (no credentials: it
      // is in no mapping) goes on to the mappings, which then find nothing to do.
      if (
        (item || note) &&
        (await isOwnChange(event, connector).catch((error: unknown) => {
          if (error instanceof ProviderAuthError) throw error;
          return false;
        }))
      )
        return ['echo'];
      const container = item?.container ?? note?.container ?? pr?.container ?? null;
      const outcomes: SyncOutcome[] = [];
      for (const mapping of await store.listMappings(event.tenantId)) {
        const side = sideOf(mapping, event.source.connectionId);
        if (!side || side !== connector.role || !inContainer(mapping, side, container)) continue;
        if (item) outcomes.push(await workItem(item, side, mapping, event.id));
        else if (note) outcomes.push(await comment(event, note, connector, side, mapping));
        else if (pr) outcomes.push(await pullRequest(event, pr, connector, mapping));
      }
      return outcomes.length > 0 ? outcomes : ['ignored'];
    },
    /** Syncs an item a scan found on one side of a mapping. */
    snapshot: (mapping: Mapping, side: Side, change: ItemChange): Promise<SyncOutcome> =>
      workItem(change, side, mapping, newId('evt')),
  };
}

export type SyncEngine = ReturnType<typeof makeSyncEngine>;
