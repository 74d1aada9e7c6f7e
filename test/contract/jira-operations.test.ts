import { createCloudClient } from 'jira.js';
import { jiraFailure } from '../../shared/connectors/jira/client';
import { jiraOperations } from '../../shared/connectors/jira/operations';
import { ProviderRateLimitedError, ProviderUnavailableError, ValidationError } from '../../shared/errors';
import type { FakeJira } from '../fakes/jira';
import { JIRA_HUMAN, startFakeJira } from '../fakes/jira';

/**
 * The hub's Jira operations through jira.js against the Jira fake, whose answers are parsed by
 * jira.js's own schemas (generated from Jira's OpenAPI description) before they are sent.
 */
let fake: FakeJira;
let ops: ReturnType<typeof jiraOperations>;
const account = { email: 'bot@ops.test', apiToken: 'ops-token' };
beforeAll(async () => {
  fake = await startFakeJira(account);
  const client = createCloudClient({ host: fake.url, auth: { type: 'basic', ...account } });
  // Room for a loaded machine's first call (jira.js loads lazily); the stall below outlasts it.
  ops = jiraOperations(client, fake.url, { timeoutMs: 2_000 });
});
afterAll(async () => fake?.stop());

describe("the hub's Jira operations", () => {
  it('finds a person’s account id by their email or display name, exactly and only one', async () => {
    expect(await ops.findUser({ email: 'Human@Example.test' })).toBe(JIRA_HUMAN.accountId);
    expect(await ops.findUser({ name: JIRA_HUMAN.displayName })).toBe(JIRA_HUMAN.accountId);
    // A part of an address or a name is nobody in particular; an unknown one is nobody.
    expect(await ops.findUser({ email: 'example.test' })).toBeNull();
    expect(await ops.findUser({ name: 'Hana' })).toBeNull();
    expect(await ops.findUser({ email: 'nobody@example.test' })).toBeNull();
  });

  it('creates an issue with a Markdown description sent as ADF, edits it, and reads it back as Markdown', async () => {
    const created = await ops.createIssue('OPS', 'Task', {
      title: 'Export **fails**',
      description: 'Steps:\n\n- open\n- export',
      labels: ['bug'],
    });
    expect(created).toMatchObject({ key: 'OPS-1', url: `${fake.url}/browse/OPS-1` });
    expect(fake.issues.get('OPS-1')?.fields.description).toMatchObject({ type: 'doc', version: 1 });
    await ops.updateIssue('OPS-1', { title: 'Export fails on Safari', priority: 'High', assignee: null });
    expect(await ops.getIssue('OPS-1')).toMatchObject({
      title: 'Export fails on Safari',
      description: 'Steps:\n\n- open\n- export',
      labels: ['bug'],
      priority: 'High',
      status: 'To Do',
      creator: expect.any(String),
    });
  });

  it('moves an issue to a status by name, through whichever transition leads there, and says when none does', async () => {
    await ops.createIssue('OPS', 'Task', { title: 'Move me' });
    expect(await ops.transitionTo('OPS-2', 'in progress')).toEqual({ moved: true });
    expect(fake.issues.get('OPS-2')?.fields.status.name).toBe('In Progress');
    expect(await ops.transitionTo('OPS-2', 'In Progress')).toEqual({ moved: false });
    await expect(ops.transitionTo('OPS-2', 'Shipped')).rejects.toBeInstanceOf(ValidationError);
  });

  it('comments in ADF, links a pull request once however often it is linked, and lists changes since a time', async () => {
    await ops.addComment('OPS-1', 'Seen on **2.1**');
    expect(fake.issues.get('OPS-1')?.comments[0]?.body).toMatchObject({ type: 'doc' });
    const pr = { url: 'https://github.example/acme/app/pull/7', title: 'OPS-1 fix', state: 'open' };
    await ops.linkPullRequest('OPS-1', pr);
    await ops.linkPullRequest('OPS-1', { ...pr, state: 'merged' });
    expect(fake.issues.get('OPS-1')?.remoteLinks).toHaveLength(1);
    expect(fake.issues.get('OPS-1')?.remoteLinks[0]).toMatchObject({ object: { summary: 'merged' } });
    const page = await ops.changedSince('OPS', new Date(Date.now() - 60_000));
    expect(page.issues.map((i) => i.key).sort()).toEqual(['OPS-1', 'OPS-2']);
    expect(await ops.countChangedSince('OPS', new Date(Date.now() - 60_000))).toBe(2);
  });

  it('finds a comment again by the marker it was posted with, which people do not see', async () => {
    const since = new Date(Date.now() - 1000);
    const { id } = await ops.addComment('OPS-1', 'Mirrored from GitHub', 'hub-marker-1');
    await ops.addComment('OPS-1', 'Someone else');
    expect(await ops.findComment('OPS-1', 'hub-marker-1', since)).toBe(id);
    expect(await ops.findComment('OPS-1', 'hub-marker-2', since)).toBeNull();
    expect(await ops.findComment('OPS-1', 'hub-marker-1', new Date(Date.now() + 60_000))).toBeNull();
    // The marker is a comment property, not text in the comment.
    expect(JSON.stringify(fake.issues.get('OPS-1')?.comments.at(-2)?.body)).not.toContain('hub-marker-1');
  });

  it("maps Jira's failures to the hub's errors, and gives up on a site that stops answering", async () => {
    fake.failNext(429, { 'retry-after': '9' });
    await expect(ops.getIssue('OPS-1')).rejects.toMatchObject({
      constructor: ProviderRateLimitedError,
      retryAfterSeconds: 9,
    });
    fake.failNext(503);
    await expect(ops.getIssue('OPS-1')).rejects.toBeInstanceOf(ProviderUnavailableError);
    fake.stallNext(6_000);
    await expect(ops.getIssue('OPS-1')).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect(jiraFailure(new Error('boom'))).toBeInstanceOf(ProviderUnavailableError);
  });
});
