import * as z from 'zod';
import type { OperationDoc } from '../../api/operation-doc';
import { authErrors, jsonBody, ok, problem } from '../../api/operation-doc';
import { ListQuery, OrgIdParam } from '../../api/schemas';
import { CanonicalEventSchema } from '../../events/canonical-event';
import { DestinationSchema } from '../model';
import {
  CreateNotificationRuleRequest,
  NotificationRulePage,
  NotificationRuleSchema,
  TestNotificationRuleRequest,
  UpdateNotificationRuleRequest,
} from './rule';

const OrgRuleParams = z.object({ orgId: z.string(), ruleId: z.string() });

const RenderedMessageSchema = z
  .object({
    channel: z.enum(['webhook', 'email', 'chat']),
    title: z.string().optional().describe('A subject or title, when the channel has one'),
    contentType: z.string(),
    body: z
      .string()
      .describe(
        "What would be sent: the event (webhook), the text part (email), the neutral card's JSON (chat)",
      ),
    alternatives: z.record(z.string(), z.string()).optional().describe("Other parts (email's HTML)"),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe('The headers it would carry, secrets left out'),
  })
  .meta({ id: 'RenderedMessage' });

const NotificationRuleTestResult = z
  .object({
    event: CanonicalEventSchema.describe('The event tried: the stored one, or the sample built for the rule'),
    enabled: z
      .boolean()
      .describe('Whether the rule is enabled (a disabled rule sends nothing, whatever it matches)'),
    matched: z.boolean(),
    reasons: z
      .array(z.string())
      .describe('Why it does not match: each event type or condition that fails, one line each'),
    deliveries: z
      .array(
        z.object({
          destination: DestinationSchema,
          rendered: z.array(RenderedMessageSchema).describe('What each recipient would get'),
          omitted: z.number().int().optional().describe('Recipients past the first 25, not rendered'),
          note: z.string().optional().describe('Why nothing was rendered for this destination'),
          unconfirmed: z
            .array(z.string())
            .optional()
            .describe('Addresses that get nothing until they confirm the email the hub sent them'),
          suppressed: z
            .array(z.string())
            .optional()
            .describe('Addresses that bounced, complained or unsubscribed: they get nothing'),
        }),
      )
      .describe('When it matches: what each destination would be sent. Nothing is sent'),
  })
  .meta({ id: 'NotificationRuleTestResult' });

const invalid = problem(
  'The body is not valid: an unknown field, a pattern naming no event type, a condition none of its event types carries, or a webhook endpoint, user, team or connection that does not exist in the org (each reason in `errors`)',
);

/** The notification-rule operations' documentation, merged into the OpenAPI document. */
export const notificationRuleOperations = {
  listNotificationRules: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    responses: {
      '200': ok("The org's notification rules, newest first", NotificationRulePage),
      '400': problem('The query is not valid (limit 1-100, a cursor this list gave)'),
      ...authErrors,
    },
  },
  createNotificationRule: {
    description:
      'A rule sends the events it matches — an event type or pattern, and every condition given (each any of its values) — to its destinations: webhook endpoints of the org, email to users, teams and addresses, or a conversation on a chat connection of the org (a channel, or `user:<id>` for the direct messages of that user).',
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(CreateNotificationRuleRequest),
    responses: {
      '201': ok('The rule', NotificationRuleSchema),
      '400': invalid,
      ...authErrors,
      '429': problem(
        "The org's plan allows no more notification rules (deleting one gives it back), or no more requests this minute",
      ),
    },
  },
  getNotificationRule: {
    requestParams: { path: OrgRuleParams },
    responses: {
      '200': ok('The rule', NotificationRuleSchema),
      ...authErrors,
      '404': problem('No such rule'),
    },
  },
  updateNotificationRule: {
    description: 'Changes the fields given; `conditions` and `destinations` are replaced as a whole.',
    requestParams: { path: OrgRuleParams },
    requestBody: jsonBody(UpdateNotificationRuleRequest),
    responses: {
      '200': ok('The rule as changed', NotificationRuleSchema),
      '400': invalid,
      ...authErrors,
      '404': problem('No such rule'),
      '409': problem('The rule changed meanwhile; read it again'),
    },
  },
  deleteNotificationRule: {
    requestParams: { path: OrgRuleParams },
    responses: {
      '204': { description: 'Deleted; its place in the plan is given back' },
      ...authErrors,
      '404': problem('No such rule'),
    },
  },
  testNotificationRule: {
    description:
      "Tries the rule on one of the org's stored events (`eventId`; a large one is read whole, and the caller needs `events:read` as well) or on a realistic sample of a canonical event type (`sample`, shaped to the rule's conditions), and renders what each destination would get. Addresses that have not confirmed (double opt-in) or are suppressed are listed per destination (`unconfirmed`, `suppressed`), not rendered: they would get nothing. Nothing is sent.",
    requestParams: { path: OrgRuleParams },
    requestBody: jsonBody(TestNotificationRuleRequest),
    responses: {
      '200': ok('Whether it matches, why not, and what it would send', NotificationRuleTestResult),
      '400': problem('The body is not valid, or `sample` is not a canonical event type'),
      ...authErrors,
      '403': problem('Trying a stored event without events:read'),
      '404': problem('No such rule, or no such event in the org'),
    },
  },
} satisfies Record<string, OperationDoc>;
