import * as z from 'zod';
import { SIDES, SYNC_FIELDS } from './mapping';

const Side = z.enum(SIDES);
const Field = z.enum(SYNC_FIELDS);
const Version = z.object({ value: z.unknown(), at: z.iso.datetime(), side: Side });
const ItemSide = z.object({
  connectionId: z.string(),
  provider: z.string(),
  container: z.string().describe('Its project or repository'),
  id: z.string(),
  key: z.string().describe('What people call it: `PROJ-12`, `acme/web#12`'),
  url: z.string(),
});

export const LinkSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    mappingId: z.string(),
    tracker: ItemSide.describe("The tracker's item (an issue of project `PROJ`)"),
    codeHost: ItemSide.describe("The code host's item (an issue of repository `acme/web`)"),
    fields: z
      .partialRecord(Field, Version)
      .describe("Each field's current value, with the source time and side of the change that set it"),
    observed: z
      .object({
        tracker: z.partialRecord(Field, z.iso.datetime()),
        codeHost: z.partialRecord(Field, z.iso.datetime()),
      })
      .optional()
      .describe(
        'Per side and field, the source time of the latest change that side reported: an older or replayed delivery from it changes nothing',
      ),
    pending: z
      .object({ tracker: z.array(Field), codeHost: z.array(Field) })
      .describe(
        'Fields written to the link that a side has not been sent yet (they are sent on the next attempt)',
      ),
    comments: z
      .array(z.object({ tracker: z.string(), codeHost: z.string() }))
      .describe('Comments mirrored between the two issues, by id on each side'),
    pullRequests: z.array(
      z.object({ repository: z.string(), number: z.number().int(), url: z.string(), state: z.string() }),
    ),
    branch: z.string().nullable(),
    history: z
      .array(
        z.object({
          field: Field,
          kept: Version,
          lost: Version,
          rule: z.enum(['latest', 'prefer_tracker', 'prefer_code_host', 'older']),
          decidedAt: z.iso.datetime(),
        }),
      )
      .describe('Conflicts and late changes, newest first: the value kept and the value that lost (last 50)'),
    lastSyncedAt: z.iso.datetime().nullable(),
    lagMs: z
      .number()
      .nullable()
      .describe('From the source change to the other side written, for the last change'),
    lastError: z.object({ message: z.string(), at: z.iso.datetime() }).nullable(),
    ended: z
      .object({ side: Side, at: z.iso.datetime(), reason: z.enum(['deleted']) })
      .nullable()
      .describe(
        "Set when a side's item was deleted: the link no longer syncs, and the other item stays as it was",
      ),
    revision: z.number().int(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Link', description: "A tracker's item and a code host's issue kept in step" });

export type Link = z.infer<typeof LinkSchema>;
export type FieldVersion = z.infer<typeof Version>;
export const HISTORY_LIMIT = 50;

/**
 * The keys a link is found by: each side's item by its id (webhooks), and by its key (pull
 * requests name a tracker item's key). Ids and keys are unique within their connection.
 */
export const itemKeys = {
  item: (connectionId: string, id: string) => `item#${connectionId}#${id}`,
  key: (connectionId: string, key: string) => `key#${connectionId}#${key}`,
};

export const linkKeys = (link: Pick<Link, 'tracker' | 'codeHost'>): string[] =>
  [link.tracker, link.codeHost].flatMap((side) => [
    itemKeys.item(side.connectionId, side.id),
    itemKeys.key(side.connectionId, side.key),
  ]);
