import * as z from 'zod';
import type { OperationDoc } from '../../api/operation-doc';
import { authErrors, jsonBody, ok, problem } from '../../api/operation-doc';
import { ListQuery, OrgIdParam, UserIdParam } from '../../api/schemas';
import { NotificationPreferencesInput, NotificationPreferencesSchema } from './preferences';
import { MailSuppressionPage } from './suppressions';

const AddressParam = z.object({
  orgId: z.string(),
  address: z
    .string()
    .meta({ description: 'The suppressed address, URL-encoded', example: 'ada%40example.com' }),
});
const TokenQuery = z.object({
  token: z.string().max(100).meta({ description: 'The token of the link in the email (`hubunsub_…`)' }),
});
const ConfirmationTokenQuery = z.object({
  token: z
    .string()
    .max(100)
    .meta({ description: 'The token of the link in the confirmation email (`hubconf_…`)' }),
});
const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: z.string() } },
});

/** The email part of the notify system: users' preferences, the org's suppressions, the unsubscribe links. */
export const notificationPreferenceOperations = {
  getNotificationPreferences: {
    requestParams: { path: UserIdParam },
    description:
      'A user reads their own (with their token, or a personal key acting for them); anyone else needs `users:manage`. A user who never set any gets the defaults (`updatedAt: null`): every event type, by email, at once.',
    responses: {
      '200': ok("The user's preferences", NotificationPreferencesSchema),
      ...authErrors,
      '403': problem('Neither the user themself nor a caller with users:manage'),
      '404': problem('No such user'),
    },
  },
  putNotificationPreferences: {
    requestParams: { path: UserIdParam },
    description:
      'Replaces the preferences; a field left out takes its default. Muted (`mute`), a kind not in `eventTypes`, or `channels.email: false`: no email for it. With `digest: hourly|daily`, matched events are collected and sent as one email at the next hour, or at `dailyHourUtc`. Audited (`notification_preferences.updated`, before and after).',
    requestBody: jsonBody(NotificationPreferencesInput),
    responses: {
      '200': ok('The preferences as stored', NotificationPreferencesSchema),
      '400': problem(
        'The body is not valid (an unknown field, a pattern that is no event type, an hour outside 0-23)',
      ),
      ...authErrors,
      '403': problem(
        'Neither the user themself nor a caller with users:manage; or a caller other than the user turning on email the user turned off themself (their own setting or an unsubscribe link)',
      ),
      '404': problem('No such user'),
      '409': problem('The preferences changed meanwhile (an unsubscribe link was used); send them again'),
    },
  },
  listMailSuppressions: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    description:
      "Addresses no email of the org goes to: a permanent bounce or a complaint the mail service reported for the org's email, or the unsubscribe link of an address that is no user. A caller without `notifications:manage` sees each address masked (`a***@example.com`).",
    responses: {
      '200': ok('A page of suppressed addresses, newest address first', MailSuppressionPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  deleteMailSuppression: {
    requestParams: { path: AddressParam },
    description:
      "Email goes to the address again (until it bounces again). Only a bounce can be lifted: a complaint or an unsubscribe is the recipient's choice. Audited (`mail_suppression.deleted`).",
    responses: {
      '204': { description: 'Lifted' },
      ...authErrors,
      '404': problem('The address is not suppressed'),
      '409': problem("The address complained or unsubscribed: not the org's to lift"),
    },
  },
  showUnsubscribe: {
    security: [],
    requestParams: { query: TokenQuery },
    description:
      'What the link in a notification email opens: a page saying what it stops, with a button that confirms (a POST to the same URL). Opening it changes nothing, so link scanners cannot unsubscribe anyone.',
    responses: {
      '200': html('The confirmation page'),
      '404': html('A plain page: the link is unknown or has expired'),
    },
  },
  unsubscribe: {
    security: [],
    requestParams: { query: TokenQuery },
    description:
      "RFC 8058 one-click unsubscribe: the token is the credential. The body is `List-Unsubscribe=One-Click` (`application/x-www-form-urlencoded`), as mail clients send it for the email's `List-Unsubscribe-Post` header. A user's email notifications are turned off in their preferences (audited, `notification_preferences.unsubscribed`); an address that is no user is suppressed in the org. Using it again changes nothing.",
    requestBody: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: z.object({ 'List-Unsubscribe': z.literal('One-Click') }),
        },
      },
    },
    responses: {
      '200': html('Unsubscribed'),
      '400': problem('The body is not List-Unsubscribe=One-Click'),
      '404': problem('The link is unknown or has expired'),
      '413': problem('The body is far longer than the one-click form'),
    },
  },
  showEmailConfirmation: {
    security: [],
    requestParams: { query: ConfirmationTokenQuery },
    description:
      'What the link in a confirmation email opens: which organisation would email the address, with a button that confirms (a POST to the same URL). Opening it changes nothing, so link scanners cannot confirm anyone.',
    responses: {
      '200': html('The confirmation page'),
      '404': html('A plain page: the link is unknown, already used or has expired'),
    },
  },
  confirmEmailAddress: {
    security: [],
    requestParams: { query: ConfirmationTokenQuery },
    description:
      "Double opt-in of an address that is no user of the organisation: a notification rule's emails reach it only once it is confirmed here. The token is the credential, single use, valid for 7 days; the confirmation holds for that organisation only. Audited (`mail_address.confirmed`).",
    responses: {
      '200': html('Confirmed'),
      '404': problem('The link is unknown, already used or has expired'),
      '413': problem('The body is far longer than the confirm form'),
    },
  },
} satisfies Record<string, OperationDoc>;
