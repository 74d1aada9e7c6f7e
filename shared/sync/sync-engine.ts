import { auditBySystem } from '../audit/audit-record';
import { fromAdf } from '../connectors/jira/adf';
import { DependencyUnavailableError, ProviderAuthError } from '../errors';
import type { CanonicalEvent } from '../events/canonical-event';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { AuditStore } from '../ports/stores';
import { openBranchForLink } from './branches';
import type { Canonical } from './fields';
import { fromSide, nativeFields, sameValue, toSide } from './fields';
import type { Link } from './link';
import { itemKeys } from './link';
import type { Mapping, Side, SyncField } from './mapping';
import { flows, SYNC_FIELDS } from './mapping';
import type { SyncStore } from './ports';
import type { SyncProviders } from './providers';
import type { FieldChange } from './resolve';
import { applyChanges } from './resolve';
import { saveLinkChange } from './save-link';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : v == null ? null : String(v));

export type SyncOutcome =
  | 'ignored'
  | 'echo'
  | 'no-change'
  | 'created'
  | 'updated'
  | 'commented'
  | 'pull-request';

export interface SyncEngineDeps {
  readonly store: SyncStore;
  readonly providers: SyncProviders;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly clock: Clock;
}

/** Tries a link change a few times against concurrent writers before giving the message back to the queue. */
const SAVE_ATTEMPTS = 5;
/** How long a worker may hold an item while it creates the item's counterpart. */
const CLAIM_SECONDS = 120;
const JIRA_KEY = /\b([A-Z][A-Z0-9_]+-\d+)\b/g;

/**
 * The sync engine: applies one canonical event to the links it concerns. Every step is safe to
 * replay (a replayed change finds the value already there, a mirrored comment is known by id, a
 * creation is claimed), and changes to one link apply in order through its revision.
 */
export function makeSyncEngine(deps: SyncEngineDeps) {
  const { store, providers } = deps;

  /** Marks which connection failed, so the failure policy flags the right one. */
  const onConnection = async <T>(connectionId: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ProviderAuthError) {
        providers.forget(connectionId);
        (error as ProviderAuthError & { connectionId?: string }).connectionId = connectionId;
      }
      throw error;
    }
  };

  /**
   * Whether the hub itself made the change a webhook reports (its own write, coming back): GitHub
   * names the app's bot as the sender, Jira the hub's account as the user. A reconciliation
   * snapshot has no actor; its values are compared instead.
   */
  async function isOwnChange(event: CanonicalEvent, side: Side): Promise<boolean> {
    if (event.data.snapshot === true) return false;
    const connectionId = event.source.connectionId;
    if (side === 'github') {
      const sender = str(event.data.sender);
      if (!sender?.endsWith('[bot]')) return false;
      const gh = await providers.github(event.tenantId, connectionId);
      return sender === (await onConnection(connectionId, () => gh.botLogin()));
    }
    const actor = str(obj(event.data.actor).accountId);
    if (!actor) return false;
    const jira = await providers.jira(event.tenantId, connectionId);
    return actor === (await onConnection(connectionId, () => jira.accountId()));
  }

  /**
   * An unlinked item the hub created is a counterpart whose link is being written (or was lost
   * with its worker): reconciliation must not give it a counterpart of its own.
   */
  async function createdByHub(event: CanonicalEvent, side: Side, mapping: Mapping): Promise<boolean> {
    const wi = obj(event.data.workItem);
    if (side === 'github') {
      const gh = await providers.github(event.tenantId, mapping.github.connectionId);
      return str(wi.viaApp) !== null && str(wi.viaApp) === gh.appId;
    }
    const creator = str(wi.creator);
    if (!creator) return false;
    const jira = await providers.jira(event.tenantId, mapping.jira.connectionId);
    return creator === (await jira.accountId());
  }

  function sourceKey(event: CanonicalEvent, side: Side): string | null {
    const wi = obj(event.data.workItem);
    if (side === 'jira') {
      const id = str(wi.id);
      return id ? itemKeys.jira(event.source.connectionId, id) : null;
    }
    const repository = str(obj(event.data.repository).fullName);
    const number = typeof wi.number === 'number' ? wi.number : null;
    return repository && number !== null
      ? itemKeys.github(event.source.connectionId, repository, number)
      : null;
  }

  function appliesTo(mapping: Mapping, event: CanonicalEvent, side: Side): boolean {
    if (mapping[side].connectionId !== event.source.connectionId) return false;
    if (side === 'jira') {
      const project =
        str(obj(event.data.workItem).project) ?? str(obj(event.data.workItem).key)?.split('-')[0];
      return project === undefined || project === null || project === mapping.jira.projectKey;
    }
    return (
      str(obj(event.data.repository).fullName)?.toLowerCase() === mapping.github.repository.toLowerCase()
    );
  }

  /** The event's changes, in canonical form: only the fields it says changed. */
  function changesOf(event: CanonicalEvent, side: Side, mapping: Mapping, link: Link | null): FieldChange[] {
    const named = Array.isArray(event.data.changedFields) ? (event.data.changedFields as string[]) : [];
    // A snapshot of a side that has not been sent the link's latest values yet shows old values,
    // not changes: those fields wait for the push.
    const waiting = event.data.snapshot === true && link ? link.pending[side] : [];
    const native = nativeFields(side, obj(event.data.workItem));
    return SYNC_FIELDS.filter((f) => named.includes(f) && !waiting.includes(f)).flatMap((field) => {
      const value = fromSide(field, side, native[field], mapping, link?.fields[field]?.value as Canonical);
      return value === undefined ? [] : [{ field, value, at: event.occurredAt }];
    });
  }

  /** Sends a side the link's values it has not had yet, then records them as sent. */
  async function push(link: Link, mapping: Mapping, sourceAt: string | null): Promise<Link> {
    let current = link;
    for (const target of ['jira', 'github'] as const) {
      const fields = current.pending[target];
      if (fields.length === 0) continue;
      const values = Object.fromEntries(
        fields.flatMap((f) => {
          const version = current.fields[f];
          if (!version) return [];
          const native = toSide(f, target, version.value as Canonical, mapping);
          return native === undefined ? [] : [[f, native]];
        }),
      ) as Partial<Record<SyncField, unknown>>;
      if (target === 'github') {
        const gh = await providers.github(current.orgId, current.github.connectionId);
        const patch = {
          ...(values.title !== undefined ? { title: String(values.title) } : {}),
          ...(values.description !== undefined ? { body: String(values.description) } : {}),
          ...(values.status !== undefined ? { state: values.status as 'open' | 'closed' } : {}),
          ...(values.labels !== undefined ? { labels: values.labels as string[] } : {}),
          ...('assignee' in values ? { assignees: values.assignee ? [String(values.assignee)] : [] } : {}),
        };
        if (Object.keys(patch).length > 0) {
          await onConnection(current.github.connectionId, () =>
            gh.ops.updateIssue(gh.repo(current.github.repository), current.github.number, patch),
          );
        }
      } else {
        const jira = await providers.jira(current.orgId, current.jira.connectionId);
        await onConnection(current.jira.connectionId, async () => {
          await jira.ops.updateIssue(current.jira.key, {
            ...(values.title !== undefined ? { title: String(values.title) } : {}),
            ...(values.description !== undefined ? { description: String(values.description) } : {}),
            ...('assignee' in values ? { assignee: (values.assignee as string | null) ?? null } : {}),
            ...(values.labels !== undefined ? { labels: values.labels as string[] } : {}),
          });
          if (values.status !== undefined)
            await jira.ops.transitionTo(current.jira.key, String(values.status));
        });
      }
      current = await settle(current, (l) => {
        const sent = fields.filter((f) => sameValue(l.fields[f]?.value, current.fields[f]?.value));
        const now = deps.clock.now();
        return {
          ...l,
          pending: { ...l.pending, [target]: l.pending[target].filter((f) => !sent.includes(f)) },
          lastSyncedAt: now.toISOString(),
          lagMs: sourceAt ? Math.max(0, now.getTime() - Date.parse(sourceAt)) : l.lagMs,
          lastError: null,
        };
      });
    }
    return current;
  }

  const settle = (link: Link, change: (l: Link) => Link) => saveLinkChange(store, link, change);

  async function updateLink(event: CanonicalEvent, side: Side, mapping: Mapping, linkId: string) {
    let link = await store.getLink(event.tenantId, linkId);
    if (!link) return 'ignored' as const;
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt += 1) {
      const { link: next, changed } = applyChanges(
        link,
        side,
        changesOf(event, side, mapping, link),
        mapping,
        deps.clock.now(),
      );
      if (changed && !(await store.saveLink(next, link.revision))) {
        link = (await store.getLink(event.tenantId, linkId)) ?? link;
        continue;
      }
      const nothingPending = next.pending.jira.length === 0 && next.pending.github.length === 0;
      if (!changed && nothingPending) {
        if (
          event.type === 'work_item.created' &&
          mapping.branches.onCreate &&
          side === 'jira' &&
          !next.branch
        )
          await openBranchForLink(deps, next, mapping, {});
        return 'no-change' as const;
      }
      await push(next, mapping, event.occurredAt);
      return 'updated' as const;
    }
    throw new DependencyUnavailableError(`Link ${linkId} is changing too fast; retrying`);
  }

  async function createCounterpart(event: CanonicalEvent, side: Side, mapping: Mapping, key: string) {
    const org = event.tenantId;
    if (!(await store.claimItem(org, key, event.id, CLAIM_SECONDS))) {
      const linked = await store.findLinkId(org, key);
      if (linked) return updateLink(event, side, mapping, linked);
      throw new DependencyUnavailableError('Another worker is linking this item; retrying');
    }
    const wi = obj(event.data.workItem);
    const native = nativeFields(side, wi);
    const values = Object.fromEntries(
      SYNC_FIELDS.map((f) => [f, fromSide(f, side, native[f], mapping, undefined)]),
    ) as Record<SyncField, Canonical | undefined>;
    const at = new Date(event.occurredAt).toISOString();
    const now = deps.clock.now();
    const base = {
      id: newId('lnk'),
      orgId: org,
      mappingId: mapping.id,
      pending: { jira: [], github: [] },
      comments: [],
      pullRequests: [],
      branch: null,
      history: [],
      lastError: null,
      revision: 1,
      createdAt: now.toISOString(),
    };
    const fields: Link['fields'] = {};
    for (const f of SYNC_FIELDS) if (values[f] !== undefined) fields[f] = { value: values[f], at, side };
    let link: Link;
    if (side === 'jira') {
      const gh = await providers.github(org, mapping.github.connectionId);
      const repo = gh.repo(mapping.github.repository);
      const assignee =
        values.assignee == null ? undefined : toSide('assignee', 'github', values.assignee, mapping);
      const created = await onConnection(mapping.github.connectionId, async () => {
        const issue = await gh.ops.createIssue(repo, {
          title: String(values.title ?? ''),
          body: String(values.description ?? ''),
          labels: toSide('labels', 'github', values.labels ?? [], mapping) as string[],
          ...(typeof assignee === 'string' ? { assignees: [assignee] } : {}),
        });
        if (values.status && toSide('status', 'github', values.status, mapping) === 'closed')
          await gh.ops.updateIssue(repo, issue.number, { state: 'closed' });
        return issue;
      });
      link = {
        ...base,
        jira: {
          connectionId: mapping.jira.connectionId,
          id: String(wi.id),
          key: String(wi.key),
          url: browseUrl(
            (await providers.jira(org, mapping.jira.connectionId)).connection.config.baseUrl,
            String(wi.key),
          ),
        },
        github: {
          connectionId: mapping.github.connectionId,
          repository: mapping.github.repository,
          number: created.number,
          url: created.url,
        },
        fields,
        lastSyncedAt: now.toISOString(),
        lagMs: now.getTime() - Date.parse(event.occurredAt),
      };
    } else {
      const jira = await providers.jira(org, mapping.jira.connectionId);
      const created = await onConnection(mapping.jira.connectionId, async () => {
        const issue = await jira.ops.createIssue(mapping.jira.projectKey, mapping.jira.issueType, {
          title: String(values.title ?? ''),
          description: String(values.description ?? ''),
          labels: (values.labels as string[] | undefined) ?? [],
          ...(typeof values.assignee === 'string' ? { assignee: values.assignee } : {}),
        });
        const state = await jira.ops.getIssue(issue.key);
        let status = state.status;
        if (status && toSide('status', 'github', status, mapping) !== native.status && values.status) {
          await jira.ops.transitionTo(issue.key, String(values.status));
          status = String(values.status);
        }
        return { ...issue, status };
      });
      // Jira's own status wins over the first status the mapping lists for an open issue.
      if (created.status) fields.status = { value: created.status, at, side: 'jira' };
      link = {
        ...base,
        jira: { connectionId: mapping.jira.connectionId, id: created.id, key: created.key, url: created.url },
        github: {
          connectionId: mapping.github.connectionId,
          repository: mapping.github.repository,
          number: Number(wi.number),
          url: String(wi.url ?? ''),
        },
        fields,
        lastSyncedAt: now.toISOString(),
        lagMs: now.getTime() - Date.parse(event.occurredAt),
      };
    }
    await store.createLink(link, [
      itemKeys.jira(link.jira.connectionId, link.jira.id),
      itemKeys.jiraKey(link.jira.connectionId, link.jira.key),
      itemKeys.github(link.github.connectionId, link.github.repository, link.github.number),
    ]);
    await deps.audit.append(
      auditBySystem({
        action: 'link.created',
        actor: 'hub-sync',
        orgId: org,
        targets: [
          { type: 'link', id: link.id },
          { type: 'mapping', id: mapping.id },
        ],
        requestId: event.id,
        at: now,
        after: { jira: link.jira.key, github: `${link.github.repository}#${link.github.number}`, from: side },
      }),
    );
    if (side === 'jira' && mapping.branches.onCreate) await openBranchForLink(deps, link, mapping, {});
    return 'created' as const;
  }

  async function workItem(event: CanonicalEvent, side: Side, mapping: Mapping): Promise<SyncOutcome> {
    const key = sourceKey(event, side);
    if (!key) return 'ignored';
    const linkId = await store.findLinkId(event.tenantId, key);
    if (linkId) return updateLink(event, side, mapping, linkId);
    if (event.type === 'work_item.deleted' || !flows(mapping.create, side)) return 'ignored';
    if (event.data.snapshot === true && (await createdByHub(event, side, mapping))) return 'ignored';
    return createCounterpart(event, side, mapping, key);
  }

  async function comment(event: CanonicalEvent, side: Side, mapping: Mapping): Promise<SyncOutcome> {
    if (event.type !== 'comment.created' || !flows(mapping.fields.comments, side)) return 'ignored';
    const key = sourceKey(event, side);
    const linkId = key ? await store.findLinkId(event.tenantId, key) : null;
    if (!linkId) return 'ignored';
    const link = await store.getLink(event.tenantId, linkId);
    const c = obj(event.data.comment);
    const id = str(c.id);
    if (!link || !id) return 'ignored';
    if (link.comments.some((pair) => pair[side] === id)) return 'no-change';
    const author =
      side === 'jira' ? (str(obj(c.author).displayName) ?? 'Someone') : (str(c.author) ?? 'Someone');
    const body = side === 'jira' ? fromAdf(c.body) : (str(c.body) ?? '');
    const text = `**${author}** commented in ${side === 'jira' ? 'Jira' : 'GitHub'}:\n\n${body}`;
    let mirrored: string;
    if (side === 'jira') {
      const gh = await providers.github(link.orgId, link.github.connectionId);
      const created = await onConnection(link.github.connectionId, () =>
        gh.ops.addComment(gh.repo(link.github.repository), link.github.number, text),
      );
      mirrored = String(created.id);
    } else {
      const jira = await providers.jira(link.orgId, link.jira.connectionId);
      mirrored = (await onConnection(link.jira.connectionId, () => jira.ops.addComment(link.jira.key, text)))
        .id;
    }
    await settle(link, (l) => ({
      ...l,
      comments: [
        ...l.comments,
        side === 'jira' ? { jira: id, github: mirrored } : { jira: mirrored, github: id },
      ].slice(-500),
      lastSyncedAt: deps.clock.now().toISOString(),
    }));
    return 'commented';
  }

  async function pullRequest(event: CanonicalEvent, mapping: Mapping): Promise<SyncOutcome> {
    const pr = obj(event.data.pullRequest);
    const review = obj(event.data.review);
    const stage =
      event.type === 'pull_request.opened' || event.type === 'pull_request.reopened'
        ? 'opened'
        : event.type === 'pull_request.merged'
          ? 'merged'
          : event.type === 'review.submitted' && str(review.state) === 'approved'
            ? 'approved'
            : event.type === 'pull_request.closed'
              ? 'closed'
              : null;
    if (!stage) return 'ignored';
    // A pull request the hub opened (for a Jira issue) does not move that issue: nobody worked on it yet.
    if (stage === 'opened' && /\[bot\]$/.test(str(event.data.sender) ?? '')) return 'ignored';
    const text = [str(pr.headRef), str(pr.title), str(pr.body)].filter(Boolean).join('\n');
    const keys = [...new Set([...text.matchAll(JIRA_KEY)].map((m) => m[1] as string))].filter((k) =>
      k.startsWith(`${mapping.jira.projectKey}-`),
    );
    if (keys.length === 0) return 'ignored';
    const jira = await providers.jira(event.tenantId, mapping.jira.connectionId);
    const status = stage === 'closed' ? undefined : mapping.pullRequests[stage];
    const url = str(pr.url) ?? '';
    const state = stage === 'merged' ? 'merged' : stage === 'closed' ? 'closed' : 'open';
    for (const key of keys) {
      await onConnection(mapping.jira.connectionId, async () => {
        if (stage !== 'approved')
          await jira.ops.linkPullRequest(key, {
            url,
            title: str(pr.title) ?? `PR #${str(pr.number)}`,
            state,
          });
        if (status) await jira.ops.transitionTo(key, status);
      });
      const linkId = await store.findLinkId(event.tenantId, itemKeys.jiraKey(mapping.jira.connectionId, key));
      const link = linkId ? await store.getLink(event.tenantId, linkId) : null;
      if (link) {
        const entry = {
          repository: mapping.github.repository,
          number: Number(pr.number),
          url,
          state,
        };
        // The transition is a Jira change the hub made: the link takes it as one, and sends it on to
        // the GitHub issue (a merged PR closes the issue when the mapping pairs Done with closed).
        let saved = await settle(link, (l) => {
          const others = l.pullRequests.filter((p) => p.url !== url);
          const withPr = { ...l, pullRequests: [...others, entry] };
          if (!status) return withPr;
          return applyChanges(
            withPr,
            'jira',
            [{ field: 'status', value: status, at: deps.clock.now().toISOString() }],
            mapping,
            deps.clock.now(),
          ).link;
        });
        saved = await push(saved, mapping, event.occurredAt);
      }
      await deps.audit.append(
        auditBySystem({
          action: 'sync.pull_request_applied',
          actor: 'hub-sync',
          orgId: event.tenantId,
          targets: [{ type: 'jira_issue', id: key }, ...(link ? [{ type: 'link', id: link.id }] : [])],
          requestId: event.id,
          at: deps.clock.now(),
          after: { pullRequest: url, stage, status: status ?? null },
        }),
      );
    }
    return 'pull-request';
  }

  return {
    async handle(event: CanonicalEvent): Promise<SyncOutcome[]> {
      const side = event.source.provider;
      if (side !== 'jira' && side !== 'github') return ['ignored'];
      const family = event.type.split('.')[0];
      if (!['work_item', 'comment', 'pull_request', 'review'].includes(family ?? '')) return ['ignored'];
      // The hub's own writes coming back are a good half of all events: they are recognised
      // before anything is read. A connection that cannot say who the hub is (no credentials: it
      // is in no mapping) goes on to the mappings, which then find nothing to do.
      if (
        (family === 'work_item' || family === 'comment') &&
        (await isOwnChange(event, side).catch((error: unknown) => {
          if (error instanceof ProviderAuthError) throw error;
          return false;
        }))
      )
        return ['echo'];
      const mappings = (await store.listMappings(event.tenantId)).filter((m) => appliesTo(m, event, side));
      const outcomes: SyncOutcome[] = [];
      for (const mapping of mappings) {
        if (family === 'work_item') outcomes.push(await workItem(event, side, mapping));
        else if (family === 'comment') outcomes.push(await comment(event, side, mapping));
        else if (side === 'github') outcomes.push(await pullRequest(event, mapping));
      }
      return outcomes.length > 0 ? outcomes : ['ignored'];
    },
  };
}

const browseUrl = (site: string | null, key: string) => `${(site ?? '').replace(/\/$/, '')}/browse/${key}`;

export type SyncEngine = ReturnType<typeof makeSyncEngine>;
