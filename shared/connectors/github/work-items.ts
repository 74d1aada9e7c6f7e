import { ProviderAuthError } from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import { num, obj, str } from '../../json-fields';
import type {
  CodeHostConnector,
  ItemChange,
  ItemRef,
  NativeFields,
  PullRequestActivity,
} from '../work-items';
import { SYNC_FIELDS } from '../work-items';
import { forgetGithubClient, githubClient, githubFailure } from './client';
import type { RepoRef } from './operations';
import { githubOperations, ISSUE_PAGE } from './operations';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

const repoOf = (fullName: string): RepoRef => {
  const [owner = '', repo = ''] = fullName.split('/');
  return { owner, repo };
};

/** An issue's ref: ids are per repository, so the repository is part of it (`acme/web#12`). */
const refOf = (repository: string, number: number, url: string): ItemRef => ({
  id: `${repository.toLowerCase()}#${number}`,
  key: `${repository}#${number}`,
  url,
});
/** The issue number in a key such as `acme/web#12`. */
const numberIn = (key: string) => Number(key.slice(key.lastIndexOf('#') + 1));
const numberOf = (ref: ItemRef) => numberIn(ref.key);

/** The web page of an issue: github.com's, or a GitHub Enterprise Server's (its API is under /api/v3). */
function webUrl(apiBase: string | null, repository: string, number: number): string {
  const base = (apiBase ?? 'https://api.github.com').replace(/\/$/, '');
  const web = base === 'https://api.github.com' ? 'https://github.com' : base.replace(/\/api\/v3$/, '');
  return `${web}/${repository}/issues/${number}`;
}

function patchOf(fields: NativeFields) {
  return {
    ...(fields.title !== undefined ? { title: fields.title } : {}),
    ...(fields.description !== undefined ? { body: fields.description } : {}),
    ...(fields.status === 'open' || fields.status === 'closed'
      ? { state: fields.status as 'open' | 'closed' }
      : {}),
    ...(fields.labels !== undefined ? { labels: fields.labels } : {}),
    ...(fields.assignee !== undefined ? { assignees: fields.assignee ? [fields.assignee] : [] } : {}),
  };
}

/** The issue fields the webhook normaliser and the issue listing both give. */
function fieldsOf(wi: Record<string, unknown>): NativeFields {
  const assignees = Array.isArray(wi.assignees) ? wi.assignees.map(String) : [];
  return {
    ...(typeof wi.title === 'string' ? { title: wi.title } : {}),
    description: str(wi.body) ?? '',
    ...(typeof wi.state === 'string' ? { status: wi.state } : {}),
    assignee: assignees[0] ?? null,
    ...(Array.isArray(wi.labels) ? { labels: wi.labels.map(String) } : {}),
  };
}

/** A marker in a comment's Markdown that GitHub does not render (an HTML comment). */
const markerComment = (marker: string) => `<!-- integration-hub:${marker} -->`;

const STAGES: Record<string, PullRequestActivity['stage']> = {
  'pull_request.opened': 'opened',
  'pull_request.reopened': 'opened',
  'pull_request.merged': 'merged',
  'pull_request.closed': 'closed',
};

const repositoryOf = (event: CanonicalEvent) => str(obj(event.data.repository).fullName);

/** GitHub (github.com or Enterprise Server) as a sync's code host: issues, branches and pull requests. */
export const githubWorkItems: CodeHostConnector = {
  provider: 'github',
  role: 'codeHost',
  displayName: 'GitHub',
  checkContainer: (repository) => (REPOSITORY.test(repository) ? null : 'owner/name'),
  actorOf: (event) => str(event.data.sender),
  // The hub acts as a GitHub App, and apps act as `<slug>[bot]`.
  couldBeHub: (actor) => actor.endsWith('[bot]'),
  readItem(event) {
    if (!event.type.startsWith('work_item.')) return null;
    const wi = obj(event.data.workItem);
    const repository = repositoryOf(event);
    const number = num(wi.number);
    if (!repository || number === null) return null;
    const kind = event.type.slice('work_item.'.length);
    const viaApp = num(wi.viaApp);
    return {
      ref: refOf(repository, number, str(wi.url) ?? ''),
      container: repository,
      kind: kind === 'created' || kind === 'deleted' ? kind : 'updated',
      fields: fieldsOf(wi),
      changed: Array.isArray(event.data.changedFields)
        ? SYNC_FIELDS.filter((f) => (event.data.changedFields as unknown[]).includes(f))
        : [],
      at: event.occurredAt,
      actor: githubWorkItems.actorOf(event),
      createdBy: viaApp === null ? null : String(viaApp),
      snapshot: false,
    };
  },
  readComment(event) {
    if (!event.type.startsWith('comment.')) return null;
    const c = obj(event.data.comment);
    const repository = repositoryOf(event);
    const number = num(obj(event.data.workItem).number);
    const id = num(c.id) ?? str(c.id);
    if (!repository || number === null || id === null) return null;
    return {
      itemId: refOf(repository, number, '').id,
      container: repository,
      id: String(id),
      author: str(c.author) ?? 'Someone',
      body: str(c.body) ?? '',
      actor: githubWorkItems.actorOf(event),
    };
  },
  readPullRequest(event) {
    const pr = obj(event.data.pullRequest);
    const approved = event.type === 'review.submitted' && str(obj(event.data.review).state) === 'approved';
    const stage = approved ? 'approved' : STAGES[event.type];
    const number = num(pr.number);
    if (!stage || number === null) return null;
    return {
      stage,
      container: repositoryOf(event),
      number,
      url: str(pr.url) ?? '',
      title: str(pr.title) ?? `PR #${number}`,
      text: [str(pr.headRef), str(pr.title), str(pr.body)].filter(Boolean).join('\n'),
      byBot: (githubWorkItems.actorOf(event) ?? '').endsWith('[bot]'),
      at: event.occurredAt,
    };
  },
  forget: forgetGithubClient,
  open(connection, credentials) {
    if (credentials.kind !== 'github_app')
      throw new ProviderAuthError('A GitHub connection needs a GitHub App');
    const octokit = githubClient(connection, credentials);
    const ops = githubOperations(octokit);
    return {
      connection,
      identity: async () => {
        try {
          const { data } = await octokit.request('GET /app');
          return { actor: `${data?.slug ?? ''}[bot]`, creator: credentials.appId };
        } catch (error) {
          throw githubFailure(error);
        }
      },
      itemUrl: (repository, key) => webUrl(connection.config.baseUrl, repository, numberIn(key)),
      createItem: async (repository, _type, fields) => {
        const { state: _state, ...patch } = patchOf(fields);
        const issue = await ops.createIssue(repoOf(repository), { ...patch, title: fields.title ?? '' });
        return { ref: refOf(repository, issue.number, issue.url), status: issue.state };
      },
      updateItem: async (repository, ref, fields) => {
        const patch = patchOf(fields);
        if (Object.keys(patch).length > 0) await ops.updateIssue(repoOf(repository), numberOf(ref), patch);
      },
      addComment: async (repository, ref, markdown, options) =>
        String(
          (
            await ops.addComment(
              repoOf(repository),
              numberOf(ref),
              options?.marker ? `${markdown}\n\n${markerComment(options.marker)}` : markdown,
            )
          ).id,
        ),
      findComment: async (repository, ref, marker, since) => {
        const comments = await ops.commentsSince(repoOf(repository), numberOf(ref), since);
        const hit = comments.find((c) => c.body.includes(markerComment(marker)));
        return hit ? String(hit.id) : null;
      },
      changedSince: async (repository, since, cursor) => {
        const page = Number(cursor || '1');
        const result = await ops.issuesChangedSince(repoOf(repository), since, page);
        const items = result.issues.map(
          (i): ItemChange => ({
            ref: refOf(repository, i.number, i.url),
            container: repository,
            kind: 'updated',
            fields: fieldsOf(i),
            changed: [...SYNC_FIELDS],
            at: new Date(i.updatedAt).toISOString(),
            actor: null,
            createdBy: i.viaApp === null ? null : String(i.viaApp),
            snapshot: true,
          }),
        );
        return { items, next: result.more ? String(page + 1) : null };
      },
      estimateChangedSince: async (repository, since) => {
        const first = await ops.issuesChangedSince(repoOf(repository), since, 1);
        // GitHub says how many pages there are, not how many issues: beyond one page, the estimate
        // assumes full pages.
        const pages = first.lastPage ?? 1;
        return pages > 1 ? pages * ISSUE_PAGE : first.issues.length;
      },
      createBranch: async (repository, branch, base) => {
        await ops.createBranch(repoOf(repository), branch, base);
      },
      openPullRequest: async (repository, pr) =>
        ops.openPullRequest(repoOf(repository), {
          title: pr.title,
          head: pr.head,
          base: pr.base,
          body: `${pr.body}\n\nCloses #${numberOf(pr.closes)}`,
          draft: pr.draft,
        }),
    };
  },
};
