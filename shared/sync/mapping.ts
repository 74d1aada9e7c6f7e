import * as z from 'zod';

export const SIDES = ['jira', 'github'] as const;
export type Side = (typeof SIDES)[number];
export const otherSide = (side: Side): Side => (side === 'jira' ? 'github' : 'jira');

/** The fields the sync engine keeps in step between a Jira issue and a GitHub issue. */
export const SYNC_FIELDS = ['title', 'description', 'status', 'assignee', 'labels'] as const;
export type SyncField = (typeof SYNC_FIELDS)[number];

const Direction = z
  .enum(['both', 'jira_to_github', 'github_to_jira', 'none'])
  .describe('Which way changes flow: `both`, one way, or `none`');
export type Direction = z.infer<typeof Direction>;

/** Whether a change on `from` may be carried to the other side. */
export const flows = (direction: Direction, from: Side): boolean =>
  direction === 'both' || direction === (from === 'jira' ? 'jira_to_github' : 'github_to_jira');

const jiraStatus = z.string().trim().min(1).max(100);
const unique = <T>(values: T[], key: (v: T) => string) =>
  new Set(values.map((v) => key(v).toLowerCase())).size === values.length;

export const MappingInputSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    jira: z
      .object({
        connectionId: z.string().regex(/^con_[0-9A-Z]{26}$/),
        projectKey: z.string().regex(/^[A-Z][A-Z0-9_]{0,9}$/, 'a Jira project key such as PROJ'),
        issueType: z.string().trim().min(1).max(100).default('Task'),
      })
      .strict(),
    github: z
      .object({
        connectionId: z.string().regex(/^con_[0-9A-Z]{26}$/),
        repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name'),
      })
      .strict(),
    fields: z
      .object({
        title: Direction.default('both'),
        description: Direction.default('both'),
        status: Direction.default('both'),
        assignee: Direction.default('both'),
        labels: Direction.default('both'),
        comments: Direction.default('both'),
      })
      .strict()
      .default({
        title: 'both',
        description: 'both',
        status: 'both',
        assignee: 'both',
        labels: 'both',
        comments: 'both',
      }),
    statuses: z
      .array(z.object({ jira: jiraStatus, github: z.enum(['open', 'closed']) }).strict())
      .min(2)
      .max(50)
      .default([
        { jira: 'To Do', github: 'open' },
        { jira: 'In Progress', github: 'open' },
        { jira: 'In Review', github: 'open' },
        { jira: 'Done', github: 'closed' },
      ])
      .refine((s) => unique(s, (x) => x.jira), 'each Jira status appears once')
      .refine(
        (s) => s.some((x) => x.github === 'open') && s.some((x) => x.github === 'closed'),
        'at least one Jira status for an open and one for a closed GitHub issue',
      )
      .describe(
        'Jira status ↔ GitHub state. A GitHub change moves the Jira issue to the first status listed for the new state',
      ),
    users: z
      .array(z.object({ jira: z.string().min(1).max(128), github: z.string().min(1).max(39) }).strict())
      .max(5000)
      .default([])
      .refine(
        (u) => unique(u, (x) => x.jira) && unique(u, (x) => x.github),
        'each user appears once per side',
      )
      .describe('Jira account id ↔ GitHub login; assignees without a pair are not synced'),
    labels: z
      .object({
        rename: z
          .array(z.object({ jira: z.string().min(1).max(255), github: z.string().min(1).max(50) }).strict())
          .max(500)
          .default([])
          .refine(
            (r) => unique(r, (x) => x.jira) && unique(r, (x) => x.github),
            'each label appears once per side',
          ),
      })
      .strict()
      .default({ rename: [] })
      .describe('Label names that differ between the two tools; others keep their name'),
    conflicts: z
      .enum(['latest', 'prefer_jira', 'prefer_github'])
      .default('latest')
      .describe(
        'When both sides changed a field: `latest` keeps the later change by source time; `prefer_*` keeps that side',
      ),
    create: Direction.default('both').describe('Whose new issues get a counterpart on the other side'),
    pullRequests: z
      .object({
        opened: jiraStatus.optional(),
        approved: jiraStatus.optional(),
        merged: jiraStatus.optional(),
      })
      .strict()
      .default({ opened: 'In Progress', approved: 'In Review', merged: 'Done' })
      .describe(
        'The Jira status an issue moves to when a pull request naming its key is opened, approved, merged',
      ),
    branches: z
      .object({
        onCreate: z.boolean().default(false).describe('Open a branch and a draft PR for each new Jira issue'),
        base: z.string().min(1).max(255).default('main'),
      })
      .strict()
      .default({ onCreate: false, base: 'main' }),
  })
  .strict()
  .meta({ id: 'MappingInput', description: 'How a Jira project and a GitHub repository are kept in step' });

export type MappingInput = z.infer<typeof MappingInputSchema>;

export const MappingSchema = MappingInputSchema.safeExtend({
  id: z.string(),
  orgId: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  version: z.number().int(),
}).meta({ id: 'Mapping' });

export type Mapping = z.infer<typeof MappingSchema>;
