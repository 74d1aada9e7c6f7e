import type { CanonicalEvent } from '../../events/canonical-event';
import type { Clock } from '../../ports/clock';
import type { Mailer } from '../../ports/mailer';
import type { UserStore } from '../../ports/stores';
import type {
  DeliveryMessage,
  DeliveryTarget,
  NotificationChannel,
  RenderedMessage,
  SendOutcome,
} from '../model';
import type { ProviderNames } from '../render/describe-event';
import { describeEvent } from '../render/describe-event';
import type { EmailContent } from '../render/email-template';
import { renderEventEmail } from '../render/email-template';
import type { MailSuppressionStore, NotificationPreferenceStore, UnsubscribeTokenStore } from './ports';
import { DEFAULT_PREFERENCES, emailDecision } from './preferences';
import { ORG_MAIL_TAG } from './suppressions';
import { mintUnsubscribeLink, unsubscribeUrl } from './unsubscribe';

export type EmailTarget = Extract<DeliveryTarget, { channel: 'email' }>;

/** What the delivery worker asks before an attempt (its `Readiness`, kept structural here). */
type EmailReadiness =
  | { readonly kind: 'ready'; readonly rateLimit: { readonly key: string; readonly perSecond: number } }
  | { readonly kind: 'drop'; readonly reason: string };

/** What a rendering shows in place of the token, which exists only once the email is sent. */
const TOKEN_PLACEHOLDER = '<issued-when-sent>';

/** Retries for email: the mail service throttles for seconds, rarely more (then the message fails). */
export const EMAIL_RETRY_SCHEDULE = [5, 30, 120, 600, 1800] as const;

export interface EmailChannelDeps {
  readonly mailer: Mailer;
  readonly tokens: UnsubscribeTokenStore;
  readonly suppressions: Pick<MailSuppressionStore, 'suppressed'>;
  readonly clock: Clock;
  /** Where the hub's API is reached from outside (the unsubscribe links point there). */
  readonly publicUrl: string;
  readonly providerNames?: ProviderNames;
  /** The org's name for the footer (cached by the caller); null when unknown. */
  readonly orgName?: (orgId: string) => Promise<string | null>;
  /**
   * Read again before each attempt (a retry hours later, a resend): a user who unsubscribed, muted
   * or left since the message was queued gets nothing more.
   */
  readonly users?: Pick<UserStore, 'get'>;
  readonly preferences?: Pick<NotificationPreferenceStore, 'getMany'>;
}

/** Emails to one address at most this often, whatever sends them (retries, resends, many rules). */
export const EMAILS_PER_ADDRESS_PER_SECOND = 1;

/** The headers of RFC 2369 and RFC 8058: mail clients show an unsubscribe button that posts one click. */
export const listUnsubscribeHeaders = (url: string): Record<string, string> => ({
  'List-Unsubscribe': `<${url}>`,
  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
});

/** Mail-service errors that say "later", not "never": throttling and its own outages. */
function isRetryable(error: unknown): { retry: boolean; throttled: boolean } {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode;
  const throttled =
    e.name === 'TooManyRequestsException' ||
    e.name === 'ThrottlingException' ||
    e.name === 'LimitExceededException' ||
    status === 429;
  if (throttled) return { retry: true, throttled };
  // The message itself was refused (a bad address, content the service will not send): never retried.
  if (
    e.name === 'MessageRejected' ||
    e.name === 'BadRequestException' ||
    e.name === 'MailFromDomainNotVerifiedException'
  )
    return { retry: false, throttled };
  return { retry: true, throttled };
}

/** What renders an email without sending it: the rule test uses it alone (no mailer, no token). */
export type EmailRendererDeps = Pick<EmailChannelDeps, 'publicUrl' | 'providerNames' | 'orgName'>;

function emailContent(deps: EmailRendererDeps) {
  return async (event: CanonicalEvent, target: EmailTarget, link: string): Promise<EmailContent> => {
    const orgName = (await deps.orgName?.(event.tenantId)) ?? 'your organisation';
    const summary = describeEvent(event, deps.providerNames);
    const reason = target.userId
      ? `a notification rule of ${orgName} sends you ${event.type} events`
      : `a notification rule of ${orgName} sends ${event.type} events to this address`;
    return renderEventEmail(summary, { reason, unsubscribeUrl: link });
  };
}

/** Renders an event's email for one target, with a placeholder where the unsubscribe token goes. */
export function makeEmailRenderer(deps: EmailRendererDeps): Pick<NotificationChannel<EmailTarget>, 'render'> {
  const content = emailContent(deps);
  return {
    async render(event, target): Promise<RenderedMessage> {
      const link = unsubscribeUrl(deps.publicUrl, TOKEN_PLACEHOLDER);
      const mail = await content(event, target, link);
      return {
        channel: 'email',
        title: mail.subject,
        contentType: 'text/plain',
        body: mail.text,
        alternatives: { 'text/html': mail.html },
        headers: listUnsubscribeHeaders(link),
      };
    },
  };
}

/** The email channel: one event to one address, through the mailer port, with a one-click unsubscribe. */
export function makeEmailChannel(deps: EmailChannelDeps): NotificationChannel<EmailTarget> & {
  readiness(message: DeliveryMessage & { readonly target: EmailTarget }): Promise<EmailReadiness>;
} {
  const content = emailContent(deps);
  return {
    channel: 'email',
    retrySchedule: EMAIL_RETRY_SCHEDULE,
    render: makeEmailRenderer(deps).render,
    async readiness(message) {
      const { orgId, target } = message;
      const rateLimit = {
        key: `mail:${target.address.toLowerCase()}`,
        perSecond: EMAILS_PER_ADDRESS_PER_SECOND,
      };
      if (!target.userId || !deps.users || !deps.preferences) return { kind: 'ready', rateLimit };
      const [user, prefs] = await Promise.all([
        deps.users.get(orgId, target.userId),
        deps.preferences.getMany(orgId, [target.userId]),
      ]);
      if (user?.status !== 'active') return { kind: 'drop', reason: 'the user is no longer an active user' };
      const decision = emailDecision(
        prefs.get(target.userId) ?? DEFAULT_PREFERENCES,
        message.eventType,
        deps.clock.now(),
      );
      return decision === 'now'
        ? { kind: 'ready', rateLimit }
        : { kind: 'drop', reason: "the user's preferences no longer take this email" };
    },
    async send(message: DeliveryMessage & { readonly target: EmailTarget }, event): Promise<SendOutcome> {
      const started = Date.now();
      const { target, orgId } = message;
      const address = target.address.toLowerCase();
      if ((await deps.suppressions.suppressed(orgId, [address])).has(address))
        return {
          ok: false,
          durationMs: Date.now() - started,
          error: 'the address is suppressed (it bounced or complained)',
          permanent: 'rejected',
        };
      const link = await mintUnsubscribeLink(
        { tokens: deps.tokens, clock: deps.clock, publicUrl: deps.publicUrl },
        target.userId ? { orgId, userId: target.userId } : { orgId, address },
      );
      const mail = await content(event, target, link);
      try {
        await deps.mailer.send({
          to: target.address,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: listUnsubscribeHeaders(link),
          tags: { [ORG_MAIL_TAG]: orgId },
        });
        return { ok: true, durationMs: Date.now() - started };
      } catch (error) {
        const { retry, throttled } = isRetryable(error);
        const name = (error as { name?: string }).name ?? 'Error';
        return {
          ok: false,
          durationMs: Date.now() - started,
          // The error's name only: its message may quote the address or the content.
          error: throttled
            ? 'the mail service is throttling'
            : `the mail service refused: ${name}`.slice(0, 200),
          ...(retry ? {} : { permanent: 'rejected' as const }),
        };
      }
    },
  };
}
