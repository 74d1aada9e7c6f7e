import { ProviderAuthError } from '../../errors';
import type { CanonicalReading } from '../canonical-read';
import {
  actorOf,
  readCommentChange,
  readItemChange,
  readPullRequestActivity,
  snapshotOf,
} from '../canonical-read';
import type { CodeHostConnector, ItemRef, NativeFields } from '../work-items';
import { forgetGithubClient, githubClient, githubFailure } from './client';
import type { RepoRef } from './operations';
import { githubOperations, ISSUE_PAGE } from './operations';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
/** GitHub's logins: letters, digits and single inner hyphens, at most 39 characters. */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const EMAIL = /^[^\s@"]{1,64}@[A-Za-z0-9.-]{1,253}$/;

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

/** A marker in a comment's Markdown that GitHub does not render (an HTML comment). */
const markerComment = (marker: string) => `<!-- integration-hub:${marker} -->`;

/**
 * How GitHub's canonical items read for a sync: people by login (what mappings pair and what the
 * hub's app acts as), items by repository and number, the hub's own items by its app id.
 */
const READING: CanonicalReading = {
  personKey: (person) => person.login,
  // Repository names are case-insensitive: `Acme/Web#12` and `acme/web#12` are one issue.
  refId: (item) => item.key.toLowerCase(),
  createdBy: (item) => item.createdVia,
};

/** GitHub (github.com or Enterprise Server) as a sync's code host: issues, branches and pull requests. */
export const githubWorkItems: CodeHostConnector = {
  provider: 'github',
  role: 'codeHost',
  displayName: 'GitHub',
  checkContainer: (repository) => (REPOSITORY.test(repository) ? null : 'owner/name'),
  actorOf: (event) => actorOf(event, READING),
  // The hub acts as a GitHub App, and apps act as `<slug>[bot]`.
  couldBeHub: (actor) => actor.endsWith('[bot]'),
  readItem: (event) => readItemChange(event, READING),
  readComment: (event) => readCommentChange(event, READING),
  readPullRequest: readPullRequestActivity,
  forget: forgetGithubClient,
  open(connection, credentials) {
    if (credentials.kind !== 'github_app')
      throw new ProviderAuthError('A GitHub connection needs a GitHub App');
    // The client (and the SDK, loaded lazily) is made at the first call, then kept for this connector.
    let client: ReturnType<typeof githubClient> | undefined;
    const octokit = () => {
      client ??= githubClient(connection, credentials);
      return client;
    };
    const ops = async () => githubOperations(await octokit());
    return {
      connection,
      identity: async () => {
        try {
          const { data } = await (await octokit()).request('GET /app');
          return { actor: `${data?.slug ?? ''}[bot]`, creator: credentials.appId };
        } catch (error) {
          throw githubFailure(error);
        }
      },
      itemUrl: (repository, key) => webUrl(connection.config.baseUrl, repository, numberIn(key)),
      createItem: async (repository, _type, fields) => {
        const { state: _state, ...patch } = patchOf(fields);
        const issue = await (await ops()).createIssue(repoOf(repository), {
          ...patch,
          title: fields.title ?? '',
        });
        return { ref: refOf(repository, issue.number, issue.url), status: issue.state };
      },
      updateItem: async (repository, ref, fields) => {
        const patch = patchOf(fields);
        if (Object.keys(patch).length > 0)
          await (await ops()).updateIssue(repoOf(repository), numberOf(ref), patch);
      },
      addComment: async (repository, ref, markdown, options) => {
        const body = options?.marker ? `${markdown}\n\n${markerComment(options.marker)}` : markdown;
        const comment = await (await ops()).addComment(repoOf(repository), numberOf(ref), body);
        return String(comment.id);
      },
      findComment: async (repository, ref, marker, since) => {
        const comments = await (await ops()).commentsSince(repoOf(repository), numberOf(ref), since);
        const hit = comments.find((c) => c.body.includes(markerComment(marker)));
        return hit ? String(hit.id) : null;
      },
      changedSince: async (repository, since, cursor) => {
        const page = Number(cursor || '1');
        const result = await (await ops()).issuesChangedSince(repoOf(repository), since, page);
        const items = result.issues.map((i) => snapshotOf(i, READING));
        return { items, next: result.more ? String(page + 1) : null };
      },
      estimateChangedSince: async (repository, since) => {
        const first = await (await ops()).issuesChangedSince(repoOf(repository), since, 1);
        // GitHub says how many pages there are, not how many issues: beyond one page, the estimate
        // assumes full pages.
        const pages = first.lastPage ?? 1;
        return pages > 1 ? pages * ISSUE_PAGE : first.issues.length;
      },
      findUser: async (query) => {
        // Nothing that is not a login or an email reaches GitHub (no search syntax smuggled in).
        if ('name' in query) return LOGIN.test(query.name) ? (await ops()).userByLogin(query.name) : null;
        if (!EMAIL.test(query.email)) return null;
        // A search matches part of an address too: one user, and only one, is an answer.
        const logins = await (await ops()).loginsByEmail(query.email);
        return logins.length === 1 ? (logins[0] ?? null) : null;
      },
      createBranch: async (repository, branch, base) => {
        await (await ops()).createBranch(repoOf(repository), branch, base);
      },
      openPullRequest: async (repository, pr) =>
        (await ops()).openPullRequest(repoOf(repository), {
          title: pr.title,
          head: pr.head,
          base: pr.base,
          body: `${pr.body}\n\nCloses #${numberOf(pr.closes)}`,
          draft: pr.draft,
        }),
    };
  },
};
