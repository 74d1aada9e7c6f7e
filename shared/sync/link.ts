import * as z from 'zod';
import { SIDES, SYNC_FIELDS } from './mapping';

const Side = z.enum(SIDES);
const Field = z.enum(SYNC_FIELDS);
const Version = z.object({ value: z.unknown(), at: z.iso.datetime(), side: Side });

export const LinkSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    mappingId: z.string(),
    jira: z.object({ connectionId: z.string(), id: z.string(), key: z.string(), url: z.string() }),
    github: z.object({
      connectionId: z.string(),
      repository: z.string(),
      number: z.number().int(),
      url: z.string(),
    }),
    fields: z
      .partialRecord(Field, Version)
      .describe("Each field's current value, with the source time and side of the change that set it"),
    pending: z
      .object({ jira: z.array(Field), github: z.array(Field) })
      .describe(
        'Fields written to the link that a side has not been sent yet (they are sent on the next attempt)',
      ),
    comments: z
      .array(z.object({ jira: z.string(), github: z.string() }))
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
          rule: z.enum(['latest', 'prefer_jira', 'prefer_github', 'older']),
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
    revision: z.number().int(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Link', description: 'A Jira issue and a GitHub issue kept in step' });

export type Link = z.infer<typeof LinkSchema>;
export type FieldVersion = z.infer<typeof Version>;
export const HISTORY_LIMIT = 50;

/** The keys a link is found by: each side's item, and the Jira issue's key (for pull requests naming it). */
export const itemKeys = {
  jira: (connectionId: string, issueId: string) => `jira#${connectionId}#${issueId}`,
  jiraKey: (connectionId: string, key: string) => `jira-key#${connectionId}#${key}`,
  github: (connectionId: string, repository: string, number: number) =>
    `github#${connectionId}#${repository.toLowerCase()}#${number}`,
};
