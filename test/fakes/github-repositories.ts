import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { requestProblems, responseProblems } from './github-spec';

type Json = Record<string, unknown>;
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: Json[];
}[];
const example = (event: string, action: string) =>
  structuredClone(examples.find((e) => e.name === event)?.examples.find((p) => p.action === action) as Json);
// Real GitHub objects (from GitHub's own webhook examples) that the fake's answers are made from.
const ISSUE = example('issues', 'opened').issue as Json;
const COMMENT = example('issue_comment', 'created').comment as Json;
const PULL = example('pull_request', 'opened').pull_request as Json;
const REVIEW = example('pull_request_review', 'submitted').review as Json;
const REVIEW_COMMENT = example('pull_request_review_comment', 'created').comment as Json;

/** The most characters GitHub takes in an issue, pull request or comment body. */
export const GITHUB_BODY_LIMIT = 65_536;
/** A repository and installation as GitHub's webhooks describe them. */
export const WEBHOOK_REPOSITORY = example('issues', 'opened').repository as Json;

const sha = (seed: string) => createHash('sha1').update(seed).digest('hex');

/** Who made a request: the app's installation (the hub) or a person with a token of their own. */
export interface GithubActor {
  readonly login: string;
  /** The GitHub App acting, when the request used an installation token. */
  readonly appId: string | null;
}

/** What a change sends as a webhook: event name and payload, without the repository and sender yet. */
export type GithubChange = (event: string, payload: Json) => void;

const second = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface Repo {
  issues: Map<number, Json>;
  pulls: Map<number, Json>;
  reviews: Map<number, Json[]>;
  refs: Map<string, string>;
  next: number;
  comments: Json[];
}

/**
 * The repositories of the GitHub fake: issues, comments, labels, branches, pull requests,
 * reviewers and reviews. Every request body is checked against GitHub's OpenAPI description (a
 * misfit gets GitHub's 422), and so is every answer (a misfit is a bug in the fake, answered 500).
 */
export class FakeRepositories {
  private readonly repos = new Map<string, Repo>();
  /** Receives each change as GitHub would announce it in a webhook. */
  onChange: GithubChange = () => {};
  /** Who made the change being announced. */
  actor: GithubActor = { login: 'octocat', appId: null };

  private user(login: string) {
    return {
      ...(ISSUE.user as Json),
      login,
      id: login.length * 1000 + login.charCodeAt(0),
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
    };
  }

  /** The people GitHub knows besides those who act: login → their public email, if they show one. */
  private readonly people = new Map<string, string | null>();

  /** A GitHub user, with the email their profile shows (null: they keep it private). */
  addPerson(login: string, email: string | null = null) {
    this.people.set(login, email);
  }

  /** A person as `GET /users/{username}` shows them (GitHub's `public-user`). */
  private publicUser(login: string, email: string | null) {
    return {
      ...this.user(login),
      user_view_type: 'public',
      name: login,
      company: null,
      blog: '',
      location: null,
      email,
      hireable: null,
      bio: null,
      public_repos: 1,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: '2020-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    };
  }

  /** `GET /users/{username}` and `GET /search/users?q=<email> in:email`, answers held to the spec. */
  private peopleRoute(method: string, path: string) {
    if (method !== 'GET') return null;
    const url = new URL(path, 'http://fake');
    const checked = (template: string, body: unknown) => {
      const problems = responseProblems(template, 'get', 200, body);
      return problems
        ? { status: 500, body: { message: `The fake answered off-spec: ${problems}` } }
        : { status: 200, body };
    };
    const byLogin = /^\/users\/([^/]+)$/.exec(url.pathname);
    if (byLogin) {
      const asked = decodeURIComponent(byLogin[1] ?? '').toLowerCase();
      const login = [...this.people.keys()].find((l) => l.toLowerCase() === asked);
      if (login === undefined) return { status: 404, body: { message: 'Not Found', status: '404' } };
      return checked('/users/{username}', this.publicUser(login, this.people.get(login) ?? null));
    }
    if (url.pathname === '/search/users') {
      // GitHub's search: `<term> in:email` matches public emails containing the term.
      const m = /^(.+?)\s+in:email$/.exec(url.searchParams.get('q') ?? '');
      const term = (m?.[1] ?? '').toLowerCase();
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const hits = [...this.people.entries()].filter(
        ([, email]) => term && email?.toLowerCase().includes(term),
      );
      return checked('/search/users', {
        total_count: hits.length,
        incomplete_results: false,
        items: hits.slice(0, perPage).map(([login]) => ({ ...this.user(login), score: 1 })),
      });
    }
    return null;
  }

  /** The app as GitHub describes it (`GET /app`, and issues an app created). */
  static app(appId: string) {
    return {
      id: Number(appId),
      slug: 'integration-hub',
      name: 'Integration Hub',
      node_id: 'A_hub',
      owner: { ...(ISSUE.user as Json), login: 'acme' },
      description: '',
      external_url: 'https://hub.example',
      html_url: 'https://github.example/apps/integration-hub',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      permissions: { issues: 'write', pull_requests: 'write', contents: 'write', metadata: 'read' },
      events: ['issues', 'issue_comment', 'pull_request', 'pull_request_review', 'push', 'create', 'delete'],
    };
  }

  /** The app that created an issue or comment (GitHub's `performed_via_github_app`), if one did. */
  private viaApp() {
    return this.actor.appId ? FakeRepositories.app(this.actor.appId) : null;
  }

  private issueEvent(fullName: string, action: string, issue: Json, extra: Json = {}) {
    this.onChange('issues', { action, issue, ...extra, repository: fullName });
  }

  repo(fullName: string): Repo {
    let repo = this.repos.get(fullName);
    if (!repo) {
      repo = {
        issues: new Map(),
        pulls: new Map(),
        reviews: new Map(),
        refs: new Map([['heads/main', sha('main')]]),
        next: 1,
        comments: [],
      };
      this.repos.set(fullName, repo);
    }
    return repo;
  }

  /** Adds a review to a pull request, as a reviewer on GitHub would. */
  review(
    fullName: string,
    pullNumber: number,
    state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED',
    login: string,
  ) {
    const reviews = this.repo(fullName).reviews;
    const review: Json = {
      ...structuredClone(REVIEW),
      id: Date.now(),
      state,
      body: '',
      user: { ...(REVIEW.user as Json), login },
    };
    reviews.set(pullNumber, [...(reviews.get(pullNumber) ?? []), review]);
    const pull = this.repo(fullName).pulls.get(pullNumber);
    if (pull) {
      this.actor = { login, appId: null };
      review.submitted_at = second();
      this.onChange('pull_request_review', {
        action: 'submitted',
        review,
        pull_request: pull,
        repository: fullName,
      });
    }
  }

  /** Merges a pull request as a person would in GitHub's UI (sends `pull_request` `closed`, merged). */
  merge(fullName: string, pullNumber: number, login = 'octocat') {
    return this.handle('PUT', `/repos/${fullName}/pulls/${pullNumber}/merge`, {}, { login, appId: null });
  }

  handle(
    method: string,
    path: string,
    body: Json | undefined,
    actor: GithubActor = { login: 'octocat', appId: null },
  ): { status: number; body: unknown; headers?: Record<string, string> } | null {
    this.actor = actor;
    const m = /^\/repos\/([^/]+)\/([^/?]+)\/(.+)$/.exec(path);
    if (!m) return this.peopleRoute(method, path);
    const [, owner, name, rest] = m as unknown as [string, string, string, string];
    const repo = this.repo(`${owner}/${name}`);
    const route = (template: string, status: number, make: () => unknown) => {
      if (method !== 'GET') {
        const problems = requestProblems(template, method.toLowerCase(), body ?? {});
        if (problems) return { status: 422, body: { message: 'Invalid request.', errors: [problems] } };
      }
      const answer = make();
      if (answer === null) return { status: 404, body: { message: 'Not Found', status: '404' } };
      const problems = responseProblems(template, method.toLowerCase(), status, answer);
      if (problems) return { status: 500, body: { message: `The fake answered off-spec: ${problems}` } };
      return { status, body: answer };
    };
    const issueRoute = /^issues\/(\d+)$/.exec(rest);
    const pullRoute = /^pulls\/(\d+)(\/requested_reviewers|\/reviews)?$/.exec(rest);
    const b = body ?? {};
    // GitHub refuses an issue, pull request or comment body over 65,536 characters.
    if (typeof b.body === 'string' && b.body.length > GITHUB_BODY_LIMIT) {
      return {
        status: 422,
        body: {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'Issue',
              code: 'custom',
              field: 'body',
              message: `body is too long (maximum is ${GITHUB_BODY_LIMIT} characters)`,
            },
          ],
        },
      };
    }
    const labels = (names: unknown) =>
      (Array.isArray(names) ? names : []).map((n, i) => ({
        ...((ISSUE.labels as Json[])[0] ?? {}),
        id: 1000 + i,
        name: String(n),
      }));

    if (method === 'POST' && rest === 'issues') {
      return route('/repos/{owner}/{repo}/issues', 201, () => {
        const number = repo.next++;
        const issue = {
          ...structuredClone(ISSUE),
          id: 5000 + number,
          number,
          title: String(b.title),
          body: typeof b.body === 'string' ? b.body : null,
          labels: labels(b.labels),
          assignees: ((b.assignees as string[]) ?? []).map((l) => this.user(l)),
          assignee: (b.assignees as string[] | undefined)?.[0]
            ? this.user((b.assignees as string[])[0] as string)
            : null,
          state: 'open',
          html_url: `https://github.example/${owner}/${name}/issues/${number}`,
          user: this.user(actor.login),
          performed_via_github_app: this.viaApp(),
          created_at: second(),
          updated_at: second(),
          closed_at: null,
        };
        repo.issues.set(number, issue);
        this.issueEvent(`${owner}/${name}`, 'opened', issue);
        return issue;
      });
    }
    if (method === 'GET' && issueRoute) {
      return route(
        '/repos/{owner}/{repo}/issues/{issue_number}',
        200,
        () => repo.issues.get(Number(issueRoute[1])) ?? null,
      );
    }
    if (method === 'GET' && /^issues(\?|$)/.test(rest)) {
      const [, query = ''] = rest.split('?');
      const params = new URLSearchParams(query);
      const since = params.get('since');
      const perPage = Math.min(100, Number(params.get('per_page') ?? '30') || 30);
      const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
      const all = [...repo.issues.values()]
        // `since` is a time to the second, like the issues' own times.
        .filter((i) => !since || String(i.updated_at) >= since.replace(/\.\d{3}Z$/, 'Z'))
        .sort((a, b) => String(a.updated_at).localeCompare(String(b.updated_at)));
      const pages = Math.max(1, Math.ceil(all.length / perPage));
      const answer = route('/repos/{owner}/{repo}/issues', 200, () =>
        all.slice((page - 1) * perPage, page * perPage),
      );
      const link = (n: number, rel: string) =>
        `<https://api.github.example/repos/${owner}/${name}/issues?per_page=${perPage}&page=${n}>; rel="${rel}"`;
      return {
        ...answer,
        headers: {
          link: [...(page < pages ? [link(page + 1, 'next')] : []), link(pages, 'last')].join(', '),
        },
      };
    }
    if (method === 'PATCH' && issueRoute) {
      return route('/repos/{owner}/{repo}/issues/{issue_number}', 200, () => {
        const issue = repo.issues.get(Number(issueRoute[1]));
        if (!issue) return null;
        const before = structuredClone(issue);
        for (const field of ['title', 'body', 'state'] as const)
          if (b[field] !== undefined) issue[field] = b[field];
        if (b.labels !== undefined) issue.labels = labels(b.labels);
        if (b.assignees !== undefined) {
          issue.assignees = (b.assignees as string[]).map((l) => this.user(l));
          issue.assignee = (issue.assignees as Json[])[0] ?? null;
        }
        issue.updated_at = second();
        issue.closed_at = issue.state === 'closed' ? (before.closed_at ?? second()) : null;
        const fullName = `${owner}/${name}`;
        const changes: Json = {};
        if (before.title !== issue.title) changes.title = { from: before.title };
        if (before.body !== issue.body) changes.body = { from: before.body };
        if (Object.keys(changes).length > 0) this.issueEvent(fullName, 'edited', issue, { changes });
        if (before.state !== issue.state)
          this.issueEvent(fullName, issue.state === 'closed' ? 'closed' : 'reopened', issue);
        const names = (list: unknown) => (list as Json[]).map((l) => String(l.name ?? l.login));
        for (const label of names(issue.labels).filter((l) => !names(before.labels).includes(l)))
          this.issueEvent(fullName, 'labeled', issue, {
            label: { ...((issue.labels as Json[]).find((l) => l.name === label) ?? {}) },
          });
        for (const label of names(before.labels).filter((l) => !names(issue.labels).includes(l)))
          this.issueEvent(fullName, 'unlabeled', issue, {
            label: { ...((before.labels as Json[]).find((l) => l.name === label) ?? {}) },
          });
        for (const login of names(issue.assignees).filter((l) => !names(before.assignees).includes(l)))
          this.issueEvent(fullName, 'assigned', issue, { assignee: this.user(login) });
        for (const login of names(before.assignees).filter((l) => !names(issue.assignees).includes(l)))
          this.issueEvent(fullName, 'unassigned', issue, { assignee: this.user(login) });
        return issue;
      });
    }
    const listCommentsRoute = /^issues\/(\d+)\/comments(?:\?(.*))?$/.exec(rest);
    if (method === 'GET' && listCommentsRoute) {
      const since = new URLSearchParams(listCommentsRoute[2] ?? '').get('since');
      return route('/repos/{owner}/{repo}/issues/{issue_number}/comments', 200, () =>
        repo.comments
          .filter((c) => c.issue === Number(listCommentsRoute[1]))
          // `since` is a time to the second, like the comments' own times.
          .filter((c) => !since || String(c.updated_at) >= since.replace(/\.\d{3}Z$/, 'Z'))
          .map(({ issue: _issue, ...c }) => c),
      );
    }
    const commentRoute = /^issues\/(\d+)\/comments$/.exec(rest);
    if (method === 'POST' && commentRoute) {
      return route('/repos/{owner}/{repo}/issues/{issue_number}/comments', 201, () => {
        if (!repo.issues.has(Number(commentRoute[1])) && !repo.pulls.has(Number(commentRoute[1])))
          return null;
        const comment = {
          ...structuredClone(COMMENT),
          id: 7000 + repo.comments.length,
          body: String(b.body),
          user: this.user(actor.login),
          performed_via_github_app: this.viaApp(),
          created_at: second(),
          updated_at: second(),
        };
        repo.comments.push({ ...comment, issue: Number(commentRoute[1]) });
        const parent = repo.issues.get(Number(commentRoute[1])) ?? repo.pulls.get(Number(commentRoute[1]));
        this.onChange('issue_comment', {
          action: 'created',
          comment,
          issue: parent,
          repository: `${owner}/${name}`,
        });
        return comment;
      });
    }
    const labelRoute = /^issues\/(\d+)\/labels$/.exec(rest);
    if (method === 'POST' && labelRoute) {
      return route('/repos/{owner}/{repo}/issues/{issue_number}/labels', 200, () => {
        const issue = repo.issues.get(Number(labelRoute[1]));
        if (!issue) return null;
        const names = [
          ...(issue.labels as Json[]).map((l) => String(l.name)),
          ...((b.labels as string[]) ?? []),
        ];
        issue.labels = labels([...new Set(names)]);
        return issue.labels;
      });
    }
    const refRoute = /^git\/ref\/(.+)$/.exec(decodeURIComponent(rest));
    const gitRef = (ref: string, target: string) => ({
      ref: `refs/${ref}`,
      node_id: Buffer.from(ref).toString('base64'),
      url: `https://api.github.example/repos/${owner}/${name}/git/refs/${ref}`,
      object: {
        type: 'commit',
        sha: target,
        url: `https://api.github.example/repos/${owner}/${name}/git/commits/${target}`,
      },
    });
    if (method === 'GET' && refRoute) {
      return route('/repos/{owner}/{repo}/git/ref/{ref}', 200, () => {
        const target = repo.refs.get(refRoute[1] as string);
        return target ? gitRef(refRoute[1] as string, target) : null;
      });
    }
    if (method === 'POST' && rest === 'git/refs') {
      const ref = String(b.ref ?? '').replace(/^refs\//, '');
      if (repo.refs.has(ref)) return { status: 422, body: { message: 'Reference already exists' } };
      return route('/repos/{owner}/{repo}/git/refs', 201, () => {
        repo.refs.set(ref, String(b.sha));
        return gitRef(ref, String(b.sha));
      });
    }
    if (method === 'POST' && rest === 'pulls') {
      if (!repo.refs.has(`heads/${b.head}`))
        return {
          status: 422,
          body: { message: 'Validation Failed', errors: [{ field: 'head', code: 'invalid' }] },
        };
      return route('/repos/{owner}/{repo}/pulls', 201, () => {
        const number = repo.next++;
        const pull = structuredClone(PULL);
        Object.assign(pull, {
          id: 9000 + number,
          number,
          title: String(b.title),
          body: typeof b.body === 'string' ? b.body : null,
          draft: b.draft === true,
          state: 'open',
          merged: false,
          html_url: `https://github.example/${owner}/${name}/pull/${number}`,
          head: { ...(PULL.head as Json), ref: String(b.head), sha: repo.refs.get(`heads/${b.head}`) },
          base: { ...(PULL.base as Json), ref: String(b.base) },
          requested_reviewers: [],
          user: this.user(actor.login),
          created_at: second(),
          updated_at: second(),
          // Fields the REST answer has and the webhook example it is made from does not.
          auto_merge: null,
        });
        repo.pulls.set(number, pull);
        this.onChange('pull_request', {
          action: 'opened',
          number,
          pull_request: pull,
          repository: `${owner}/${name}`,
        });
        return pull;
      });
    }
    const reviewRoute = /^pulls\/(\d+)\/(reviews|comments)$/.exec(rest);
    if (method === 'POST' && reviewRoute) {
      const pull = repo.pulls.get(Number(reviewRoute[1]));
      if (reviewRoute[2] === 'reviews') {
        return route('/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 200, () => {
          if (!pull) return null;
          const state =
            { APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED' }[String(b.event)] ?? 'COMMENTED';
          const review: Json = {
            ...structuredClone(REVIEW),
            id: 8000 + (repo.reviews.get(pull.number as number)?.length ?? 0),
            state,
            body: typeof b.body === 'string' ? b.body : '',
            user: this.user(actor.login),
            html_url: `${pull.html_url}#pullrequestreview-${pull.number}`,
            commit_id: (pull.head as Json).sha,
          };
          repo.reviews.set(pull.number as number, [
            ...(repo.reviews.get(pull.number as number) ?? []),
            review,
          ]);
          return review;
        });
      }
      return route('/repos/{owner}/{repo}/pulls/{pull_number}/comments', 201, () => {
        if (!pull) return null;
        return {
          ...structuredClone(REVIEW_COMMENT),
          id: 9500 + repo.comments.length,
          body: String(b.body),
          path: String(b.path),
          line: Number(b.line),
          side: String(b.side ?? 'RIGHT'),
          commit_id: String(b.commit_id),
          original_commit_id: String(b.commit_id),
          user: this.user(actor.login),
          pull_request_url: `https://api.github.example/repos/${owner}/${name}/pulls/${pull.number}`,
        };
      });
    }
    const mergeRoute = /^pulls\/(\d+)\/merge$/.exec(rest);
    if (method === 'PUT' && mergeRoute) {
      return route('/repos/{owner}/{repo}/pulls/{pull_number}/merge', 200, () => {
        const pull = repo.pulls.get(Number(mergeRoute[1]));
        if (!pull) return null;
        const mergeSha = sha(`merge-${pull.number}`);
        Object.assign(pull, {
          state: 'closed',
          merged: true,
          merged_at: second(),
          closed_at: second(),
          updated_at: second(),
          merge_commit_sha: mergeSha,
        });
        this.onChange('pull_request', {
          action: 'closed',
          number: pull.number,
          pull_request: pull,
          repository: `${owner}/${name}`,
        });
        return { sha: mergeSha, merged: true, message: 'Pull Request successfully merged' };
      });
    }
    if (pullRoute) {
      const pull = repo.pulls.get(Number(pullRoute[1]));
      if (method === 'GET' && !pullRoute[2]) {
        return route('/repos/{owner}/{repo}/pulls/{pull_number}', 200, () => pull ?? null);
      }
      if (method === 'GET' && pullRoute[2] === '/reviews') {
        return route('/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 200, () =>
          pull ? (repo.reviews.get(Number(pullRoute[1])) ?? []) : null,
        );
      }
      if (method === 'POST' && pullRoute[2] === '/requested_reviewers') {
        return route('/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', 201, () => {
          if (!pull) return null;
          const user = (PULL.user as Json) ?? {};
          pull.requested_reviewers = ((b.reviewers as string[]) ?? []).map((login, i) => ({
            ...user,
            login,
            id: 300 + i,
          }));
          return pull;
        });
      }
    }
    return null;
  }
}
