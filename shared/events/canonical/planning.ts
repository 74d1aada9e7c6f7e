import * as z from 'zod';
import { ContainerSchema, PersonSchema } from './people';

export const CommentEventDataSchema = z
  .object({
    actor: PersonSchema.nullable(),
    comment: z.object({
      id: z.string(),
      body: z.string().describe('Markdown'),
      author: PersonSchema.nullable(),
      url: z.string(),
      createdVia: z.string().nullable().describe('The app that wrote it, when the provider says'),
      createdAt: z.iso.datetime().nullable(),
      updatedAt: z.iso.datetime().nullable(),
    }),
    on: z.object({
      kind: z.enum(['work_item', 'pull_request']),
      id: z.string(),
      key: z.string(),
      url: z.string(),
      container: ContainerSchema,
    }),
  })
  .meta({ id: 'CommentEventData', description: '`comment.created`, `comment.updated`, `comment.deleted`' });
export type CommentEventData = z.infer<typeof CommentEventDataSchema>;

export const SprintEventDataSchema = z
  .object({
    actor: PersonSchema.nullable(),
    sprint: z.object({
      id: z.string(),
      name: z.string(),
      state: z.string().nullable(),
      goal: z.string().nullable(),
      startAt: z.iso.datetime().nullable(),
      endAt: z.iso.datetime().nullable(),
    }),
  })
  .meta({ id: 'SprintEventData', description: '`sprint.created|started|closed|updated|deleted`' });
export type SprintEventData = z.infer<typeof SprintEventDataSchema>;

export const ReleaseEventDataSchema = z
  .object({
    actor: PersonSchema.nullable(),
    release: z.object({
      id: z.string(),
      name: z.string(),
      released: z.boolean(),
      container: ContainerSchema.nullable(),
      releaseDate: z.string().nullable(),
    }),
  })
  .meta({ id: 'ReleaseEventData', description: '`release.created|released|unreleased|updated|deleted`' });
export type ReleaseEventData = z.infer<typeof ReleaseEventDataSchema>;
