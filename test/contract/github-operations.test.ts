import { generateKeyPairSync } from 'node:crypto';
import type { Connection } from '../../shared/connectors/connection';
import { githubClient } from '../../shared/connectors/github/client';
import { GITHUB_BODY_LIMIT, githubOperations } from '../../shared/connectors/github/operations';
import { githubWorkItems } from '../../shared/connectors/github/work-items';
import { EgressRefusedError } from '../../shared/egress/egress-refused-error';
import {
  ProviderAuthError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  ValidationError,
} from '../../shared/errors';
import type { FakeGithub } from '../fakes/github';
import { startFakeGithub } from '../fakes/github';

/**
 * The hub's GitHub operations against the fake, which holds every request body and every answer
 * to GitHub's OpenAPI description: a body GitHub would refuse gets its 422 here too.
 */
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
let fake: FakeGithub;
let ops: ReturnType<typeof githubOperations>;
const repo = { owner: 'acme', repo: 'app' };

let connection: Connection;
const credentials = {
  kind: 'github_app' as const,
  appId: '42',
  installationId: 7,
  privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};

beforeAll(async () => {
  fake = await startFakeGithub({ appId: '42', publicKey, installationId: 7 });
  connection = {
    id: 'con_ops',
    orgId: 'org_x',
    provider: 'github',
    config: { baseUrl: fake.url },
  } as unknown as Connection;
  ops = githubOperations(await githubClient(connection, credentials));
});
afterAll(async () => fake?.stop());

describe("the hub's GitHub operations, held to GitHub's OpenAPI description", () => {
  it('finds a person by login or by their one public email, through the installation client', async () => {
    fake.repositories.addPerson('Ada-L', 'ada@example.com');
    fake.repositories.addPerson('bob', null);
    fake.repositories.addPerson('twin-1', 'twin@example.com');
    fake.repositories.addPerson('twin-2', 'twin@example.com');
    const client = githubWorkItems.open(connection, credentials, {});
    const before = fake.calls.length;
    expect(await client.findUser?.({ name: 'ada-l' })).toBe('Ada-L');
    expect(await client.findUser?.({ name: 'nobody-here' })).toBeNull();
    expect(await client.findUser?.({ email: 'Ada@Example.com' })).toBe('Ada-L');
    // A private email is not found; an email two people show is no one's in particular.
    expect(await client.findUser?.({ email: 'bob@example.com' })).toBeNull();
    expect(await client.findUser?.({ email: 'twin@example.com' })).toBeNull();
    const asked = fake.calls.slice(before).filter((c) => !c.path.includes('/access_tokens'));
    expect(asked.map((c) => `${c.method} ${c.path.split('?')[0]} ${c.status}`)).toEqual([
      'GET /users/ada-l 200',
      'GET /users/nobody-here 404',
      'GET /search/users 200',
      'GET /search/users 200',
      'GET /search/users 200',
    ]);
  });

  it('sends GitHub no search syntax or path in place of a login or an email', async () => {
    const client = githubWorkItems.open(connection, credentials, {});
    const before = fake.calls.length;
    expect(await client.findUser?.({ name: '../repos/acme/app' })).toBeNull();
    expect(await client.findUser?.({ email: 'x@example.com in:login' })).toBeNull();
    expect(await client.findUser?.({ email: 'not-an-email' })).toBeNull();
    expect(fake.calls.length).toBe(before);
  });

  it('refuses a person lookup to an address the egress guard does not allow', async () => {
    const elsewhere = { ...connection, id: 'con_ops_meta', config: { baseUrl: 'https://169.254.169.254' } };
    const client = githubWorkItems.open(elsewhere as Connection, credentials, {});
    await expect(client.findUser?.({ name: 'ada-l' })).rejects.toBeInstanceOf(EgressRefusedError);
  });

  it('creates and updates an issue, comments on it and labels it', async () => {
    const issue = await ops.createIssue(repo, {
      title: 'PROJ-1 Sync build status',
      body: 'From Jira',
      labels: ['sync'],
    });
    expect(issue).toMatchObject({ number: 1, url: expect.stringContaining('/issues/1') });
    expect(await ops.updateIssue(repo, issue.number, { state: 'closed', title: 'PROJ-1 Done' })).toEqual({
      number: 1,
      state: 'closed',
      title: 'PROJ-1 Done',
    });
    expect(await ops.addComment(repo, issue.number, 'Synced from Jira')).toMatchObject({
      id: expect.any(Number),
    });
    expect(await ops.addLabels(repo, issue.number, ['jira'])).toEqual(['sync', 'jira']);
  });

  it('finds a comment again by the marker it was posted with, which GitHub does not render', async () => {
    const since = new Date(Date.now() - 2000);
    const { number } = await ops.createIssue(repo, { title: 'Talked about' });
    const issue = githubWorkItems.open(connection, credentials, {});
    const ref = { id: `acme/app#${number}`, key: `acme/app#${number}`, url: '' };
    const id = await issue.addComment('acme/app', ref, 'Mirrored from Jira', { marker: 'hub-marker-1' });
    await issue.addComment('acme/app', ref, 'Someone else');
    expect(await issue.findComment('acme/app', ref, 'hub-marker-1', since)).toBe(id);
    expect(await issue.findComment('acme/app', ref, 'hub-marker-2', since)).toBeNull();
    expect(
      await issue.findComment('acme/app', ref, 'hub-marker-1', new Date(Date.now() + 60_000)),
    ).toBeNull();
    const posted = (await ops.commentsSince(repo, number, since)).find((c) => String(c.id) === id);
    expect(posted?.body).toBe('Mirrored from Jira\n\n<!-- integration-hub:hub-marker-1 -->');
  });

  it('creates a branch for a work item, opens a draft PR from it, requests reviewers and reads its reviews', async () => {
    const branch = await ops.createBranch(repo, 'PROJ-1-sync-build-status', 'main');
    expect(branch).toMatchObject({ ref: 'refs/heads/PROJ-1-sync-build-status', created: true });
    // Asked again (a retry), the branch is kept as it is.
    expect(await ops.createBranch(repo, 'PROJ-1-sync-build-status', 'main')).toMatchObject({
      ref: 'refs/heads/PROJ-1-sync-build-status',
      sha: branch.sha,
      created: false,
    });
    await expect(ops.createBranch(repo, 'PROJ-1-other', 'no-such-base')).rejects.toThrow();
    const pr = await ops.openPullRequest(repo, {
      title: 'PROJ-1 Sync build status',
      head: 'PROJ-1-sync-build-status',
      base: 'main',
      draft: true,
    });
    expect(pr.draft).toBe(true);
    expect(await ops.requestReviewers(repo, pr.number, ['octocat'])).toEqual(['octocat']);
    fake.repositories.review('acme/app', pr.number, 'APPROVED', 'octocat');
    expect(await ops.pullRequestState(repo, pr.number)).toMatchObject({
      state: 'open',
      merged: false,
      headRef: 'PROJ-1-sync-build-status',
      reviews: [{ state: 'APPROVED', reviewer: 'octocat' }],
    });
  });

  it('posts a review with line comments, and a single line comment, on a pull request', async () => {
    await ops.createBranch(repo, 'PROJ-2-review', 'main');
    const pr = await ops.openPullRequest(repo, { title: 'PROJ-2', head: 'PROJ-2-review', base: 'main' });
    const review = await ops.postReview(repo, pr.number, {
      event: 'REQUEST_CHANGES',
      body: 'Two things',
      comments: [{ path: 'src/app.ts', line: 3, body: 'Handle the error here' }],
    });
    expect(review).toMatchObject({ id: expect.any(Number), state: 'CHANGES_REQUESTED' });
    const state = await ops.pullRequestState(repo, pr.number);
    expect(state.reviews.at(-1)).toMatchObject({ state: 'CHANGES_REQUESTED' });
    const comment = await ops.postReviewComment(repo, pr.number, {
      body: 'Nit',
      commitId: 'a'.repeat(40),
      path: 'src/app.ts',
      line: 7,
    });
    expect(comment).toMatchObject({ id: expect.any(Number) });
    await expect(ops.postReview(repo, pr.number, { event: 'SHOUT' as 'COMMENT' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('gives up on a GitHub that stops answering, as a provider outage (retried with backoff)', async () => {
    const impatient = githubOperations(
      await githubClient(
        {
          id: 'con_slow',
          orgId: 'org_x',
          provider: 'github',
          config: { baseUrl: fake.url },
        } as unknown as Connection,
        {
          kind: 'github_app',
          appId: '42',
          installationId: 7,
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
        { timeoutMs: 300 },
      ),
    );
    await impatient.addComment(repo, 1, 'warm: the installation token is fetched first');
    fake.stallNext(1500);
    await expect(impatient.addComment(repo, 1, 'x')).rejects.toBeInstanceOf(ProviderUnavailableError);
  });

  it('refuses a body longer than GitHub takes before sending it, with a reason of its own, and never cuts it', async () => {
    const before = fake.calls.length;
    const text = 'x'.repeat(GITHUB_BODY_LIMIT + 1);
    for (const send of [
      () => ops.createIssue(repo, { title: 'Long', body: text }),
      () => ops.updateIssue(repo, 1, { body: text }),
      () => ops.addComment(repo, 1, text),
    ]) {
      await expect(send()).rejects.toMatchObject({
        constructor: ValidationError,
        message: expect.stringContaining(`at most ${GITHUB_BODY_LIMIT}`),
      });
    }
    expect(fake.calls.length).toBe(before);
    const fits = await ops.createIssue(repo, { title: 'Fits', body: 'y'.repeat(GITHUB_BODY_LIMIT) });
    expect(fits.number).toBeGreaterThan(0);
  });

  it("answers a body GitHub would refuse with GitHub's 422, and maps provider failures to the hub's errors", async () => {
    await expect(ops.createIssue(repo, { title: undefined as unknown as string })).rejects.toBeInstanceOf(
      ValidationError,
    );
    fake.failNext(429, { 'retry-after': '17' });
    await expect(ops.addComment(repo, 1, 'x')).rejects.toMatchObject({
      constructor: ProviderRateLimitedError,
      retryAfterSeconds: 17,
    });
    // A Retry-After that is no number of seconds never becomes a NaN wait.
    fake.failNext(429, { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' });
    await expect(ops.addComment(repo, 1, 'x')).rejects.toMatchObject({
      constructor: ProviderRateLimitedError,
      retryAfterSeconds: 60,
    });
    fake.failNext(502);
    await expect(ops.addComment(repo, 1, 'x')).rejects.toBeInstanceOf(ProviderUnavailableError);
    fake.setRevoked(true);
    await expect(ops.addComment(repo, 1, 'x')).rejects.toBeInstanceOf(ProviderAuthError);
    fake.setRevoked(false);
  });
});
