import * as z from 'zod';
import type { Role } from '../connectors/work-items';
import { ROLES } from '../connectors/work-items';

export type { SyncField } from '../connectors/work-items';
export { SYNC_FIELDS } from '../connectors/work-items';

/**
 * A mapping's two sides, by the part they play: the tracker and the code host.
 * Which provider plays each part is the connection's; the engine knows only the parts.
 */
export const SIDES = ROLES;
export type Side = Role;
export const otherSide = (side: Side): Side => (side === 'tracker' ? 'codeHost' : 'tracker');

const Direction = z
  .enum(['both', 'tracker_to_code_host', 'code_host_to_tracker', 'none'])
  .describe('Which way changes flow: `both`, one way, or `none`');
export type Direction = z.infer<typeof Direction>;

/** Whether a change on `from` may be carried to the other side. */
export const flows = (direction: Direction, from: Side): boolean =>
  direction === 'both' ||
  direction === (from === 'tracker' ? 'tracker_to_code_host' : 'code_host_to_tracker');

const trackerStatus = z.string().trim().min(1).max(100);
const unique = <T>(values: T[], key: (v: T) => string) =>
  new Set(values.map((v) => key(v).toLowerCase())).size === values.length;
const connectionId = z.string().regex(/^con_[0-9A-Z]{26}$/);
const SideProvider = z
  .string()
  .describe("The side's provider: the connection's (when sent, it must be the connection's)");

export const MappingInputSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    tracker: z
      .object({
        connectionId: connectionId.describe('A connection to a tracker'),
        provider: SideProvider.optional(),
        project: z
          .string()
          .trim()
          .min(1)
          .max(255)
          .describe("The tracker's project whose items are synced (a project key such as PROJ)"),
        itemType: z
          .string()
          .trim()
          .min(1)
          .max(100)
          .optional()
          .describe(
            "The type new items get (the tracker's item type, e.g. `Task`; the tracker's default unless set)",
          ),
      })
      .strict(),
    codeHost: z
      .object({
        connectionId: connectionId.describe('A connection to a code host'),
        provider: SideProvider.optional(),
        repository: z.string().trim().min(1).max(255).describe('The repository, such as `owner/name`'),
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
      .array(z.object({ tracker: trackerStatus, codeHost: z.enum(['open', 'closed']) }).strict())
      .min(2)
      .max(50)
      .default([
        { tracker: 'To Do', codeHost: 'open' },
        { tracker: 'In Progress', codeHost: 'open' },
        { tracker: 'In Review', codeHost: 'open' },
        { tracker: 'Done', codeHost: 'closed' },
      ])
      .refine((s) => unique(s, (x) => x.tracker), 'each tracker status appears once')
      .refine(
        (s) => s.some((x) => x.codeHost === 'open') && s.some((x) => x.codeHost === 'closed'),
        'at least one tracker status for an open and one for a closed issue on the code host',
      )
      .describe(
        "Tracker status ↔ the code host's issue state. A code host change moves the tracker item to the first status listed for the new state",
      ),
    users: z
      .array(z.object({ tracker: z.string().min(1).max(128), codeHost: z.string().min(1).max(255) }).strict())
      .max(5000)
      .default([])
      .refine(
        (u) => unique(u, (x) => x.tracker) && unique(u, (x) => x.codeHost),
        'each user appears once per side',
      )
      .describe(
        'Tracker user ↔ code host user (as each side names people: an account id, a login); assignees without a pair are not synced',
      ),
    labels: z
      .object({
        rename: z
          .array(
            z.object({ tracker: z.string().min(1).max(255), codeHost: z.string().min(1).max(255) }).strict(),
          )
          .max(500)
          .default([])
          .refine(
            (r) => unique(r, (x) => x.tracker) && unique(r, (x) => x.codeHost),
            'each label appears once per side',
          ),
      })
      .strict()
      .default({ rename: [] })
      .describe('Label names that differ between the two tools; others keep their name'),
    conflicts: z
      .enum(['latest', 'prefer_tracker', 'prefer_code_host'])
      .default('latest')
      .describe(
        'When both sides changed a field: `latest` keeps the later change by source time; `prefer_*` keeps that side',
      ),
    create: Direction.default('both').describe('Whose new items get a counterpart on the other side'),
    pullRequests: z
      .object({
        opened: trackerStatus.optional(),
        approved: trackerStatus.optional(),
        merged: trackerStatus.optional(),
      })
      .strict()
      .default({ opened: 'In Progress', approved: 'In Review', merged: 'Done' })
      .describe(
        'The tracker status an item moves to when a pull request naming its key is opened, approved, merged',
      ),
    branches: z
      .object({
        onCreate: z
          .boolean()
          .default(false)
          .describe('Open a branch and a draft pull request for each new tracker item'),
        base: z.string().min(1).max(255).default('main'),
      })
      .strict()
      .default({ onCreate: false, base: 'main' }),
  })
  .strict()
  .meta({
    id: 'MappingInput',
    description:
      "How a tracker's project (`PROJ`) and a code host's repository (`acme/web`) are kept in step",
  });

export type MappingInput = z.infer<typeof MappingInputSchema>;

export const MappingSchema = MappingInputSchema.safeExtend({
  tracker: MappingInputSchema.shape.tracker.safeExtend({ provider: SideProvider }),
  codeHost: MappingInputSchema.shape.codeHost.safeExtend({ provider: SideProvider }),
  id: z.string(),
  orgId: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  version: z.number().int(),
}).meta({ id: 'Mapping' });

export type Mapping = z.infer<typeof MappingSchema>;

/** The project or repository a side of the mapping syncs. */
export const containerOf = (mapping: Pick<MappingInput, 'tracker' | 'codeHost'>, side: Side): string =>
  side === 'tracker' ? mapping.tracker.project : mapping.codeHost.repository;
