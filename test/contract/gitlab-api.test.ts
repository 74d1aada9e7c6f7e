import type { Connection } from '../../shared/connectors/connection';
import { gitlabApi } from '../../shared/connectors/gitlab/client';
import type { FakeGitlab } from '../fakes/gitlab';
import { GITLAB_HUB, GITLAB_HUMAN, startFakeGitlab } from '../fakes/gitlab';
import { schemaProblems } from '../fakes/gitlab-spec';

/**
 * The GitLab fake answers in the shapes the client library declares for each route it serves:
 * `@gitbeaker/rest`'s schemas, read from its type declarations (GitLab's OpenAPI v2 description
 * covers few of these routes and is not packaged here). Requests go through gitbeaker itself, so
 * what the fake accepts is what the library sends.
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

const api = () => {
  const connection = {
    id: 'con_contract',
    orgId: 'org_contract',
    provider: 'gitlab',
    config: { baseUrl: fake.url },
  } as unknown as Connection;
  return gitlabApi(connection, { kind: 'gitlab_token', token: GITLAB_HUB.token });
};

describe("the GitLab fake, against @gitbeaker/rest's response schemas", () => {
  it('answers users as gitbeaker declares them', async () => {
    expect(schemaProblems('ExpandedUserSchema', await (await api()).users.showCurrentUser())).toEqual([]);
    const [user] = await (await api()).users.all({ username: GITLAB_HUMAN.username });
    expect(schemaProblems('SimpleUserSchema', user)).toEqual([]);
  });

  it('answers issues and their notes as gitbeaker declares them', async () => {
    const issue = await (await api()).issues.create(project, 'Contract', { description: 'x', labels: 'a,b' });
    expect(schemaProblems('IssueSchema', issue, ISSUE_NULLS)).toEqual([]);
    expect(
      schemaProblems(
        'IssueSchema',
        await (await api()).issues.edit(project, issue.iid, { stateEvent: 'close' }),
        ISSUE_NULLS,
      ),
    ).toEqual([]);
    const listed = await (await api()).issues.all({ projectId: project, perPage: 5, page: 1 });
    expect(listed.flatMap((i) => schemaProblems('IssueSchema', i, ISSUE_NULLS))).toEqual([]);
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
