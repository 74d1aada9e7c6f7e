import * as z from 'zod';

/** An option an approval offers: a slug the answer names, and what people see. */
export const ApprovalOptionSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(40)
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a slug: lower-case letters, digits and single hyphens'),
    label: z.string().trim().min(1).max(75),
  })
  .strict()
  .meta({ id: 'ApprovalOption' });

/** Where an approval's question is posted: a conversation on one of the org's chat connections. */
export const ApprovalChatTargetSchema = z
  .object({
    kind: z.literal('chat'),
    provider: z.string().describe("The connection's provider (resolved by the hub when it was asked)"),
    connectionId: z.string(),
    conversation: z.string().describe('A channel or chat id; or `user:<hub user id>` for their DM'),
  })
  .meta({ id: 'ApprovalDestination' });

/** Who did something to an approval: the requester (an API key or a user), the decider, the canceller. */
export const ApprovalActorSchema = z
  .object({
    type: z.enum(['api_key', 'user', 'system']),
    id: z.string(),
    name: z.string(),
  })
  .meta({ id: 'ApprovalActor' });

export const APPROVAL_STATUSES = ['pending', 'decided', 'expired', 'cancelled'] as const;

/** An approval as its events carry it (and `GET …/approvals/{id}` shows it). */
export const ApprovalSchema = z
  .object({
    id: z.string().describe('`apr_…`'),
    orgId: z.string(),
    status: z
      .enum(APPROVAL_STATUSES)
      .describe('`expired` as soon as its time has passed, even before the hub has swept it'),
    question: z.string(),
    options: z.array(ApprovalOptionSchema),
    answerers: z.object({
      userIds: z.array(z.string()),
      teamIds: z.array(z.string()),
      roles: z.array(z.string()),
    }),
    destination: ApprovalChatTargetSchema.nullable(),
    context: z.unknown().nullable().describe("The requester's own JSON, as given"),
    callbackEndpointId: z
      .string()
      .nullable()
      .describe('A webhook endpoint of the org that gets every event of this approval, whatever its filter'),
    requestedBy: ApprovalActorSchema,
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    decision: z
      .object({
        option: z.string(),
        label: z.string(),
        by: z.object({ userId: z.string(), name: z.string() }),
        at: z.iso.datetime(),
        via: z.string().describe('`api`, or the chat provider the answer came through'),
      })
      .nullable(),
    cancelled: z.object({ by: ApprovalActorSchema, at: z.iso.datetime() }).nullable(),
    expiredAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Approval', description: 'A question an agent asked people to decide' });
export type ApprovalView = z.infer<typeof ApprovalSchema>;

export const ApprovalEventDataSchema = z.object({ approval: ApprovalSchema }).meta({
  id: 'ApprovalEventData',
  description:
    '`approval.requested`, `approval.decided` (its `decision` set), `approval.expired`, `approval.cancelled`: the approval as it is after the change',
});
export type ApprovalEventData = z.infer<typeof ApprovalEventDataSchema>;
