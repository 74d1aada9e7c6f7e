import { CANONICAL_DATA } from '../../../../../shared/events/canonical/index';
import type { CanonicalEvent } from '../../../../../shared/events/canonical-event';
import { describeEvent } from '../../../../../shared/notify/render/describe-event';
import { renderDigestEmail, renderEventEmail } from '../../../../../shared/notify/render/email-template';
import { aCanonicalEvent } from '../../../../support/builders';

const person = (name: string) => ({ id: `u-${name}`, login: name.toLowerCase(), name });
const item = {
  id: '10001',
  key: 'PROJ-7',
  url: 'https://acme.example/browse/PROJ-7',
  container: 'PROJ',
  type: 'Task',
  title: 'Fix login',
  description: '',
  status: { name: 'Done', category: 'done' as const },
  assignee: person('Ada'),
  reporter: null,
  labels: [],
  priority: null,
  dueDate: null,
  parent: null,
  createdVia: null,
  createdAt: null,
  updatedAt: null,
};
const pullRequest = {
  id: '1',
  number: 12,
  key: 'acme/web#12',
  url: 'https://code.example/acme/web/pull/12',
  container: 'acme/web',
  title: 'Fix login',
  description: '',
  state: 'merged' as const,
  draft: false,
  sourceBranch: 'PROJ-7-fix-login',
  targetBranch: 'main',
  author: person('Bo'),
  reviewers: [],
  mentions: ['PROJ-7'],
  createdVia: null,
  createdAt: null,
  updatedAt: null,
  mergedAt: null,
};
const run = {
  id: '9',
  name: 'ci',
  state: 'failed' as const,
  status: 'failed',
  ref: 'main',
  sha: 'abcdef1234567890',
  url: 'https://code.example/acme/web/pipelines/9',
  container: 'acme/web',
  startedAt: null,
  finishedAt: null,
};

/** One event of each canonical type family, as any provider's normaliser emits it. */
const samples = {
  work_item: {
    type: 'work_item.updated',
    data: {
      actor: person('Ada'),
      item,
      changedFields: ['status'],
      changes: [{ field: 'status', from: 'In Progress', to: 'Done' }],
    },
    title: 'PROJ-7 moved to Done',
  },
  comment: {
    type: 'comment.created',
    data: {
      actor: person('Ada'),
      comment: {
        id: 'c1',
        body: 'Looks good',
        author: person('Ada'),
        url: 'https://acme.example/c1',
        createdVia: null,
        createdAt: null,
        updatedAt: null,
      },
      on: { kind: 'work_item', id: '10001', key: 'PROJ-7', url: item.url, container: 'PROJ' },
    },
    title: 'New comment on PROJ-7',
  },
  pull_request: {
    type: 'pull_request.merged',
    data: { actor: person('Bo'), pullRequest },
    title: 'PR #12 merged: Fix login',
  },
  review: {
    type: 'review.submitted',
    data: {
      actor: person('Cy'),
      review: {
        id: 'r1',
        state: 'changes_requested',
        body: 'Please add a test',
        author: person('Cy'),
        submittedAt: null,
      },
      pullRequest,
    },
    title: 'Review submitted on PR #12: changes requested',
  },
  branch: {
    type: 'branch.created',
    data: { actor: person('Bo'), container: 'acme/web', name: 'feature', sha: null },
    title: 'Branch feature created in acme/web',
  },
  tag: {
    type: 'tag.deleted',
    data: { actor: person('Bo'), container: 'acme/web', name: 'v1.0', sha: null },
    title: 'Tag v1.0 deleted in acme/web',
  },
  push: {
    type: 'push',
    data: {
      actor: person('Bo'),
      container: 'acme/web',
      branch: 'main',
      before: null,
      after: null,
      created: false,
      deleted: false,
      commits: [
        {
          id: 'abcdef123456',
          message: 'Fix login\n\nlong body',
          url: 'https://code.example/c/abcdef',
          author: { name: 'Bo', email: null },
          timestamp: null,
        },
      ],
      totalCommits: 3,
    },
    title: '3 commits pushed to main in acme/web',
  },
  pipeline: {
    type: 'pipeline.failed',
    data: { actor: person('Bo'), pipeline: run },
    title: 'Pipeline ci failed in acme/web',
  },
  build: {
    type: 'build.succeeded',
    data: { actor: null, build: { ...run, state: 'succeeded', status: 'success' }, pipelineId: '9' },
    title: 'Build ci succeeded in acme/web',
  },
  sprint: {
    type: 'sprint.started',
    data: {
      actor: null,
      sprint: { id: 's1', name: 'Sprint 4', state: 'active', goal: 'Ship login', startAt: null, endAt: null },
    },
    title: 'Sprint Sprint 4 started',
  },
  release: {
    type: 'release.released',
    data: {
      actor: null,
      release: { id: 'v', name: '1.2', released: true, container: 'PROJ', releaseDate: '2026-12-01' },
    },
    title: 'Release 1.2 released',
  },
  approval: {
    type: 'approval.decided',
    data: {
      approval: {
        id: 'apr_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
        orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
        status: 'decided',
        question: 'Deploy 1.4?',
        options: [
          { id: 'yes', label: 'Deploy' },
          { id: 'no', label: 'Hold' },
        ],
        answerers: { userIds: [], teamIds: [], roles: ['admin'] },
        destination: null,
        context: null,
        callbackEndpointId: null,
        requestedBy: { type: 'api_key', id: 'key_1', name: 'release agent' },
        createdAt: '2026-12-01T10:00:00.000Z',
        expiresAt: '2026-12-02T10:00:00.000Z',
        decision: {
          option: 'yes',
          label: 'Deploy',
          by: { userId: 'usr_1', name: 'Ada' },
          at: '2026-12-01T10:05:00.000Z',
          via: 'api',
        },
        cancelled: null,
        expiredAt: null,
      },
    },
    title: 'Approval decided: Deploy — Deploy 1.4?',
  },
} satisfies Record<string, { type: string; data: Record<string, unknown>; title: string }>;

const eventOf = (type: string, data: Record<string, unknown>, provider = 'jira'): CanonicalEvent =>
  aCanonicalEvent({ type, data, source: { provider, connectionId: 'con_1' } });

describe('event summaries from the canonical model', () => {
  it('covers every canonical type family with a sample', () => {
    const families = new Set(Object.keys(CANONICAL_DATA).map((t) => t.split('.')[0]));
    expect([...families].sort()).toEqual(Object.keys(samples).sort());
  });

  it.each(Object.entries(samples))('describes a %s event from its canonical data', (_family, sample) => {
    const summary = describeEvent(eventOf(sample.type, sample.data));
    expect(summary.title).toBe(sample.title);
    expect(summary.type).toBe(sample.type);
  });

  it('reads the same whichever provider the event came from, naming the provider by its display name', () => {
    const names = (p: string) => ({ one: 'Tracker One', two: 'Tracker Two' })[p];
    const a = describeEvent(eventOf(samples.pull_request.type, samples.pull_request.data, 'one'), names);
    const b = describeEvent(eventOf(samples.pull_request.type, samples.pull_request.data, 'two'), names);
    const { provider: pa, eventId: _a, occurredAt: _oa, ...restA } = a;
    const { provider: pb, eventId: _b, occurredAt: _ob, ...restB } = b;
    expect(restA).toEqual(restB);
    expect([pa, pb]).toEqual(['Tracker One', 'Tracker Two']);
    expect(a).toMatchObject({
      actor: 'Bo',
      container: 'acme/web',
      links: [{ label: 'Open PR #12', url: 'https://code.example/acme/web/pull/12' }],
    });
    expect(a.lines).toContain('acme/web: PROJ-7-fix-login → main');
  });

  it('lists what changed on a work item, with old and new values and who did it', () => {
    const summary = describeEvent(eventOf(samples.work_item.type, samples.work_item.data));
    expect(summary.lines).toEqual(
      expect.arrayContaining(['Fix login', 'status: In Progress → Done', 'Assignee: Ada']),
    );
    expect(summary.actor).toBe('Ada');
    expect(summary.links).toEqual([{ label: 'Open PROJ-7', url: 'https://acme.example/browse/PROJ-7' }]);
  });

  it('gives a custom type a generic summary of its top-level values', () => {
    const summary = describeEvent(
      eventOf('custom.build.finished', { build: 42, ok: true, nested: { x: 1 } }, 'generic'),
    );
    expect(summary.title).toBe('Event build.finished');
    expect(summary.lines).toEqual(['build: 42', 'ok: true']);
  });

  it('falls back to the generic summary when data does not fit its canonical type', () => {
    const summary = describeEvent(eventOf('pull_request.merged', { unexpected: 'shape' }));
    expect(summary.title).toBe('Event pull_request.merged');
  });

  it('never links to a URL that is not http(s), and keeps titles on one bounded line', () => {
    const data = {
      ...samples.pull_request.data,
      pullRequest: {
        ...pullRequest,
        url: 'javascript:alert(1)',
        title: `evil\r\nBcc: x@y.z ${'a'.repeat(500)}`,
      },
    };
    const summary = describeEvent(eventOf('pull_request.opened', data));
    expect(summary.links).toEqual([]);
    expect(summary.title).not.toMatch(/[\r\n]/);
    expect(summary.title.length).toBeLessThanOrEqual(200);
  });
});

describe('the email template', () => {
  const footer = {
    reason: 'a notification rule of Acme sends you pull_request.* events',
    unsubscribeUrl: 'https://hub.example/unsubscribe?token=t&x=1',
  };

  it('has a subject, a plain-text part and an HTML part, with the reason and the unsubscribe link in the footer', () => {
    const mail = renderEventEmail(
      describeEvent(eventOf(samples.pull_request.type, samples.pull_request.data), () => 'Code Host'),
      footer,
    );
    expect(mail.subject).toBe('[Code Host] PR #12 merged: Fix login');
    expect(mail.text).toContain('PR #12 merged: Fix login');
    expect(mail.text).toContain('Open PR #12: https://code.example/acme/web/pull/12');
    expect(mail.text).toContain(
      'You get this email because a notification rule of Acme sends you pull_request.* events.',
    );
    expect(mail.text).toContain('Unsubscribe: https://hub.example/unsubscribe?token=t&x=1');
    expect(mail.html).toContain('<a href="https://hub.example/unsubscribe?token=t&amp;x=1"');
    expect(mail.html).toContain('<a href="https://code.example/acme/web/pull/12"');
  });

  it('escapes event data in the HTML and loads nothing from afar', () => {
    const data = {
      ...samples.pull_request.data,
      pullRequest: {
        ...pullRequest,
        title: '<img src="https://tracker.example/p.gif" onerror="x()"><script>alert(1)</script>',
      },
    };
    const mail = renderEventEmail(describeEvent(eventOf('pull_request.opened', data)), footer);
    expect(mail.html).not.toMatch(/<img|<script/i);
    expect(mail.html).toContain('&lt;img src=&quot;https://tracker.example/p.gif&quot;');
    // No element loads anything: no src attribute, no url() in a style.
    expect(mail.html).not.toMatch(/<[^>]*\ssrc=/i);
    expect(mail.html).not.toMatch(/url\(/i);
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it("lists a digest's events, counting those beyond the list", () => {
    const summaries = [samples.work_item, samples.pull_request].map((s) =>
      describeEvent(eventOf(s.type, s.data)),
    );
    const mail = renderDigestEmail({ orgName: 'Acme <b>', period: 'hourly', summaries, more: 3 }, footer);
    expect(mail.subject).toBe('Your hourly digest from Acme <b>: 5 events');
    expect(mail.text).toContain('PROJ-7 moved to Done');
    expect(mail.text).toContain('PR #12 merged: Fix login');
    expect(mail.text).toContain('…and 3 more.');
    expect(mail.html).toContain('Acme &lt;b&gt;');
    expect(mail.html).toContain('Unsubscribe');
  });
});
