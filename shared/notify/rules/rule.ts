import * as z from 'zod';
import { STATUS_CATEGORIES } from '../../events/canonical/work-item';
import { ID_PATTERN } from '../../ids';
import { DestinationSchema, EventTypePatternSchema } from '../model';

/** A person a condition names: their login on the provider (`octocat`) or their email. */
const PersonRefSchema = z.string().trim().min(1).max(320);
const list = <T extends z.ZodType>(item: T, max: number) => z.array(item).min(1).max(max);

/**
 * What an event must also be, beyond its type: each condition given must hold (AND), and a
 * condition holds when the event's field is any of its values (OR). A condition on a field the
 * event does not carry (labels on a pull request, an assignee on a push) does not hold.
 */
export const RuleConditionsSchema = z
  .object({
    containers: list(z.string().trim().min(1).max(300), 50)
      .optional()
      .describe('The project (`PROJ`) or repository (`acme/web`) the item is in, any of (case-insensitive)'),
    labels: list(z.string().trim().min(1).max(200), 50)
      .optional()
      .describe('Any of these labels on the work item (case-insensitive); only work items carry labels'),
    statusCategories: list(z.enum(STATUS_CATEGORIES), 3)
      .optional()
      .describe("The work item's status category, any of"),
    assignees: list(PersonRefSchema, 50)
      .optional()
      .describe("The work item's assignee, by login or email, any of"),
    authors: list(PersonRefSchema, 50)
      .optional()
      .describe(
        "Who wrote the item, by login or email: a pull request's author, a review's or comment's author, a work item's creator (or reporter)",
      ),
    providers: list(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a provider id'), 20)
      .optional()
      .describe('The provider the event came from, any of'),
    connectionIds: list(z.string().regex(ID_PATTERN('con'), 'a connection id (con_…)'), 20)
      .optional()
      .describe('The connection the event came through, any of'),
  })
  .strict()
  .meta({ id: 'NotificationRuleConditions' });
export type RuleConditions = z.infer<typeof RuleConditionsSchema>;
export type ConditionField = keyof RuleConditions;
export const CONDITION_FIELDS = Object.keys(RuleConditionsSchema.shape) as ConditionField[];

const NameSchema = z.string().trim().min(1).max(200);
const DescriptionSchema = z.string().max(2000);
const EventTypesSchema = z
  .array(EventTypePatternSchema)
  .min(1)
  .max(20)
  .describe('Event types or patterns (`pull_request.merged`, `pull_request.*`, `*`), any of');
const DestinationsSchema = z.array(DestinationSchema).min(1).max(10);

export const CreateNotificationRuleRequest = z
  .object({
    name: NameSchema,
    description: DescriptionSchema.default(''),
    enabled: z.boolean().default(true),
    eventTypes: EventTypesSchema,
    conditions: RuleConditionsSchema.default({}),
    destinations: DestinationsSchema,
  })
  .strict()
  .meta({ id: 'CreateNotificationRuleRequest' });
export type CreateNotificationRuleInput = z.infer<typeof CreateNotificationRuleRequest>;

export const UpdateNotificationRuleRequest = z
  .object({
    name: NameSchema.optional(),
    description: DescriptionSchema.optional(),
    enabled: z.boolean().optional(),
    eventTypes: EventTypesSchema.optional(),
    conditions: RuleConditionsSchema.optional().describe(
      'Replaces the conditions as a whole; `{}` removes them',
    ),
    destinations: DestinationsSchema.optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'Name at least one field to change' })
  .meta({ id: 'UpdateNotificationRuleRequest' });
export type UpdateNotificationRuleInput = z.infer<typeof UpdateNotificationRuleRequest>;

/** Who made a rule, and where when it was made from a chat (the bot's `subscribe`). */
export const RuleCreatorSchema = z
  .object({
    userId: z
      .string()
      .optional()
      .describe('The hub user (a personal key’s owner); none for an API key of its own'),
    name: z.string(),
    askedIn: z
      .object({ provider: z.string(), connectionId: z.string(), conversation: z.string() })
      .optional()
      .describe('The chat conversation the rule was asked for in'),
  })
  .meta({ id: 'NotificationRuleCreator' });
export type RuleCreator = z.infer<typeof RuleCreatorSchema>;

export const NotificationRuleSchema = z
  .object({
    id: z.string().regex(ID_PATTERN('nrule')),
    orgId: z.string(),
    name: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    eventTypes: z.array(z.string()),
    conditions: RuleConditionsSchema,
    destinations: z.array(DestinationSchema),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    createdBy: RuleCreatorSchema.optional().describe(
      'Who made the rule (rules made before this was kept have none): told when a direct message it asks for cannot be opened',
    ),
    addressConfirmations: z
      .array(
        z.object({
          address: z.string(),
          state: z
            .enum(['user', 'confirmed', 'pending', 'suppressed'])
            .describe(
              'user: a user of the org (their preferences apply); confirmed: it took the confirmation link; pending: a confirmation email was sent, nothing goes to it until it confirms; suppressed: it bounced, complained or unsubscribed, and is never asked again',
            ),
        }),
      )
      .optional()
      .describe('Each address the rule names, and whether email reaches it (double opt-in)'),
  })
  .meta({ id: 'NotificationRule' });
export type NotificationRule = z.infer<typeof NotificationRuleSchema>;

export const NotificationRulePage = z
  .object({ items: z.array(NotificationRuleSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'NotificationRulePage' });

export const TestNotificationRuleRequest = z
  .object({
    eventId: z
      .string()
      .regex(ID_PATTERN('evt'), 'an event id (evt_…)')
      .optional()
      .describe("One of the org's stored events"),
    sample: z
      .string()
      .max(100)
      .optional()
      .describe("A canonical event type: a realistic sample of it, shaped to the rule's conditions"),
  })
  .strict()
  .refine((body) => (body.eventId === undefined) !== (body.sample === undefined), {
    message: 'Name either an eventId or a sample event type',
  })
  .meta({ id: 'TestNotificationRuleRequest' });
export type TestNotificationRuleInput = z.infer<typeof TestNotificationRuleRequest>;
