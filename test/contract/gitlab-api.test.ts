import type { Connection } from '../../shared/connectors/connection';
import { gitlabApi } from '../../shared/connectors/gitlab/client';
import { makeGitlabProbe } from '../../shared/connectors/gitlab/probe';
import { gitlabClientOn, gitlabOperations } from '../../shared/connectors/gitlab/work-items';
import type { FakeGitlab } from '../fakes/gitlab';
import { GITLAB_HUB, GITLAB_HUMAN, startFakeGitlab } from '../fakes/gitlab';
import {
  answerProblems,
  CONDITIONAL,
  entityProblems,
  GITLAB_OPENAPI,
  operationOf,
  requestProblems,
} from '../fakes/gitlab-openapi';
import { schemaProblems } from '../fakes/gitlab-spec';

/**
 * The GitLab fake and the hub's GitLab connector, checked two ways:
 * - against GitLab's own OpenAPI v2 description (`doc/api/openapi/openapi_v2.yaml` in
 *   gitlabhq/gitlabhq, extracted into fixtures/gitlab-openapi-v2.json with its commit) for the
 *   routes it covers: the current user, users, branches, merge requests, approvals, approve, merge;
 * - against `@gitbeaker/rest`'s declared schemas for every route, and only those for the routes the
 *   description does not cover (issues, their notes, merge request notes and OAuth: see the
 *   fixture's `notCovered`). Requests go through gitbeaker itself, so what the fake accepts is
 *   what the library sends.
 */
let fake: FakeGitlab;
const project = 'acme/contract';
beforeAll(async () => {
  fake = await startFakeGitlab();
  fake.projects.project(project);
});
afterAll(async () => fake.stop());

/**
 * Issue fields GitLab's API documentation shows as `null` when unset (`"due_date": null`,
 * `"closed_at": null`, `"milestone": null` in its issue examples) that gitbeaker types without null.
 */
const ISSUE_NULLS = [
  'IssueSchema.due_date',
  'IssueSchema.closed_at',
  'IssueSchema.closed_by',
  'IssueSchema.milestone',
];
/**
 * Where gitbeaker's declaration and GitLab's own description disagree, GitLab's stands (each is
 * checked against GitLab's below): gitbeaker types an issue's `closed_by` as a string, GitLab's
 * API_Entities_IssueBasic names a user (API_Entities_UserBasic), as its issue examples show; and
 * gitbeaker's listed users have a `created_at` that GitLab's API_Entities_UserBasic, which
 * `GET /users` answers people with, has not.
 */
const GITLAB_SAYS_OTHERWISE = new Set([
  'IssueSchema.closed_by: not a string',
  'SimpleUserSchema.created_at: missing',
]);
const issueProblems = (issue: unknown) =>
  schemaProblems('IssueSchema', issue, ISSUE_NULLS).filter((p) => !GITLAB_SAYS_OTHERWISE.has(p));

const connection = () =>
  ({
    id: 'con_contract',
    orgId: 'org_contract',
    provider: 'gitlab',
    config: { baseUrl: fake.url },
  }) as unknown as Connection;
const api = () => gitlabApi(connection(), { kind: 'gitlab_token', token: GITLAB_HUB.token });
/** A person's own client (approving and merging are theirs in the scenarios, not the hub's). */
const humanApi = () =>
  gitlabApi({ ...connection(), id: 'con_contract_human' } as Connection, {
    kind: 'gitlab_token',
    token: GITLAB_HUMAN.token,
  });

describe("the GitLab fake, against @gitbeaker/rest's response schemas", () => {
  it('answers users as gitbeaker declares them', async () => {
    expect(schemaProblems('ExpandedUserSchema', await (await api()).users.showCurrentUser())).toEqual([]);
    const [user] = await (await api()).users.all({ username: GITLAB_HUMAN.username });
    expect(schemaProblems('SimpleUserSchema', user).filter((p) => !GITLAB_SAYS_OTHERWISE.has(p))).toEqual([]);
    expect(entityProblems('API_Entities_UserBasic', user)).toEqual([]);
  });

  it('answers issues and their notes as gitbeaker declares them', async () => {
    // The issues and notes routes are not in GitLab's OpenAPI v2 description: gitbeaker's is the check.
    const issue = await (await api()).issues.create(project, 'Contract', { description: 'x', labels: 'a,b' });
    expect(issueProblems(issue)).toEqual([]);
    const closed = await (await api()).issues.edit(project, issue.iid, { stateEvent: 'close' });
    expect(issueProblems(closed)).toEqual([]);
    // The one field let through above is as GitLab describes it.
    expect(entityProblems('API_Entities_UserBasic', closed.closed_by)).toEqual([]);
    const listed = await (await api()).issues.all({ projectId: project, perPage: 5, page: 1 });
    expect(listed.flatMap(issueProblems)).toEqual([]);
    expect(
      schemaProblems('IssueNoteSchema', await (await api()).issueNotes.create(project, issue.iid, 'Note')),
    ).toEqual([]);
  });

  it('answers branches, merge requests and approvals as gitbeaker declares them', async () => {
    expect(
      schemaProblems('BranchSchema', await (await api()).branches.create(project, 'contract', 'main')),
    ).toEqual([]);
    const mr = await (await api()).mergeRequests.create(project, 'contract', 'main', 'Draft: contract', {
      reviewerIds: [GITLAB_HUMAN.id],
    });
    expect(schemaProblems('ExpandedMergeRequestSchema', mr)).toEqual([]);
    expect(
      schemaProblems('ExpandedMergeRequestSchema', await (await api()).mergeRequests.show(project, mr.iid)),
    ).toEqual([]);
    fake.projects.approve(project, mr.iid, GITLAB_HUMAN);
    const approvals = await (await api()).approvals.showConfiguration(project, { mergerequestIId: mr.iid });
    expect(schemaProblems('MergeRequestLevelMergeRequestApprovalSchema', approvals)).toEqual([]);
  });

  it('catches a wrong shape: the check is not vacuous', () => {
    expect(schemaProblems('IssueSchema', { due_date: 3 }, ISSUE_NULLS)).toContain(
      'IssueSchema.due_date: not a string',
    );
    expect(schemaProblems('IssueSchema', { iid: '1', title: 3 })).toEqual(
      expect.arrayContaining([
        'IssueSchema.iid: not a number',
        'IssueSchema.title: not a string',
        'IssueSchema.web_url: missing',
      ]),
    );
    expect(schemaProblems('BranchSchema', { name: 'x', commit: {} })).toEqual(
      expect.arrayContaining(['BranchSchema.commit.id: missing']),
    );
  });
});

/** The route of a request: an operation of the description, or one it says it does not cover. */
const NOT_COVERED = Object.keys(GITLAB_OPENAPI.notCovered).map((key) => {
  const [method, path] = key.split(' ') as [string, string];
  return { key, method, pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`) };
});
const routeOf = (call: FakeGitlab['calls'][number]) =>
  operationOf(call.method, call.rawPath ?? '') ??
  NOT_COVERED.find((r) => r.method === call.method && r.pattern.test(call.rawPath ?? ''))?.key ??
  `unknown: ${call.method} ${call.rawPath}`;

describe("the GitLab connector and fake, against GitLab's OpenAPI v2 description", () => {
  const repo = 'acme/openapi';
  beforeAll(() => {
    fake.projects.project(repo);
  });

  it('names where the description comes from, down to the commit', () => {
    expect(GITLAB_OPENAPI.source).toMatchObject({
      repository: 'gitlabhq/gitlabhq',
      path: 'doc/api/openapi/openapi_v2.yaml',
      commit: '38605be5543221e400c72b4c42471cd55392e394',
    });
    for (const op of Object.values(GITLAB_OPENAPI.operations)) expect(op.from).toMatch(/^paths\["/);
    for (const d of Object.values(GITLAB_OPENAPI.definitions)) expect(d.from).toMatch(/^definitions\./);
  });

  it('finds a person’s username by username or by their public email, one match only', async () => {
    const client = gitlabClientOn(connection(), api());
    expect(await client.findUser?.({ name: GITLAB_HUMAN.username })).toBe(GITLAB_HUMAN.username);
    expect(await client.findUser?.({ name: 'nobody' })).toBeNull();
    expect(await client.findUser?.({ email: 'Grace@GitLab.example' })).toBe(GITLAB_HUMAN.username);
    expect(await client.findUser?.({ email: 'nobody@gitlab.example' })).toBeNull();
    const before = fake.calls.length;
    expect(await client.findUser?.({ email: 'gl in:username' })).toBeNull();
    expect(fake.calls.length).toBe(before);
  });

  it('sends GitLab only the parameters it documents, on every route the connector calls', async () => {
    const from = fake.calls.length;
    const client = gitlabClientOn(connection(), api());
    await client.identity();
    await makeGitlabProbe().test(connection(), { kind: 'gitlab_token', token: GITLAB_HUB.token });
    const created = await client.createItem(repo, 'issue', {
      title: 'Documented',
      description: 'x',
      labels: ['a'],
      assignee: GITLAB_HUMAN.username,
    });
    await client.updateItem(repo, created.ref, { status: 'closed', title: 'Documented, closed' });
    await client.findUser?.({ name: GITLAB_HUMAN.username });
    await client.findUser?.({ email: 'grace@gitlab.example' });
    await client.addComment(repo, created.ref, 'A note', { marker: 'hub-0a1b' });
    await client.findComment(repo, created.ref, 'hub-0a1b', new Date(0));
    await client.changedSince(repo, new Date(0), null);
    await client.estimateChangedSince?.(repo, new Date(0));
    await client.createBranch(repo, 'feature/openapi', 'main');
    // An existing branch: GitLab's 400, then the read that keeps it.
    await client.createBranch(repo, 'feature/openapi', 'main');
    const pr = await client.openPullRequest(repo, {
      title: 'Documented MR',
      head: 'feature/openapi',
      base: 'main',
      body: 'Body',
      draft: true,
      closes: created.ref,
    });
    await gitlabOperations(await api()).pullRequestState(repo, pr.number);
    const calls = fake.calls.slice(from);
    const routes = new Set(calls.map(routeOf));
    // Every call is on a route the description covers or says it does not (none unknown).
    expect([...routes].filter((r) => r.startsWith('unknown'))).toEqual([]);
    expect([...routes].filter((r) => GITLAB_OPENAPI.operations[r]).sort()).toEqual([
      'GET /api/v4/projects/{id}/merge_requests/{merge_request_iid}',
      'GET /api/v4/projects/{id}/merge_requests/{merge_request_iid}/approvals',
      'GET /api/v4/projects/{id}/repository/branches/{branch}',
      'GET /api/v4/user',
      'GET /api/v4/users',
      'POST /api/v4/projects/{id}/merge_requests',
      'POST /api/v4/projects/{id}/repository/branches',
    ]);
    const problems = calls.flatMap((c) => {
      const op = operationOf(c.method, c.rawPath ?? '');
      return op ? requestProblems(op, c) : [];
    });
    expect(problems).toEqual([]);
  });

  it('answers the current user, users and branches as GitLab documents them', async () => {
    expect(answerProblems('GET /api/v4/user', await (await api()).users.showCurrentUser())).toEqual([]);
    const users = await (await api()).users.all({ username: GITLAB_HUMAN.username });
    expect(users).toHaveLength(1);
    expect(answerProblems('GET /api/v4/users', users)).toEqual([]);
    const branch = await (await api()).branches.create(repo, 'answers', 'main');
    expect(answerProblems('POST /api/v4/projects/{id}/repository/branches', branch)).toEqual([]);
    expect(
      answerProblems(
        'GET /api/v4/projects/{id}/repository/branches/{branch}',
        await (await api()).branches.show(repo, 'answers'),
      ),
    ).toEqual([]);
  });

  it('answers merge requests, their approvals, an approval and a merge as GitLab documents them', async () => {
    await (await api()).branches.create(repo, 'mr-answers', 'main');
    const mr = await (await api()).mergeRequests.create(repo, 'mr-answers', 'main', 'Draft: answers', {
      description: 'Closes #1',
      reviewerIds: [GITLAB_HUMAN.id],
    });
    expect(answerProblems('POST /api/v4/projects/{id}/merge_requests', mr)).toEqual([]);
    const path = 'GET /api/v4/projects/{id}/merge_requests/{merge_request_iid}';
    expect(answerProblems(path, await (await api()).mergeRequests.show(repo, mr.iid))).toEqual([]);
    const before = await (await api()).approvals.showConfiguration(repo, { mergerequestIId: mr.iid });
    expect(
      answerProblems('GET /api/v4/projects/{id}/merge_requests/{merge_request_iid}/approvals', before),
    ).toEqual([]);
    expect(before).toMatchObject({ approved: false, user_has_approved: false, approved_by: [] });
    const from = fake.calls.length;
    const approved = await (await humanApi()).approvals.approve(repo, mr.iid);
    expect(
      answerProblems('POST /api/v4/projects/{id}/merge_requests/{merge_request_iid}/approve', approved),
    ).toEqual([]);
    expect(approved).toMatchObject({
      approved: true,
      user_has_approved: true,
      user_can_approve: false,
      approved_by: [{ user: { username: GITLAB_HUMAN.username } }],
    });
    const merged = await (await humanApi()).mergeRequests.merge(repo, mr.iid);
    expect(
      answerProblems('PUT /api/v4/projects/{id}/merge_requests/{merge_request_iid}/merge', merged),
    ).toEqual([]);
    expect(merged).toMatchObject({ state: 'merged', merge_user: { username: GITLAB_HUMAN.username } });
    // And what gitbeaker sent a person's way is documented too.
    const sent = fake.calls.slice(from).flatMap((c) => {
      const op = operationOf(c.method, c.rawPath ?? '');
      return op ? requestProblems(op, c) : [`not covered: ${c.method} ${c.rawPath}`];
    });
    expect(sent).toEqual([]);
  });

  it("answers issues with the fields of GitLab's documented issue entity, though their routes are not described", async () => {
    const issue = await (await api()).issues.create(repo, 'Entity', { assigneeIds: [GITLAB_HUMAN.id] });
    // API_Entities_IssueBasic is described (under the issue links route); GitLab's issue entity extends it.
    const problems = (value: unknown) => entityProblems('API_Entities_IssueBasic', value);
    expect(problems(issue)).toEqual([]);
    expect(issue).toMatchObject({ assignee: { id: GITLAB_HUMAN.id } });
    const closed = await (await humanApi()).issues.edit(repo, issue.iid, { stateEvent: 'close' });
    expect(problems(closed)).toEqual([]);
    expect(closed).toMatchObject({ state: 'closed', closed_by: { id: GITLAB_HUMAN.id } });
  });

  it('documents every field the connector reads from what GitLab answers', () => {
    const reads: Record<string, string[]> = {
      // identity() and the probe
      API_Entities_UserPublic: ['id', 'username', 'bot'],
      // a username's user id
      API_Entities_UserBasic: ['id', 'username'],
      // pullRequestState() and openPullRequest()
      API_Entities_MergeRequest: ['iid', 'web_url', 'state', 'draft', 'source_branch', 'reviewers'],
      API_Entities_MergeRequestApprovals: ['approved', 'approved_by'],
      API_Entities_Approvals: ['user'],
    };
    for (const [name, fields] of Object.entries(reads)) {
      const properties = GITLAB_OPENAPI.definitions[name]?.properties ?? {};
      expect(fields.filter((f) => !Object.hasOwn(properties, f))).toEqual([]);
      // Fields GitLab exposes only sometimes are not ones the connector may rely on.
      expect(fields.filter((f) => Object.hasOwn(CONDITIONAL[name] ?? {}, f))).toEqual([]);
    }
  });

  it('catches an undocumented parameter, a missing field and a wrong type: the checks are not vacuous', () => {
    const branches = 'POST /api/v4/projects/{id}/repository/branches';
    expect(requestProblems(branches, { query: '', body: { branch: 'x' } })).toEqual([
      `${branches}: required body parameter ref missing`,
    ]);
    expect(requestProblems(branches, { query: '?dry_run=true', body: { branch: 'x', ref: 1 } })).toEqual([
      `${branches}: undocumented query parameter dry_run`,
      `${branches} body.ref: not a string`,
    ]);
    expect(requestProblems('GET /api/v4/users', { query: '?username=a&per_page=many&admin=1' })).toEqual([
      'GET /api/v4/users?per_page: not an integer',
      'GET /api/v4/users: undocumented query parameter admin',
    ]);
    const mrs = 'POST /api/v4/projects/{id}/merge_requests';
    expect(
      requestProblems(mrs, {
        query: '',
        body: { title: 't', source_branch: 'a', target_branch: 'b', draft: true },
      }),
    ).toEqual([`${mrs}: undocumented body parameter draft`]);
    expect(answerProblems(branches, { name: 'x', commit: { id: 1 } })).toEqual(
      expect.arrayContaining([
        'API_Entities_Branch.merged: missing',
        'API_Entities_Branch.commit.id: not a string',
        'API_Entities_Branch.commit.short_id: missing',
      ]),
    );
    // A list where the description names one entity, each item checked; an undocumented-type field only present.
    expect(answerProblems('GET /api/v4/users', [{ id: '7' }])).toEqual(
      expect.arrayContaining([
        'API_Entities_UserBasic[0].id: not an integer',
        'API_Entities_UserBasic[0].web_url: missing',
      ]),
    );
    expect(answerProblems('GET /api/v4/user', { bot: 'yes' })).not.toContain(
      'API_Entities_UserPublic.bot: not a string',
    );
    expect(answerProblems('GET /api/v4/user', {})).not.toContain(
      'API_Entities_UserPublic.scim_identities: missing',
    );
    expect(operationOf('GET', '/api/v4/projects/acme%2Fx/merge_requests/3/approvals')).toBe(
      'GET /api/v4/projects/{id}/merge_requests/{merge_request_iid}/approvals',
    );
    expect(operationOf('GET', '/api/v4/projects/acme%2Fx/issues')).toBeNull();
  });
});
