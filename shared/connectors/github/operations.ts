import type { Octokit } from '@octokit/core';
import { ValidationError } from '../../errors';
import { githubFailure } from './client';
import { githubWorkItem } from './normalise';

export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

/** Issues per page when listing changes (GitHub allows up to 100). */
export const ISSUE_PAGE = 50;

/** GitHub refuses an issue, pull request or comment body longer than this (422). */
export const GITHUB_BODY_LIMIT = 65_536;

/**
 * Refuses, before any call, a body GitHub would refuse: the hub never cuts text silently, and the
 * reason (which GitHub's bounded 422 would not give) is the hub's own.
 */
function withinBodyLimit(fields: { body?: string | undefined }): void {
  const length = fields.body?.length ?? 0;
  if (length > GITHUB_BODY_LIMIT) {
    throw new ValidationError(
      `The text is too long for GitHub: ${length} characters, and GitHub takes at most ${GITHUB_BODY_LIMIT}; the hub does not cut it`,
      [{ path: 'body', message: `longer than ${GITHUB_BODY_LIMIT} characters` }],
    );
  }
}

/** Every call's failure becomes one of the hub's provider errors, for the one failure policy. */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw githubFailure(error);
  }
}

/** A call whose body GitHub limits: refused by the hub before it is sent when too long. */
async function callWithBody<T>(fields: { body?: string | undefined }, run: () => Promise<T>): Promise<T> {
  withinBodyLimit(fields);
  return call(run);
}

/** The GitHub operations the sync engine uses, on one installation's client. */
export function githubOperations(octokit: Octokit) {
  return {
    /** A user's login by their login (exact, any case), or null when GitHub has none. */
    userByLogin: (login: string) =>
      call(async () => {
        try {
          const { data } = await octokit.request('GET /users/{username}', { username: login });
          return data.login;
        } catch (error) {
          if ((error as { status?: number }).status === 404) return null;
          throw error;
        }
      }),
    /**
     * The logins whose email is this one (GitHub's user search by email: public addresses on
     * github.com, any on an Enterprise Server that shows them), at most two: enough to tell one from many.
     */
    loginsByEmail: (email: string) =>
      call(async () => {
        const { data } = await octokit.request('GET /search/users', { q: `${email} in:email`, per_page: 2 });
        return data.items.map((u) => u.login);
      }),
    createIssue: (
      r: RepoRef,
      issue: { title: string; body?: string; labels?: string[]; assignees?: string[] },
    ) =>
      callWithBody(issue, async () => {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues', { ...r, ...issue });
        return { number: data.number, id: data.id, url: data.html_url, state: data.state };
      }),
    updateIssue: (
      r: RepoRef,
      number: number,
      patch: {
        title?: string;
        body?: string;
        state?: 'open' | 'closed';
        labels?: string[];
        assignees?: string[];
      },
    ) =>
      callWithBody(patch, async () => {
        const { data } = await octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
          ...r,
          issue_number: number,
          ...patch,
        });
        return { number: data.number, state: data.state, title: data.title };
      }),
    addComment: (r: RepoRef, number: number, body: string) =>
      callWithBody({ body }, async () => {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          ...r,
          issue_number: number,
          body,
        });
        return { id: data.id, url: data.html_url };
      }),
    /** The issue's comments updated since a time (oldest first, up to 100). */
    commentsSince: (r: RepoRef, number: number, since: Date) =>
      call(async () => {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          ...r,
          issue_number: number,
          since: since.toISOString(),
          per_page: 100,
        });
        return data.map((c) => ({ id: c.id, body: c.body ?? '' }));
      }),
    addLabels: (r: RepoRef, number: number, labels: string[]) =>
      call(async () => {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
          ...r,
          issue_number: number,
          labels,
        });
        return data.map((l) => l.name);
      }),
    /** Creates `branch` at the tip of `from`; an existing branch of that name is left as it is. */
    createBranch: (r: RepoRef, branch: string, from: string) =>
      call(async () => {
        const { data: base } = await octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
          ...r,
          ref: `heads/${from}`,
        });
        try {
          const { data } = await octokit.request('POST /repos/{owner}/{repo}/git/refs', {
            ...r,
            ref: `refs/heads/${branch}`,
            sha: base.object.sha,
          });
          return { ref: data.ref, sha: data.object.sha, created: true };
        } catch (error) {
          // GitHub refuses an existing ref with a 422: if the branch is there, it is kept as it is.
          if ((error as { status?: number }).status !== 422) throw error;
          const existing = await octokit
            .request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...r, ref: `heads/${branch}` })
            .catch(() => {
              throw error;
            });
          return { ref: existing.data.ref, sha: existing.data.object.sha, created: false };
        }
      }),
    openPullRequest: (
      r: RepoRef,
      pr: { title: string; head: string; base: string; body?: string; draft?: boolean },
    ) =>
      callWithBody(pr, async () => {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/pulls', { ...r, ...pr });
        return { number: data.number, url: data.html_url, draft: data.draft ?? false };
      }),
    requestReviewers: (r: RepoRef, number: number, reviewers: string[]) =>
      call(async () => {
        const { data } = await octokit.request(
          'POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
          {
            ...r,
            pull_number: number,
            reviewers,
          },
        );
        return (data.requested_reviewers ?? []).map((u) => ('login' in u ? u.login : ''));
      }),
    /**
     * A review on a pull request: a summary and comments on lines of its diff, as one review
     * (`COMMENT`, `APPROVE` or `REQUEST_CHANGES`), so the author is notified once.
     */
    postReview: (
      r: RepoRef,
      number: number,
      review: {
        event: 'COMMENT' | 'APPROVE' | 'REQUEST_CHANGES';
        body?: string;
        comments?: { path: string; line: number; body: string; side?: 'LEFT' | 'RIGHT' }[];
      },
    ) =>
      call(async () => {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
          ...r,
          pull_number: number,
          ...review,
        });
        return { id: data.id, state: data.state, url: data.html_url };
      }),
    /** A comment on one line of a pull request's diff, outside any review. */
    postReviewComment: (
      r: RepoRef,
      number: number,
      comment: { body: string; commitId: string; path: string; line: number; side?: 'LEFT' | 'RIGHT' },
    ) =>
      call(async () => {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/comments', {
          ...r,
          pull_number: number,
          body: comment.body,
          commit_id: comment.commitId,
          path: comment.path,
          line: comment.line,
          side: comment.side ?? 'RIGHT',
        });
        return { id: data.id, url: data.html_url };
      }),
    /**
     * One page of a repository's issues changed since a time, oldest change first (pull requests,
     * which GitHub lists with issues, left out), as the canonical items the webhook normaliser gives, and how
     * many pages there are (from GitHub's `Link` header) for progress estimates.
     */
    issuesChangedSince: (r: RepoRef, since: Date, page: number) =>
      call(async () => {
        const { data, headers } = await octokit.request('GET /repos/{owner}/{repo}/issues', {
          ...r,
          state: 'all',
          sort: 'updated',
          direction: 'asc',
          since: since.toISOString(),
          per_page: ISSUE_PAGE,
          page,
        });
        const last = /[?&]page=(\d+)[^>]*>;\s*rel="last"/.exec(String(headers.link ?? ''))?.[1];
        return {
          issues: data.filter((i) => !i.pull_request).map((i) => githubWorkItem(i, `${r.owner}/${r.repo}`)),
          more: data.length === ISSUE_PAGE,
          lastPage: last ? Number(last) : data.length === ISSUE_PAGE ? null : page,
        };
      }),
    /** A pull request's state and its reviews, as the status automation reads them. */
    pullRequestState: (r: RepoRef, number: number) =>
      call(async () => {
        const [{ data: pr }, { data: reviews }] = await Promise.all([
          octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { ...r, pull_number: number }),
          octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
            ...r,
            pull_number: number,
          }),
        ]);
        return {
          state: pr.state,
          merged: pr.merged,
          draft: pr.draft ?? false,
          headRef: pr.head.ref,
          reviews: reviews.map((v) => ({ state: v.state, reviewer: v.user?.login ?? null })),
        };
      }),
  };
}
