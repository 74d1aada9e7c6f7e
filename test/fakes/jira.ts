import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import {
  CommentSchema,
  CreatedIssueSchema,
  IssueSchema,
  JQLCountResultsSchema,
  PageCommentSchema,
  PageOfCommentsSchema,
  RemoteIssueLinkIdentifiesSchema,
  SearchAndReconcileResultsSchema,
  TransitionsSchema,
} from 'jira.js/cloud';
import { listenOnLoopback } from '../../lib/local/free-port';
import { hmacSha256, Stall, WebhookSender, webhookTargetRequest } from './webhook-sender';

// biome-ignore lint/suspicious/noExplicitAny: the fake reads and writes Jira's loosely typed JSON
type Json = Record<string, any>;

export interface JiraAccount {
  readonly email: string;
  readonly apiToken: string;
}

/** A person editing in Jira by hand: their changes reach the hub only through webhooks. */
export const JIRA_HUMAN = {
  email: 'human@example.test',
  apiToken: 'human-jira-token',
  accountId: '6001:human',
  displayName: 'Hana Human',
};
// Not the account Atlassian's example payloads (test/fixtures/jira) act as: a fixture sent to a hub
// connected to this fake is a person's change, not the hub's own.
export const JIRA_BOT_ACCOUNT_ID = '712020:hub-bot-fake';

/** The workflow every project of the fake has: any status can move to any other. */
export const JIRA_STATUSES = [
  { id: '10000', name: 'To Do', category: 'new' },
  { id: '10001', name: 'In Progress', category: 'indeterminate' },
  { id: '10002', name: 'In Review', category: 'indeterminate' },
  { id: '10003', name: 'Done', category: 'done' },
] as const;

export interface FakeJiraIssue {
  id: string;
  key: string;
  fields: Json;
  comments: Json[];
  remoteLinks: Json[];
}

export interface FakeJira {
  readonly url: string;
  readonly calls: { method: string; path: string; status: number }[];
  failNext(status: number, headers?: Record<string, string>): void;
  /** The next request is answered only after this long (a site that stops answering). */
  stallNext(ms: number): void;
  /** Every request fails with this status until cleared with null (an outage). */
  setOutage(status: number | null): void;
  readonly samples: { myself: unknown };
  readonly issues: Map<string, FakeJiraIssue>;
  readonly webhooks: WebhookSender;
  /** Sees each authenticated request as it arrives (the bench times the hub's writes with it). */
  onRequest: ((method: string, path: string, body: Record<string, unknown>) => void) | null;
  stop(): Promise<void>;
}

const jiraTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

/**
 * A loopback stand-in for a Jira Cloud site, as much of it as the hub calls: the current user,
 * issues with ADF descriptions, the workflow's transitions, comments, remote links and JQL search
 * (`project = "X" AND updated >= "…"`). Two accounts: the hub's bot (the connection's email and API
 * token) and a human. Every answer is parsed by jira.js's own schemas, generated from Jira's OpenAPI
 * description, before it is sent; a change sends Jira's webhook, signed like Jira signs it.
 */
export async function startFakeJira(
  account: JiraAccount,
  options: { port?: number } = {},
): Promise<FakeJira> {
  const calls: FakeJira['calls'] = [];
  let failure: { status: number; headers: Record<string, string> } | null = null;
  let outage: number | null = null;
  const stall = new Stall();
  const issues = new Map<string, FakeJiraIssue>();
  const counters = new Map<string, number>();
  let nextId = 10_000;
  let lastUpdate = 0;
  const tick = () => {
    lastUpdate = Math.max(Date.now(), lastUpdate + 1);
    return lastUpdate;
  };
  const webhooks = new WebhookSender((delivery, secret) => ({
    'x-hub-signature': hmacSha256(secret, delivery.body),
    'x-atlassian-webhook-identifier': delivery.id,
  }));
  let base = '';

  const people = {
    bot: { accountId: JIRA_BOT_ACCOUNT_ID, displayName: 'Hub Bot', auth: account },
    human: { accountId: JIRA_HUMAN.accountId, displayName: JIRA_HUMAN.displayName, auth: JIRA_HUMAN },
  };
  const userRef = (accountId: string | null | undefined) => {
    if (!accountId) return null;
    const known = Object.values(people).find((p) => p.accountId === accountId);
    return {
      self: `${base}/rest/api/3/user?accountId=${accountId}`,
      accountId,
      displayName: known?.displayName ?? accountId,
      active: true,
      accountType: 'atlassian',
    };
  };
  const statusRef = (name: string) => {
    const s = JIRA_STATUSES.find((x) => x.name === name) ?? JIRA_STATUSES[0];
    return {
      self: `${base}/rest/api/3/status/${s.id}`,
      id: s.id,
      name: s.name,
      statusCategory: { key: s.category, name: s.category },
    };
  };
  const issueJson = (issue: FakeJiraIssue) => ({
    id: issue.id,
    key: issue.key,
    self: `${base}/rest/api/3/issue/${issue.id}`,
    fields: issue.fields,
  });
  const actorOf = (req: IncomingMessage) => {
    for (const person of Object.values(people)) {
      const expected = `Basic ${Buffer.from(`${person.auth.email}:${person.auth.apiToken}`).toString('base64')}`;
      if (req.headers.authorization === expected) return person;
    }
    return null;
  };
  const hook = (event: string, actor: { accountId: string; displayName: string }, extra: Json) =>
    webhooks.send(event, {
      timestamp: lastUpdate,
      webhookEvent: event,
      user: { accountId: actor.accountId, displayName: actor.displayName, accountType: 'atlassian' },
      ...extra,
    });

  const isAdf = (value: unknown) => value && typeof value === 'object' && (value as Json).type === 'doc';
  const FIELD_NAMES: Record<string, string> = {
    summary: 'summary',
    description: 'description',
    labels: 'labels',
    assignee: 'assignee',
    priority: 'priority',
  };
  /** Applies `fields` from a request; returns the changelog items, or an error message. */
  const applyFields = (issue: FakeJiraIssue, fields: Json): Json[] | string => {
    const items: Json[] = [];
    for (const [name, value] of Object.entries(fields)) {
      if (!(name in FIELD_NAMES)) continue;
      if (name === 'description' && value !== null && !isAdf(value))
        return 'Operation value must be an Atlassian Document (see the Atlassian Document Format).';
      const before = issue.fields[name];
      let after: unknown = value;
      if (name === 'assignee') after = userRef((value as Json | null)?.accountId);
      if (name === 'priority') after = value ? { name: String((value as Json).name), id: '3' } : null;
      if (name === 'labels') after = Array.isArray(value) ? value.map(String) : [];
      if (JSON.stringify(before) === JSON.stringify(after)) continue;
      issue.fields[name] = after;
      const text = (v: Json | null) =>
        name === 'assignee'
          ? (v?.displayName ?? null)
          : name === 'labels'
            ? (v ?? []).join(' ')
            : name === 'description'
              ? null
              : (v?.name ?? v ?? null);
      items.push({
        field: name,
        fieldtype: 'jira',
        from: name === 'assignee' ? ((before as Json | null)?.accountId ?? null) : null,
        fromString: text(before),
        to: name === 'assignee' ? ((after as Json | null)?.accountId ?? null) : null,
        toString: text(after as Json | null),
      });
    }
    return items;
  };

  const fake = { onRequest: null } as { -readonly [K in keyof FakeJira]: FakeJira[K] };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      calls.push({ method: req.method ?? '', path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const error = (status: number, message: string) =>
      answer(status, { errorMessages: [message], errors: {} });
    const target = await webhookTargetRequest(req, url.pathname, webhooks);
    if (target) return answer(target.status, target.body);
    await stall.wait();
    if (outage !== null) return error(outage, 'Service unavailable (injected outage)');
    if (failure) {
      const { status, headers } = failure;
      failure = null;
      return answer(status, { errorMessages: ['Injected failure'], errors: {} }, headers);
    }
    const actor = actorOf(req);
    if (!actor) return error(401, 'Client must be authenticated to access this resource.');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Json = {};
    try {
      body = text ? (JSON.parse(text) as Json) : {};
    } catch {
      return error(400, 'Unexpected character in the request body');
    }
    const method = req.method ?? 'GET';
    const path = url.pathname;
    fake.onRequest?.(method, path, body);
    if (method === 'GET' && path === '/rest/api/3/myself') return answer(200, myself(actor));
    // Jira's user search: the query matches part of a display name or an email address.
    if (method === 'GET' && path === '/rest/api/3/user/search') {
      const query = (url.searchParams.get('query') ?? '').toLowerCase();
      const max = Number(url.searchParams.get('maxResults') ?? 50);
      const hits = Object.values(people).filter(
        (p) =>
          query &&
          (p.displayName.toLowerCase().includes(query) || p.auth.email.toLowerCase().includes(query)),
      );
      return answer(200, hits.slice(0, max).map(myself));
    }

    if (method === 'POST' && path === '/rest/api/3/issue') {
      const fields = (body.fields ?? {}) as Json;
      const project = String(fields.project?.key ?? '');
      if (!/^[A-Z][A-Z0-9]+$/.test(project))
        return answer(400, { errorMessages: [], errors: { project: 'valid project is required' } });
      if (typeof fields.summary !== 'string' || !fields.summary.trim())
        return answer(400, {
          errorMessages: [],
          errors: { summary: 'You must specify a summary of the issue.' },
        });
      const n = (counters.get(project) ?? 0) + 1;
      counters.set(project, n);
      const now = tick();
      const issue: FakeJiraIssue = {
        id: String(nextId++),
        key: `${project}-${n}`,
        fields: {
          summary: '',
          description: null,
          labels: [],
          assignee: null,
          priority: { name: 'Medium', id: '3' },
          status: statusRef('To Do'),
          project: { key: project, id: '10000', name: project },
          issuetype: { name: String(fields.issuetype?.name ?? 'Task') },
          created: jiraTime(now),
          updated: jiraTime(now),
          creator: userRef(actor.accountId),
          reporter: userRef(actor.accountId),
        },
        comments: [],
        remoteLinks: [],
      };
      const applied = applyFields(issue, fields);
      if (typeof applied === 'string')
        return answer(400, { errorMessages: [], errors: { description: applied } });
      issues.set(issue.key, issue);
      const created = CreatedIssueSchema.parse({
        id: issue.id,
        key: issue.key,
        self: `${base}/rest/api/3/issue/${issue.id}`,
      });
      answer(201, created);
      return hook('jira:issue_created', actor, {
        issue_event_type_name: 'issue_created',
        issue: issueJson(issue),
      });
    }

    if (method === 'POST' && path === '/rest/api/3/comment/list') {
      const ids = new Set((Array.isArray(body.ids) ? body.ids : []).map(String));
      const withProperties = (url.searchParams.get('expand') ?? '').split(',').includes('properties');
      const values = [...issues.values()]
        .flatMap((i) => i.comments)
        .filter((c) => ids.has(String(c.id)))
        .map(({ properties, ...c }) => (withProperties ? { ...c, properties } : c));
      return answer(
        200,
        PageCommentSchema.parse({ values, startAt: 0, maxResults: 1000, total: values.length, isLast: true }),
      );
    }

    const issueRoute = /^\/rest\/api\/3\/issue\/([^/]+)(\/transitions|\/comment|\/remotelink)?$/.exec(path);
    if (issueRoute) {
      const ref = decodeURIComponent(issueRoute[1] as string);
      const issue = issues.get(ref) ?? [...issues.values()].find((i) => i.id === ref);
      if (!issue) return error(404, 'Issue does not exist or you do not have permission to see it.');
      const sub = issueRoute[2];
      if (!sub && method === 'GET') return answer(200, IssueSchema.parse(issueJson(issue)));
      if (!sub && method === 'PUT') {
        const items = applyFields(issue, (body.fields ?? {}) as Json);
        if (typeof items === 'string')
          return answer(400, { errorMessages: [], errors: { description: items } });
        answer(204);
        if (items.length === 0) return;
        issue.fields.updated = jiraTime(tick());
        return hook('jira:issue_updated', actor, {
          issue_event_type_name: 'issue_generic',
          issue: issueJson(issue),
          changelog: { id: String(tick()), items },
        });
      }
      if (sub === '/transitions' && method === 'GET') {
        const current = issue.fields.status.name;
        return answer(
          200,
          TransitionsSchema.parse({
            transitions: JIRA_STATUSES.filter((s) => s.name !== current).map((s) => ({
              id: String(11 + JIRA_STATUSES.indexOf(s)),
              name: `Move to ${s.name}`,
              to: statusRef(s.name),
              hasScreen: false,
              isAvailable: true,
            })),
          }),
        );
      }
      if (sub === '/transitions' && method === 'POST') {
        const id = String(body.transition?.id ?? '');
        const target = JIRA_STATUSES[Number(id) - 11];
        if (!target || target.name === issue.fields.status.name)
          return answer(400, {
            errorMessages: [`Transition id '${id}' is not valid for this issue.`],
            errors: {},
          });
        const from = issue.fields.status.name;
        issue.fields.status = statusRef(target.name);
        issue.fields.updated = jiraTime(tick());
        answer(204);
        return hook('jira:issue_updated', actor, {
          issue_event_type_name: 'issue_generic',
          issue: issueJson(issue),
          changelog: {
            id: String(tick()),
            items: [{ field: 'status', fieldtype: 'jira', fromString: from, toString: target.name }],
          },
        });
      }
      if (sub === '/comment' && method === 'GET') {
        const newestFirst = url.searchParams.get('orderBy') === '-created';
        const listed = (newestFirst ? [...issue.comments].reverse() : issue.comments)
          .slice(0, Number(url.searchParams.get('maxResults') ?? 50))
          .map(({ properties: _p, ...c }) => c);
        return answer(
          200,
          PageOfCommentsSchema.parse({
            comments: listed,
            startAt: 0,
            maxResults: 50,
            total: issue.comments.length,
          }),
        );
      }
      if (sub === '/comment' && method === 'POST') {
        if (!isAdf(body.body))
          return answer(400, { errorMessages: ['Comment body must be an Atlassian Document.'], errors: {} });
        const now = tick();
        const comment = CommentSchema.parse({
          self: `${base}/rest/api/3/issue/${issue.id}/comment/${nextId}`,
          id: String(nextId++),
          author: userRef(actor.accountId),
          body: body.body,
          created: jiraTime(now),
          updated: jiraTime(now),
        });
        // Comment properties are kept, and shown only when asked for (`expand=properties`).
        issue.comments.push({
          ...comment,
          properties: Array.isArray(body.properties) ? body.properties : [],
        });
        answer(201, comment);
        return hook('comment_created', actor, { comment, issue: issueJson(issue) });
      }
      if (sub === '/remotelink' && method === 'POST') {
        if (typeof body.object?.url !== 'string' || typeof body.object?.title !== 'string')
          return answer(400, { errorMessages: [], errors: { object: 'url and title are required' } });
        const existing = body.globalId
          ? issue.remoteLinks.find((l) => l.globalId === body.globalId)
          : undefined;
        if (existing) {
          Object.assign(existing, body);
          return answer(200, RemoteIssueLinkIdentifiesSchema.parse({ id: existing.id, self: existing.self }));
        }
        const id = nextId++;
        const link = { ...body, id, self: `${base}/rest/api/3/issue/${issue.key}/remotelink/${id}` };
        issue.remoteLinks.push(link);
        return answer(201, RemoteIssueLinkIdentifiesSchema.parse({ id, self: link.self }));
      }
    }

    const search = (jql: string) => {
      const project = /project\s*=\s*"?([A-Z][A-Z0-9]+)"?/.exec(jql)?.[1];
      const since = /updated\s*>=\s*"([^"]+)"/.exec(jql)?.[1];
      const sinceMs = since ? Date.parse(`${since.replace(' ', 'T')}:00Z`) : 0;
      return [...issues.values()]
        .filter((i) => !project || i.fields.project.key === project)
        .filter((i) => Date.parse(i.fields.updated.replace('+0000', 'Z')) >= sinceMs)
        .sort((a, b) => a.fields.updated.localeCompare(b.fields.updated));
    };
    if (method === 'POST' && path === '/rest/api/3/search/approximate-count') {
      return answer(200, JQLCountResultsSchema.parse({ count: search(String(body.jql ?? '')).length }));
    }
    if (method === 'GET' && path === '/rest/api/3/search/jql') {
      const all = search(url.searchParams.get('jql') ?? '');
      const start = Number(url.searchParams.get('nextPageToken') ?? '0') || 0;
      const max = Math.min(Number(url.searchParams.get('maxResults') ?? '50') || 50, 100);
      const page = all.slice(start, start + max);
      const more = start + max < all.length;
      return answer(
        200,
        SearchAndReconcileResultsSchema.parse({
          issues: page.map(issueJson),
          isLast: !more,
          ...(more ? { nextPageToken: String(start + max) } : {}),
        }),
      );
    }
    return error(404, 'Not found');
  };
  // A client that hangs up mid-request (a runtime stopping) must not take the test process down.
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Longer than any pause of the test's event loop (a CLI run with spawnSync): the fake never closes
  // an idle connection the test's client is about to reuse.
  server.keepAliveTimeout = 60_000;

  const myself = (person: (typeof people)[keyof typeof people]) => ({
    self: `${base}/rest/api/3/user?accountId=${person.accountId}`,
    accountId: person.accountId,
    accountType: 'atlassian',
    emailAddress: person.auth.email,
    avatarUrls: {
      '48x48': `${base}/avatar/48`,
      '24x24': `${base}/avatar/24`,
      '16x16': `${base}/avatar/16`,
      '32x32': `${base}/avatar/32`,
    },
    displayName: person.displayName,
    active: true,
    timeZone: 'Etc/UTC',
    locale: 'en_US',
    groups: { size: 1, items: [] },
    applicationRoles: { size: 1, items: [] },
    expand: 'groups,applicationRoles',
  });
  const listening = await listenOnLoopback(server, options.port);
  base = listening.endpoint;
  Object.assign(fake, {
    url: listening.endpoint,
    calls,
    failNext: (status: number, headers: Record<string, string> = {}) => {
      failure = { status, headers };
    },
    setOutage: (status: number | null) => {
      outage = status;
    },
    stallNext: (ms: number) => stall.next(ms),
    samples: { myself: myself(people.bot) },
    issues,
    webhooks,
    stop: listening.stop,
  });
  return fake;
}
