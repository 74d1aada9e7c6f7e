import * as z from 'zod';
import { ContainerSchema, PersonSchema } from './people';

export const STATUS_CATEGORIES = ['todo', 'in_progress', 'done'] as const;

/** A status by its provider's name and the category every provider's statuses fall into. */
export const StatusSchema = z
  .object({ name: z.string(), category: z.enum(STATUS_CATEGORIES) })
  .meta({ id: 'WorkItemStatus' });

/** A reference to an item (a parent, an epic, the item a comment is on). */
export const ItemRefSchema = z
  .object({ id: z.string(), key: z.string(), url: z.string() })
  .meta({ id: 'WorkItemRef' });

/**
 * A work item as a provider has it: a tracker's issue, a code host's issue. Descriptions are
 * Markdown whatever the provider stores (Jira's ADF is converted); times are ISO 8601 in UTC.
 */
export const WorkItemSchema = z
  .object({
    id: z.string().describe('Unique and stable within the connection'),
    key: z.string().describe('What people call it: `PROJ-12`, `acme/web#12`'),
    url: z.string().describe('Where a person sees it; empty when the provider does not say'),
    container: ContainerSchema,
    type: z.string().describe('`Task`, `Bug`, `issue`…'),
    title: z.string(),
    description: z.string().describe('Markdown'),
    status: StatusSchema,
    assignee: PersonSchema.nullable(),
    reporter: PersonSchema.nullable(),
    labels: z.array(z.string()),
    priority: z.string().nullable(),
    dueDate: z.string().nullable().describe('A date (YYYY-MM-DD), when the item has one'),
    parent: ItemRefSchema.nullable().describe('Its parent or epic, where the provider has one'),
    creator: PersonSchema.nullable()
      .optional()
      .describe('Who created it, where the provider tells it apart from the reporter'),
    createdVia: z
      .string()
      .nullable()
      .describe('The app that created it, when the provider says (how the hub knows its own items)'),
    createdAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'WorkItem' });
export type WorkItem = z.infer<typeof WorkItemSchema>;

/** The canonical names of the fields a change can touch. */
export const WORK_ITEM_FIELDS = [
  'title',
  'description',
  'status',
  'assignee',
  'labels',
  'priority',
  'dueDate',
  'parent',
  'type',
] as const;
export type WorkItemField = (typeof WORK_ITEM_FIELDS)[number];

/** One changed field with its old and new values, as the provider states them (display strings). */
export const FieldChangeSchema = z
  .object({
    field: z.enum(WORK_ITEM_FIELDS),
    from: z.string().nullable(),
    to: z.string().nullable(),
  })
  .meta({ id: 'FieldChange' });

export const WorkItemEventDataSchema = z
  .object({
    actor: PersonSchema.nullable(),
    item: WorkItemSchema,
    changedFields: z
      .array(z.enum(WORK_ITEM_FIELDS))
      .describe('The fields this change touched; a created item names all of them'),
    changes: z
      .array(FieldChangeSchema)
      .describe('Old and new values, where the provider says (empty when it does not)'),
  })
  .meta({
    id: 'WorkItemEventData',
    description: '`work_item.created`, `work_item.updated`, `work_item.deleted`',
  });
export type WorkItemEventData = z.infer<typeof WorkItemEventDataSchema>;
