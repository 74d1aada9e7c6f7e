import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = Record<string, unknown>;
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'gitlab');
/** A payload from GitLab's webhook events documentation (see test/fixtures/gitlab/README.md). */
export const gitlabFixture = (name: string): Json =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Json;

/** Someone on the fake GitLab: a person, or the bot user of a project access token (the hub). */
export interface GitlabUser {
  readonly id: number;
  readonly username: string;
  readonly name: string;
  readonly bot: boolean;
  /** The email their profile shows (GitLab's user search matches it exactly), if they show one. */
  readonly publicEmail?: string;
}

/** What a change sends as a webhook: the `X-Gitlab-Event` value and the payload. */
export type GitlabChange = (hook: string, payload: Json) => void;

interface Project {
  readonly id: number;
  readonly path: string;
  issues: Map<number, Json>;
  mergeRequests: Map<number, Json>;
  approvals: Map<number, GitlabUser[]>;
  notes: Json[];
  branches: Map<string, string>;
  nextIssue: number;
  nextMergeRequest: number;
}

const sha = (seed: string) => createHash('sha1').update(seed).digest('hex');
const ZERO = '0000000000000000000000000000000000000000';
/** GitLab's API times: ISO 8601 with milliseconds. */
const iso = (ms = Date.now()) => new Date(ms).toISOString();
/** The Ruby time format comment webhooks use (`2015-05-17 18:21:36 UTC`). */
const ruby = (at: string) => `${at.slice(0, 19).replace('T', ' ')} UTC`;

export class GitlabRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The projects of the GitLab fake: issues, notes, labels, assignees, branches, merge requests,
 * reviewers and approvals. Answers have the fields GitLab's OpenAPI description documents where
 * it covers the route, and gitbeaker's schemas name (both checked in
 * test/contract/gitlab-api.test.ts); webhooks are GitLab's documented examples with the change's values.
 */
export class FakeProjects {
  private readonly projects = new Map<string, Project>();
  private nextId = 1000;
  readonly users = new Map<string, GitlabUser>();
  onChange: GitlabChange = () => {};

  constructor(
    readonly web: string,
    users: GitlabUser[],
  ) {
    for (const u of users) this.users.set(u.username, u);
  }

  private id() {
    this.nextId += 1;
    return this.nextId;
  }

  /** A user as the API describes one (`SimpleUserSchema`). */
  userJson(u: GitlabUser): Json {
    return {
      id: u.id,
      username: u.username,
      name: u.name,
      state: 'active',
      locked: false,
      avatar_url: `${this.web}/uploads/-/system/user/avatar/${u.id}/avatar.png`,
      web_url: `${this.web}/${u.username}`,
    };
  }

  /** The token's user, as `GET /user` describes it. */
  currentUser(u: GitlabUser): Json {
    return {
      ...this.userJson(u),
      created_at: '2026-01-01T00:00:00.000Z',
      bio: '',
      bot: u.bot,
      location: null,
      public_email: null,
      skype: '',
      linkedin: '',
      twitter: '',
      discord: '',
      website_url: '',
      pronouns: null,
      organization: '',
      job_title: '',
      work_information: null,
      followers: 0,
      following: 0,
      local_time: null,
      is_followed: false,
      is_admin: false,
      last_sign_in_at: '2026-01-01T00:00:00.000Z',
      confirmed_at: '2026-01-01T00:00:00.000Z',
      last_activity_on: '2026-01-01',
      email: `${u.username}@users.noreply.gitlab.example`,
      commit_email: `${u.username}@users.noreply.gitlab.example`,
      theme_id: 1,
      color_scheme_id: 1,
      projects_limit: 100000,
      current_sign_in_at: null,
      note: null,
      identities: [],
      can_create_group: !u.bot,
      can_create_project: !u.bot,
      two_factor_enabled: false,
      external: false,
      private_profile: null,
      namespace_id: u.id,
      created_by: null,
    };
  }

  project(path: string): Project {
    const key = path.toLowerCase();
    let p = this.projects.get(key);
    if (!p) {
      p = {
        id: this.id(),
        path,
        issues: new Map(),
        mergeRequests: new Map(),
        approvals: new Map(),
        notes: [],
        branches: new Map([['main', sha(`${path}:main`)]]),
        nextIssue: 1,
        nextMergeRequest: 1,
      };
      this.projects.set(key, p);
    }
    return p;
  }

  private found(path: string): Project {
    const p = this.projects.get(path.toLowerCase());
    if (!p) throw new GitlabRefusal(404, '404 Project Not Found');
    return p;
  }

  issue(path: string, iid: number): Json {
    const issue = this.found(path).issues.get(iid);
    if (!issue) throw new GitlabRefusal(404, '404 Issue Not Found');
    return issue;
  }

  mergeRequest(path: string, iid: number): Json {
    const mr = this.found(path).mergeRequests.get(iid);
    if (!mr) throw new GitlabRefusal(404, '404 Merge Request Not Found');
    return mr;
  }

  private projectHook(p: Project): Json {
    const template = gitlabFixture('issue').project as Json;
    const web = `${this.web}/${p.path}`;
    return {
      ...template,
      id: p.id,
      name: p.path.split('/').at(-1),
      web_url: web,
      path_with_namespace: p.path,
      namespace: p.path.split('/')[0],
      default_branch: 'main',
      homepage: web,
      url: `${web}.git`,
      http_url: `${web}.git`,
      git_http_url: `${web}.git`,
    };
  }

  private hookUser(u: GitlabUser): Json {
    return {
      id: u.id,
      name: u.name,
      username: u.username,
      avatar_url: this.userJson(u).avatar_url,
      email: '[REDACTED]',
    };
  }

  private labelHook(p: Project, title: string): Json {
    return {
      ...((gitlabFixture('issue').labels as Json[])[0] as Json),
      id: title.length,
      title,
      project_id: p.id,
    };
  }

  private user(id: unknown): GitlabUser | undefined {
    return [...this.users.values()].find((u) => u.id === id);
  }

  /** The issue's webhook: the documented example with this issue's values and what changed. */
  private issueHook(p: Project, issue: Json, action: string, actor: GitlabUser, changes: Json) {
    const example = gitlabFixture('issue');
    const assignees = (issue.assignees as Json[]).map((a) => ({
      name: a.name,
      username: a.username,
      avatar_url: a.avatar_url,
    }));
    const labels = (issue.labels as string[]).map((l) => this.labelHook(p, l));
    // GitLab sends confidential issues only to hooks that ask for them, under their own event name.
    this.onChange(issue.confidential === true ? 'Confidential Issue Hook' : 'Issue Hook', {
      ...example,
      user: this.hookUser(actor),
      project: this.projectHook(p),
      object_attributes: {
        ...(example.object_attributes as Json),
        id: issue.id,
        iid: issue.iid,
        title: issue.title,
        description: issue.description,
        project_id: p.id,
        author_id: (issue.author as Json).id,
        assignee_ids: (issue.assignees as Json[]).map((a) => a.id),
        assignee_id: (issue.assignees as Json[])[0]?.id ?? null,
        created_at: issue.created_at,
        updated_at: issue.updated_at,
        updated_by_id: actor.id,
        state: issue.state,
        state_id: issue.state === 'closed' ? 2 : 1,
        url: issue.web_url,
        action,
        labels,
        due_date: null,
        confidential: issue.confidential === true,
      },
      assignees,
      assignee: assignees[0] ?? null,
      labels,
      changes,
    });
  }

  createIssue(path: string, actor: GitlabUser, body: Json): Json {
    const p = this.found(path);
    if (typeof body.title !== 'string' || body.title === '') throw new GitlabRefusal(400, 'title is missing');
    const iid = p.nextIssue++;
    const at = iso();
    const issue: Json = {
      id: this.id(),
      iid,
      project_id: p.id,
      title: body.title,
      description: typeof body.description === 'string' ? body.description : '',
      state: 'opened',
      created_at: at,
      updated_at: at,
      closed_at: null,
      closed_by: null,
      labels: this.labels(body.labels) ?? [],
      milestone: null,
      assignees: this.assignees(body.assignee_ids) ?? [],
      author: this.userJson(actor),
      type: 'ISSUE',
      issue_type: 'issue',
      user_notes_count: 0,
      merge_requests_count: 0,
      upvotes: 0,
      downvotes: 0,
      due_date: null,
      confidential: body.confidential === true,
      discussion_locked: false,
      web_url: `${this.web}/${p.path}/-/issues/${iid}`,
      references: { short: `#${iid}`, relative: `#${iid}`, full: `${p.path}#${iid}` },
      time_stats: {
        time_estimate: 0,
        total_time_spent: 0,
        human_time_estimate: null,
        human_total_time_spent: null,
      },
      has_tasks: false,
      task_status: '',
      task_completion_status: { count: 0, completed_count: 0 },
      _links: {
        self: `${this.web}/api/v4/projects/${p.id}/issues/${iid}`,
        notes: `${this.web}/api/v4/projects/${p.id}/issues/${iid}/notes`,
        award_emoji: `${this.web}/api/v4/projects/${p.id}/issues/${iid}/award_emoji`,
        project: `${this.web}/api/v4/projects/${p.id}`,
      },
      subscribed: true,
    };
    // GitLab's issue entity names the first assignee on its own too (`assignee`).
    issue.assignee = (issue.assignees as Json[])[0] ?? null;
    p.issues.set(iid, issue);
    this.issueHook(p, issue, 'open', actor, {});
    return issue;
  }

  private labels(value: unknown): string[] | undefined {
    if (value === undefined) return undefined;
    const list = Array.isArray(value) ? value.map(String) : String(value).split(',');
    return [...new Set(list.map((l) => l.trim()).filter(Boolean))];
  }

  private assignees(value: unknown): Json[] | undefined {
    if (value === undefined) return undefined;
    const ids = (Array.isArray(value) ? value : [value]).map(Number).filter((n) => n > 0);
    return ids.map((id) => {
      const u = this.user(id);
      if (!u) throw new GitlabRefusal(400, `assignee_ids: user ${id} not found`);
      return this.userJson(u);
    });
  }

  /** `PUT /projects/:id/issues/:iid`: title, description, state_event, labels, assignee_ids. */
  updateIssue(path: string, iid: number, actor: GitlabUser, body: Json): Json {
    const p = this.found(path);
    const issue = this.issue(path, iid);
    const changes: Json = {};
    const set = (key: string, value: unknown, display = value) => {
      if (value === undefined || JSON.stringify(issue[key]) === JSON.stringify(value)) return;
      changes[key] = {
        previous: key === 'labels' ? (issue[key] as string[]).map((l) => this.labelHook(p, l)) : issue[key],
        current: display,
      };
      issue[key] = value;
    };
    set('title', body.title);
    set('description', body.description);
    const labels = this.labels(body.labels);
    if (labels)
      set(
        'labels',
        labels,
        labels.map((l) => this.labelHook(p, l)),
      );
    const assignees = this.assignees(body.assignee_ids);
    if (assignees) {
      set('assignees', assignees);
      issue.assignee = assignees[0] ?? null;
    }
    let action = 'update';
    if (body.state_event === 'close' && issue.state !== 'closed') {
      changes.state_id = { previous: 1, current: 2 };
      issue.state = 'closed';
      issue.closed_at = iso();
      issue.closed_by = this.userJson(actor);
      action = 'close';
    } else if (body.state_event === 'reopen' && issue.state === 'closed') {
      changes.state_id = { previous: 2, current: 1 };
      issue.state = 'opened';
      issue.closed_at = null;
      issue.closed_by = null;
      action = 'reopen';
    }
    if (Object.keys(changes).length === 0) return issue;
    const previous = String(issue.updated_at);
    // Strictly later than the last change, as a real server's clock would be.
    issue.updated_at = iso(Math.max(Date.now(), Date.parse(previous) + 1));
    changes.updated_at = { previous: ruby(previous), current: ruby(String(issue.updated_at)) };
    this.issueHook(p, issue, action, actor, changes);
    return issue;
  }

  /** Issues updated on or after a time, ordered and paged as GitLab's `GET /projects/:id/issues` does. */
  listIssues(path: string, query: URLSearchParams) {
    const after = Date.parse(query.get('updated_after') ?? '1970-01-01T00:00:00Z');
    const desc = (query.get('sort') ?? 'desc') === 'desc';
    const key = query.get('order_by') === 'updated_at' ? 'updated_at' : 'created_at';
    const all = [...this.found(path).issues.values()]
      .filter((i) => Date.parse(String(i.updated_at)) >= after)
      // `confidential=true|false` keeps only those issues, as GitLab's filter does.
      .filter((i) => {
        const c = query.get('confidential');
        return c === null || (i.confidential === true) === (c === 'true');
      })
      .sort((a, b) => (Date.parse(String(a[key])) - Date.parse(String(b[key]))) * (desc ? -1 : 1));
    return all;
  }

  addNote(
    path: string,
    iid: number,
    actor: GitlabUser,
    body: Json,
    on: 'issue' | 'merge_request' = 'issue',
  ): Json {
    const p = this.found(path);
    const parent = on === 'issue' ? this.issue(path, iid) : this.mergeRequest(path, iid);
    if (typeof body.body !== 'string' || body.body === '') throw new GitlabRefusal(400, 'body is missing');
    const at = iso();
    const note: Json = {
      id: this.id(),
      type: null,
      body: body.body,
      attachment: null,
      author: this.userJson(actor),
      created_at: at,
      updated_at: at,
      system: false,
      noteable_id: parent.id,
      noteable_type: on === 'issue' ? 'Issue' : 'MergeRequest',
      noteable_iid: iid,
      project_id: p.id,
      resolvable: false,
      confidential: false,
      internal: false,
    };
    p.notes.push(note);
    const example = gitlabFixture(on === 'issue' ? 'note-issue' : 'note-merge-request');
    const kind = on === 'issue' ? 'issue' : 'merge_request';
    // A note on a confidential issue is a confidential note, as GitLab sends it.
    const confidential = on === 'issue' && parent.confidential === true;
    this.onChange(confidential ? 'Confidential Note Hook' : 'Note Hook', {
      ...example,
      user: this.hookUser(actor),
      project_id: p.id,
      project: this.projectHook(p),
      object_attributes: {
        ...(example.object_attributes as Json),
        id: note.id,
        note: note.body,
        noteable_type: note.noteable_type,
        author_id: actor.id,
        created_at: ruby(at),
        updated_at: ruby(at),
        project_id: p.id,
        noteable_id: parent.id,
        action: 'create',
        url: `${parent.web_url}#note_${note.id}`,
      },
      [kind]: {
        ...(example[kind] as Json),
        id: parent.id,
        iid,
        title: parent.title,
        description: parent.description,
        state: parent.state,
        ...(on === 'issue' ? { confidential } : {}),
      },
    });
    return note;
  }

  notesOf(path: string, iid: number, query: URLSearchParams): Json[] {
    const p = this.found(path);
    const issue = this.issue(path, iid);
    const desc = (query.get('sort') ?? 'desc') === 'desc';
    return p.notes
      .filter((n) => n.noteable_id === issue.id)
      .sort(
        (a, b) =>
          (Date.parse(String(a.created_at)) - Date.parse(String(b.created_at)) ||
            Number(a.id) - Number(b.id)) * (desc ? -1 : 1),
      );
  }

  branch(path: string, name: string): Json {
    const commit = this.found(path).branches.get(name);
    if (!commit) throw new GitlabRefusal(404, '404 Branch Not Found');
    return {
      name,
      merged: false,
      protected: name === 'main',
      default: name === 'main',
      developers_can_push: false,
      developers_can_merge: false,
      can_push: true,
      web_url: `${this.web}/${path}/-/tree/${name}`,
      commit: {
        id: commit,
        short_id: commit.slice(0, 8),
        created_at: '2026-01-01T00:00:00.000+00:00',
        parent_ids: [],
        title: 'Initial commit',
        message: 'Initial commit',
        author_name: 'Example',
        author_email: 'example@example.com',
        authored_date: '2026-01-01T00:00:00.000+00:00',
        committer_name: 'Example',
        committer_email: 'example@example.com',
        committed_date: '2026-01-01T00:00:00.000+00:00',
        trailers: {},
        extended_trailers: {},
        web_url: `${this.web}/${path}/-/commit/${commit}`,
      },
    };
  }

  createBranch(path: string, actor: GitlabUser, body: Json): Json {
    const p = this.found(path);
    const name = String(body.branch ?? '');
    const base = p.branches.get(String(body.ref ?? ''));
    if (!name) throw new GitlabRefusal(400, 'branch is missing');
    if (p.branches.has(name)) throw new GitlabRefusal(400, 'Branch already exists');
    if (!base) throw new GitlabRefusal(400, 'Invalid reference name');
    p.branches.set(name, base);
    const example = gitlabFixture('push');
    this.onChange('Push Hook', {
      ...example,
      before: ZERO,
      after: base,
      ref: `refs/heads/${name}`,
      checkout_sha: base,
      user_id: actor.id,
      user_name: actor.name,
      user_username: actor.username,
      project_id: p.id,
      project: this.projectHook(p),
      commits: [],
      total_commits_count: 0,
    });
    return this.branch(path, name);
  }

  private mergeRequestHook(p: Project, mr: Json, action: string, actor: GitlabUser) {
    const example = gitlabFixture('merge-request');
    this.onChange('Merge Request Hook', {
      ...example,
      user: this.hookUser(actor),
      project: this.projectHook(p),
      object_attributes: {
        ...(example.object_attributes as Json),
        id: mr.id,
        iid: mr.iid,
        title: mr.title,
        description: mr.description,
        source_branch: mr.source_branch,
        target_branch: mr.target_branch,
        source_project_id: p.id,
        target_project_id: p.id,
        author_id: (mr.author as Json).id,
        reviewer_ids: (mr.reviewers as Json[]).map((r) => r.id),
        assignee_ids: [],
        assignee_id: null,
        state: mr.state,
        state_id: { opened: 1, closed: 2, merged: 3 }[String(mr.state)] ?? 1,
        draft: mr.draft,
        work_in_progress: mr.draft,
        created_at: mr.created_at,
        updated_at: mr.updated_at,
        url: mr.web_url,
        action,
        labels: [],
      },
      labels: [],
      changes: {},
      assignees: [],
      reviewers: (mr.reviewers as Json[]).map((r) => ({
        id: r.id,
        name: r.name,
        username: r.username,
        avatar_url: r.avatar_url,
      })),
    });
  }

  createMergeRequest(path: string, actor: GitlabUser, body: Json): Json {
    const p = this.found(path);
    const source = String(body.source_branch ?? '');
    const target = String(body.target_branch ?? '');
    if (!p.branches.has(source) || !p.branches.has(target))
      throw new GitlabRefusal(400, 'Invalid source or target branch');
    if ([...p.mergeRequests.values()].some((m) => m.state === 'opened' && m.source_branch === source))
      throw new GitlabRefusal(409, 'Another open merge request already exists for this source branch');
    const iid = p.nextMergeRequest++;
    const title = String(body.title ?? '');
    const at = iso();
    const reviewers = this.assignees(body.reviewer_ids) ?? [];
    const mr: Json = {
      id: this.id(),
      iid,
      project_id: p.id,
      title,
      description: typeof body.description === 'string' ? body.description : null,
      state: 'opened',
      created_at: at,
      updated_at: at,
      web_url: `${this.web}/${p.path}/-/merge_requests/${iid}`,
      merged_by: null,
      merge_user: null,
      merged_at: null,
      closed_by: null,
      closed_at: null,
      target_branch: target,
      source_branch: source,
      user_notes_count: 0,
      upvotes: 0,
      downvotes: 0,
      author: this.userJson(actor),
      assignees: [],
      assignee: null,
      reviewers,
      source_project_id: p.id,
      target_project_id: p.id,
      labels: [],
      imported: false,
      imported_from: 'none',
      draft: /^(draft:|\[draft\]|\(draft\))/i.test(title),
      work_in_progress: /^(draft:|\[draft\]|\(draft\))/i.test(title),
      milestone: null,
      merge_when_pipeline_succeeds: false,
      merge_status: 'can_be_merged',
      detailed_merge_status: 'mergeable',
      merge_after: null,
      sha: p.branches.get(source) ?? '',
      merge_commit_sha: null,
      squash_commit_sha: null,
      discussion_locked: null,
      should_remove_source_branch: null,
      force_remove_source_branch: false,
      reference: `!${iid}`,
      references: { short: `!${iid}`, relative: `!${iid}`, full: `${p.path}!${iid}` },
      time_stats: {
        time_estimate: 0,
        total_time_spent: 0,
        human_time_estimate: null,
        human_total_time_spent: null,
      },
      squash: false,
      squash_on_merge: false,
      task_completion_status: { count: 0, completed_count: 0 },
      prepared_at: at,
      has_conflicts: false,
      blocking_discussions_resolved: true,
      approvals_before_merge: null,
      // What `GET /merge_requests/:iid` (and the create) add to the listing's fields.
      subscribed: true,
      changes_count: '0',
      latest_build_started_at: null,
      latest_build_finished_at: null,
      first_deployed_to_production_at: null,
      pipeline: null,
      head_pipeline: null,
      diff_refs: {
        base_sha: p.branches.get(target) ?? '',
        head_sha: p.branches.get(source) ?? '',
        start_sha: p.branches.get(target) ?? '',
      },
      merge_error: null,
      first_contribution: false,
      user: { can_merge: true },
    };
    p.mergeRequests.set(iid, mr);
    p.approvals.set(iid, []);
    this.mergeRequestHook(p, mr, 'open', actor);
    return mr;
  }

  private touch(mr: Json) {
    mr.updated_at = iso(Math.max(Date.now(), Date.parse(String(mr.updated_at)) + 1));
  }

  /** `GET …/approvals` as `viewer` asks it: who approved, and whether the viewer has or may. */
  approvalsOf(path: string, iid: number, viewer?: GitlabUser): Json {
    const mr = this.mergeRequest(path, iid);
    const by = this.found(path).approvals.get(iid) ?? [];
    const approvedByViewer = viewer !== undefined && by.some((u) => u.id === viewer.id);
    const author = (mr.author as Json).id;
    return {
      user_has_approved: approvedByViewer,
      user_can_approve:
        viewer !== undefined && !approvedByViewer && viewer.id !== author && mr.state === 'opened',
      id: mr.id,
      iid,
      project_id: mr.project_id,
      title: mr.title,
      description: mr.description ?? '',
      state: mr.state,
      created_at: mr.created_at,
      updated_at: mr.updated_at,
      merge_status: mr.merge_status,
      approved: by.length >= 1,
      approvals_required: 1,
      approvals_left: Math.max(0, 1 - by.length),
      approved_by: by.map((u) => ({ user: this.userJson(u) })),
    };
  }

  /** A person approves: with one approval required, GitLab announces the merge request `approved`. */
  approve(path: string, iid: number, actor: GitlabUser): Json {
    const p = this.found(path);
    const mr = this.mergeRequest(path, iid);
    const by = p.approvals.get(iid) ?? [];
    if (!by.some((u) => u.id === actor.id)) by.push(actor);
    p.approvals.set(iid, by);
    this.touch(mr);
    this.mergeRequestHook(p, mr, 'approved', actor);
    return this.approvalsOf(path, iid, actor);
  }

  /** A person merges: the merge request's `Closes #n` closes those issues, as GitLab does. */
  merge(path: string, iid: number, actor: GitlabUser): Json {
    const p = this.found(path);
    const mr = this.mergeRequest(path, iid);
    if (mr.state !== 'opened') throw new GitlabRefusal(405, 'Method Not Allowed');
    mr.state = 'merged';
    mr.merged_by = this.userJson(actor);
    mr.merge_user = mr.merged_by;
    this.touch(mr);
    mr.merged_at = mr.updated_at;
    mr.merge_commit_sha = sha(`${path}!${iid}`);
    p.branches.set(String(mr.target_branch), String(mr.merge_commit_sha));
    this.mergeRequestHook(p, mr, 'merge', actor);
    for (const m of String(mr.description ?? '').matchAll(/\bCloses #(\d+)/gi)) {
      const issue = p.issues.get(Number(m[1]));
      if (issue && issue.state !== 'closed')
        this.updateIssue(path, Number(m[1]), actor, { state_event: 'close' });
    }
    return mr;
  }

  close(path: string, iid: number, actor: GitlabUser): Json {
    const p = this.found(path);
    const mr = this.mergeRequest(path, iid);
    mr.state = 'closed';
    mr.closed_at = iso();
    mr.closed_by = this.userJson(actor);
    this.touch(mr);
    this.mergeRequestHook(p, mr, 'close', actor);
    return mr;
  }
}
