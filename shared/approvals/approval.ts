import * as z from 'zod';
import type { ApprovalView } from '../events/canonical/approval';
import { ApprovalOptionSchema, ApprovalSchema } from '../events/canonical/approval';
import { RoleRefSchema } from '../identity/role-ref';
import { ID_PATTERN } from '../ids';

export type { ApprovalView } from '../events/canonical/approval';
export { ApprovalSchema } from '../events/canonical/approval';

/** Bounds of an approval's life: a minute to a week, a day unless the agent says. */
export const MIN_EXPIRES_IN_SECONDS = 60;
export const MAX_EXPIRES_IN_SECONDS = 7 * 86_400;
export const DEFAULT_EXPIRES_IN_SECONDS = 86_400;
/** The most bytes of JSON an approval's `context` may take. */
export const MAX_CONTEXT_BYTES = 4096;

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/** `POST /v1/orgs/{orgId}/approvals`. */
/** `user:usr_…`: a hub user's direct messages. */
const HUB_USER_DM = new RegExp(`^user:${ID_PATTERN('usr').source.slice(1)}`);

export const RequestApprovalSchema = z
  .object({
    question: z
      .string()
      .trim()
      .min(1)
      .max(2000)
      .describe('What the people are asked to decide (Markdown subset)'),
    options: z
      .array(ApprovalOptionSchema)
      .min(2)
      .max(5)
      .refine((options) => new Set(options.map((o) => o.id)).size === options.length, {
        message: 'Each option has its own id',
      }),
    answerers: z
      .object({
        userIds: z
          .array(z.string().regex(ID_PATTERN('usr')))
          .max(50)
          .optional(),
        teamIds: z
          .array(z.string().regex(ID_PATTERN('team')))
          .max(20)
          .optional(),
        roles: z.array(RoleRefSchema).max(10).optional(),
      })
      .strict()
      .refine((a) => (a.userIds?.length ?? 0) + (a.teamIds?.length ?? 0) + (a.roles?.length ?? 0) > 0, {
        message: 'Name at least one user, team or role who may answer',
      })
      .describe('Who may answer: any of these users, members of these teams, or holders of these roles'),
    destination: z
      .object({
        kind: z.literal('chat'),
        connectionId: z.string().regex(ID_PATTERN('con')).describe("One of the org's chat connections"),
        conversation: z
          .string()
          .min(1)
          .max(200)
          .describe('A channel or chat id; or `user:<hub user id>` for their DM')
          // A direct message only to a hub user of the org (through their link), never to any
          // platform user an agent names.
          .refine((c) => !c.startsWith('user:') || HUB_USER_DM.test(c), {
            message: 'a direct message names a hub user: `user:usr_…`',
          }),
      })
      .strict()
      .optional()
      .describe(
        'Where the question is posted with a button per option; without one, it is answered through the API',
      ),
    expiresIn: z
      .number()
      .int()
      .min(MIN_EXPIRES_IN_SECONDS)
      .max(MAX_EXPIRES_IN_SECONDS)
      .default(DEFAULT_EXPIRES_IN_SECONDS)
      .describe('Seconds until it expires unanswered (60 s to 7 days; a day by default)'),
    context: z
      .record(z.string(), z.unknown())
      .refine((c) => jsonBytes(c) <= MAX_CONTEXT_BYTES, {
        message: `At most ${MAX_CONTEXT_BYTES} bytes of JSON`,
      })
      .optional()
      .describe("The agent's own JSON (≤ 4 KiB), given back in every event of the approval"),
    callbackEndpointId: z
      .string()
      .regex(ID_PATTERN('ep'))
      .optional()
      .describe("One of the org's webhook endpoints: it gets this approval's events whatever its filter"),
  })
  .strict()
  .meta({ id: 'RequestApprovalRequest' });
export type RequestApprovalInput = z.infer<typeof RequestApprovalSchema>;

/** `POST …/approvals/{approvalId}/answer`. */
export const AnswerApprovalSchema = z
  .object({ option: z.string().min(1).max(40).describe("One of the approval's option ids") })
  .strict()
  .meta({ id: 'AnswerApprovalRequest' });

/** `GET …/approvals`: a page, newest first, all or one status. */
export const ListApprovalsQuerySchema = z
  .object({
    status: z.enum(['pending', 'decided', 'expired', 'cancelled']).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(2048).optional(),
  })
  .strict()
  .meta({ id: 'ListApprovalsQuery' });

export const ApprovalPage = z
  .object({ items: z.array(ApprovalSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ApprovalPage' });

/** An approval as stored: its status is the last one written (a pending one may have expired since). */
export type StoredApproval = ApprovalView;

/** The approval as it stands at `now`: a pending one past its time is expired, swept or not. */
export function viewOf(approval: StoredApproval, now: Date): ApprovalView {
  if (approval.status === 'pending' && Date.parse(approval.expiresAt) <= now.getTime())
    return { ...approval, status: 'expired', expiredAt: approval.expiresAt };
  return approval;
}

/** The button id a chat card carries for an option; the bot hands it back to `answer`. */
export const approvalActionId = (approvalId: string, optionId: string) =>
  `approval:${approvalId}:${optionId}`;

/** Reads a button id made by `approvalActionId`; null for any other. */
export function parseApprovalAction(actionId: string): { approvalId: string; option: string } | null {
  const match = /^approval:(apr_[0-9A-HJKMNP-TV-Z]{26}):([a-z0-9]+(?:-[a-z0-9]+)*)$/.exec(actionId);
  return match ? { approvalId: String(match[1]), option: String(match[2]) } : null;
}
