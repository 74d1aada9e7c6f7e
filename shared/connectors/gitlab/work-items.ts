import { ProviderAuthError, ValidationError } from '../../errors';
import type { WorkItem } from '../../events/canonical';
import { canonicalData } from '../../events/canonical';
import type { CanonicalEvent } from '../../events/canonical-event';
import { obj, str } from '../../json-fields';
import type { Connection } from '../connection';
import type {
  CodeHostClient,
  CodeHostConnector,
  ItemChange,
  ItemRef,
  NativeFields,
  PullRequestActivity,
} from '../work-items';
import { SYNC_FIELDS } from '../work-items';
import type { GitlabApi } from './client';
import { forgetGitlabClients, GITLAB_COM, gitlabApi } from './client';
import { gitlabCredentials } from './credentials';
import { issueRef, markerComment, OPENED_BY_HUB, own, workItemOf } from './shapes';

/** `group/project`, or deeper: `group/sub/project` (the API's project id; gitbeaker URL-encodes it). */
const PROJECT = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
/** Issues per page when listing changes (GitLab allows up to 100). */
export const ISSUE_PAGE = 50;
/** Pages of notes read back looking for a marker, newest first. */
const NOTE_PAGES = 5;

/** Prefixes a token's user id that is a person's, not a bot's: no event's actor (a user id) starts so. */
const NOT_AN_ACTOR = 'person-token:';

/** The marker in a comment the hub posted (see addComment; the sync's markers are `hub-<hex>`). */
const HUB_COMMENT = /<!-- integration-hub:hub-[0-9a-f]+ -->/;

/** The issue iid in a key such as `group/project#12`. */
const iidIn = (key: string) => Number(key.slice(key.lastIndexOf('#') + 1));
const iidOf = (ref: ItemRef) => iidIn(ref.key);

/** A work item's synced fields as GitLab has them: status `open`/`closed`, the assignee by username. */
const fieldsOf = (item: WorkItem): NativeFields => ({
  title: item.title,
  description: item.description,
  status: item.status.name,
  assignee: item.assignee?.login ?? null,
  labels: item.labels,
});

const WORK_ITEM_KINDS = {
  'work_item.created': 'created',
  'work_item.updated': 'updated',
  'work_item.deleted': 'deleted',
} as const;
const STAGES: Record<string, PullRequestActivity['stage']> = {
  'pull_request.opened': 'opened',
  'pull_request.reopened': 'opened',
  'pull_request.approved': 'approved',
  'pull_request.merged': 'merged',
  'pull_request.closed': 'closed',
};

/** The actor of any canonical event: the GitLab user id (`Identity.actor` names the hub the same way). */
const actorOf = (event: CanonicalEvent) => str(obj(event.data.actor).id);

/** The operations beyond the sync's: what a merge request's reviewers and approvals are now. */
export function gitlabOperations(api: GitlabApi) {
  return {
    async pullRequestState(container: string, iid: number) {
      const [mr, approvals] = await Promise.all([
        api.mergeRequests.show(container, iid),
        api.approvals.showConfiguration(container, { mergerequestIId: iid }),
      ]);
      const usernames = (list: unknown) =>
        Array.isArray(list)
          ? list.map((u) => str(obj(u).username) ?? str(obj(obj(u).user).username) ?? '')
          : [];
      return {
        state: mr.state,
        draft: mr.draft === true,
        sourceBranch: mr.source_branch,
        reviewers: usernames(mr.reviewers),
        approvedBy: usernames(approvals.approved_by),
        approved: approvals.approved === true,
      };
    },
  };
}

function client(connection: Connection, resources: GitlabApi | Promise<GitlabApi>): CodeHostClient {
  // gitbeaker loads with the first client (see gitlabApi): every call waits for it, once.
  const ready = Promise.resolve(resources);
  const web = (connection.config.baseUrl ?? GITLAB_COM).replace(/\/+$/, '');
  const userIds = new Map<string, number>();
  let me: Promise<{ actor: string; creator: string }> | undefined;

  /** A username (what user pairs name) as the user id GitLab's issue API takes. */
  async function userId(username: string): Promise<number> {
    const known = userIds.get(username);
    if (known !== undefined) return known;
    const [user] = await (await ready).users.all({ username, perPage: 1, maxPages: 1 });
    if (!user) throw new ValidationError(`GitLab has no user ${username}`);
    userIds.set(username, user.id);
    return user.id;
  }

  async function patchOf(fields: NativeFields) {
    return {
      ...(fields.title !== undefined ? { title: fields.title } : {}),
      ...(fields.description !== undefined ? { description: fields.description } : {}),
      ...(fields.status === 'closed' ? { stateEvent: 'close' as const } : {}),
      ...(fields.status === 'open' ? { stateEvent: 'reopen' as const } : {}),
      ...(fields.labels !== undefined ? { labels: fields.labels.join(',') } : {}),
      ...(fields.assignee !== undefined
        ? { assigneeIds: fields.assignee ? [await userId(fields.assignee)] : [] }
        : {}),
    };
  }

  const listPage = async (container: string, since: Date, page: number, perPage: number) =>
    (await ready).issues.all({
      projectId: container,
      updatedAfter: since.toISOString(),
      orderBy: 'updated_at',
      sort: 'asc',
      scope: 'all',
      // Confidential issues stay in GitLab (as their webhooks do): asked for, and checked below.
      confidential: false,
      perPage,
      page,
      showExpanded: true,
    });

  return {
    connection,
    identity: () => {
      // The token's user: a bot user's for a project or group token, a person's for a personal one.
      // Only a bot's actions are surely the hub's: a person's own edits, under their token's user
      // id, must not be taken for echoes, so that actor is one no event carries (echoes of the
      // hub's writes are then told by value). The creator stays the user id, which marks the items
      // the hub created.
      me ??= ready
        .then((api) => api.users.showCurrentUser())
        .then((u) => ({
          actor: obj(u).bot === true ? String(u.id) : `${NOT_AN_ACTOR}${u.id}`,
          creator: String(u.id),
        }));
      me.catch(() => {
        me = undefined;
      });
      return me;
    },
    itemUrl: (container, key) => `${web}/${container}/-/issues/${iidIn(key)}`,
    findUser: async (query) => {
      const api = await ready;
      if ('name' in query) {
        const [user] = await api.users.all({ username: query.name, perPage: 1, maxPages: 1 });
        return user?.username ?? null;
      }
      if (!/^[^\s@]{1,64}@[^\s@]{1,253}$/.test(query.email)) return null;
      // GitLab matches a person's public email exactly, and names too: one answer, or none.
      const found = await api.users.all({ search: query.email, perPage: 2, maxPages: 1 });
      const [one, ...more] = found;
      return one && more.length === 0 ? one.username : null;
    },
    createItem: async (container, _type, fields) => {
      const { stateEvent: _state, title: _title, ...patch } = await patchOf(fields);
      const issue = await (await ready).issues.create(container, fields.title ?? '', patch);
      return {
        ref: issueRef(container, issue.iid, String(issue.web_url)),
        status: issue.state === 'closed' ? 'closed' : 'open',
      };
    },
    updateItem: async (container, ref, fields) => {
      const patch = await patchOf(fields);
      if (Object.keys(patch).length > 0) await (await ready).issues.edit(container, iidOf(ref), patch);
    },
    addComment: async (container, ref, markdown, options) => {
      const body = options?.marker ? `${markdown}\n\n${markerComment(options.marker)}` : markdown;
      return String((await (await ready).issueNotes.create(container, iidOf(ref), body)).id);
    },
    findComment: async (container, ref, marker, since) => {
      const hidden = markerComment(marker);
      for (let page = 1; page <= NOTE_PAGES; page += 1) {
        const { data, paginationInfo } = await (await ready).issueNotes.all(container, iidOf(ref), {
          sort: 'desc',
          orderBy: 'created_at',
          perPage: 100,
          page,
          showExpanded: true,
        });
        const hit = data.find(
          (n) => String(n.body).includes(hidden) && Date.parse(String(n.created_at)) >= since.getTime(),
        );
        if (hit) return String(hit.id);
        const older = data.some((n) => Date.parse(String(n.created_at)) < since.getTime());
        if (older || !paginationInfo.next) return null;
      }
      return null;
    },
    changedSince: async (container, since, cursor) => {
      const page = Number(cursor || '1');
      const { data, paginationInfo } = await listPage(container, since, page, ISSUE_PAGE);
      // Dropped even if the server ignored the filter: a scan must not mirror what the webhook path drops.
      const items = data
        .filter((issue) => issue.confidential !== true)
        .map((issue): ItemChange => {
          const item = workItemOf(container, issue, { assignees: issue.assignees, labels: issue.labels });
          return {
            ref: { id: item.id, key: item.key, url: item.url },
            container,
            kind: 'updated',
            fields: fieldsOf(item),
            changed: [...SYNC_FIELDS],
            at: item.updatedAt ?? since.toISOString(),
            actor: null,
            createdBy: item.reporter?.id ?? null,
            snapshot: true,
          };
        });
      return { items, next: paginationInfo.next ? String(paginationInfo.next) : null };
    },
    estimateChangedSince: async (container, since) => {
      const { paginationInfo } = await listPage(container, since, 1, 1);
      // GitLab leaves out X-Total beyond 10,000 results.
      return Number.isFinite(paginationInfo.total) ? paginationInfo.total : null;
    },
    createBranch: async (container, branch, base) => {
      try {
        await (await ready).branches.create(container, branch, base);
      } catch (error) {
        // GitLab refuses an existing branch with a 400: if it is there, it is kept as it is.
        if (!(error instanceof ValidationError)) throw error;
        await (await ready).branches.show(container, branch).catch(() => {
          throw error;
        });
      }
    },
    openPullRequest: async (container, pr) => {
      const title =
        pr.draft && !/^(draft:|\[draft\]|\(draft\))/i.test(pr.title) ? `Draft: ${pr.title}` : pr.title;
      const mr = await (await ready).mergeRequests.create(container, pr.head, pr.base, title, {
        description: `${pr.body}\n\nCloses #${iidOf(pr.closes)}\n\n${OPENED_BY_HUB}`,
      });
      return { number: mr.iid, url: String(mr.web_url), draft: mr.draft === true };
    },
  };
}

/**
 * GitLab (gitlab.com or self-managed) as a sync's code host: issues, notes, branches and merge
 * requests. Actors and creators are user ids (every webhook carries the acting user's id; the hub
 * is its token's user); assignees are usernames (what mappings' user pairs name, as GitHub logins),
 * looked up as ids for the issue API.
 */
export const gitlabWorkItems: CodeHostConnector = {
  provider: 'gitlab',
  role: 'codeHost',
  displayName: 'GitLab',
  checkContainer: (container) =>
    PROJECT.test(container) ? null : 'group/project (or group/subgroup/project)',
  actorOf,
  // A project or group token's bot user may have any user id (a person's token never matches: see identity).
  couldBeHub: () => true,
  readItem(event) {
    const kind = own<(typeof WORK_ITEM_KINDS)[keyof typeof WORK_ITEM_KINDS]>(WORK_ITEM_KINDS, event.type);
    const data = kind ? canonicalData(event, event.type as keyof typeof WORK_ITEM_KINDS) : null;
    if (!kind || !data) return null;
    const { item } = data;
    return {
      ref: { id: item.id, key: item.key, url: item.url },
      container: item.container,
      kind,
      fields: fieldsOf(item),
      changed: SYNC_FIELDS.filter((f) => (data.changedFields as string[]).includes(f)),
      at: event.occurredAt,
      actor: actorOf(event),
      createdBy: item.reporter?.id ?? null,
      snapshot: false,
    };
  },
  readComment(event) {
    const data = canonicalData(event, 'comment.created') ?? canonicalData(event, 'comment.updated');
    if (data?.on.kind !== 'work_item') return null;
    // A comment the hub mirrored carries its marker: its own, whoever the token's user is (a
    // personal token's echo has a person's actor, and comments are not told by value).
    if (HUB_COMMENT.test(data.comment.body)) return null;
    return {
      itemId: data.on.id,
      container: data.on.container,
      id: data.comment.id,
      author: data.comment.author?.login ?? data.comment.author?.name ?? 'Someone',
      body: data.comment.body,
      actor: actorOf(event),
    };
  },
  readPullRequest(event) {
    const stage = own(STAGES, event.type);
    const data = stage ? canonicalData(event, event.type as 'pull_request.opened') : null;
    if (!stage || !data) return null;
    const pr = data.pullRequest;
    return {
      stage,
      container: pr.container,
      number: pr.number,
      url: pr.url,
      title: pr.title || `MR !${pr.number}`,
      text: [pr.sourceBranch, pr.title, pr.description].filter(Boolean).join('\n'),
      mentions: pr.mentions,
      // Opened by the hub's branch automation (its marker), or by a project or group token's bot user.
      byBot: pr.createdVia !== null || data.actor?.bot === true,
      at: event.occurredAt,
    };
  },
  forget: forgetGitlabClients,
  open(connection, credentials, deps) {
    const parsed = gitlabCredentials(credentials);
    if (!parsed)
      throw new ProviderAuthError('A GitLab connection needs a GitLab access token or OAuth application');
    return client(connection, gitlabApi(connection, parsed, deps));
  },
};

/** Opens a GitLab client on given API resources (tests hand it clients over a fake's fetch). */
export const gitlabClientOn = client;
