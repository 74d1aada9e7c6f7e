import { createHash, randomBytes } from 'node:crypto';
import { auditBySystem } from '../../audit/audit-record';
import { NotFoundError, ValidationError } from '../../errors';
import type { Clock } from '../../ports/clock';
import type { OrgStore, UserStore } from '../../ports/stores';
import type {
  MailSuppressionStore,
  NotificationPreferenceStore,
  UnsubscribeSubject,
  UnsubscribeTokenStore,
} from './ports';
import { DEFAULT_PREFERENCES } from './preferences';

const TOKEN_PREFIX = 'hubunsub_';
/** A link works this long after its email was sent (mail clients offer it long after). */
export const UNSUBSCRIBE_TOKEN_DAYS = 180;
const TOKEN_SHAPE = /^hubunsub_[A-Za-z0-9_-]{43}$/;
/** RFC 8058's one-click body is one short field; anything much longer is not it. */
const MAX_ONE_CLICK_BODY = 1024;

export const generateUnsubscribeToken = (): string =>
  `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
export const hashUnsubscribeToken = (token: string): string =>
  createHash('sha256').update(token).digest('hex');
export const isWellFormedUnsubscribeToken = (token: unknown): token is string =>
  typeof token === 'string' && TOKEN_SHAPE.test(token);

/** The unsubscribe page of a token, as the links in emails name it. */
export const unsubscribeUrl = (publicUrl: string, token: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/unsubscribe?token=${encodeURIComponent(token)}`;

/** Mints a token for the subject (stored as its hash only) and answers the link that carries it. */
export async function mintUnsubscribeLink(
  deps: { tokens: UnsubscribeTokenStore; clock: Clock; publicUrl: string },
  subject: UnsubscribeSubject,
): Promise<string> {
  const token = generateUnsubscribeToken();
  const expires = new Date(deps.clock.now().getTime() + UNSUBSCRIBE_TOKEN_DAYS * 86_400_000);
  await deps.tokens.put(hashUnsubscribeToken(token), subject, expires);
  return unsubscribeUrl(deps.publicUrl, token);
}

/**
 * Whether a POST body is RFC 8058's one-click request: `application/x-www-form-urlencoded` with
 * `List-Unsubscribe=One-Click` (mail providers send exactly that; the confirm button does too).
 */
export function isOneClickBody(contentType: string | undefined, body: string): boolean {
  if (Buffer.byteLength(body) > MAX_ONE_CLICK_BODY) return false;
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  // Some clients send the form as multipart; the field is what matters, and it is looked for in both.
  if (type === 'application/x-www-form-urlencoded')
    return new URLSearchParams(body).getAll('List-Unsubscribe').includes('One-Click');
  if (type === 'multipart/form-data') return /name="List-Unsubscribe"\r?\n\r?\nOne-Click\r?\n/.test(body);
  return false;
}

interface Deps {
  readonly tokens: UnsubscribeTokenStore;
  readonly orgs: Pick<OrgStore, 'get'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly preferences: NotificationPreferenceStore;
  readonly suppressions: MailSuppressionStore;
  readonly clock: Clock;
}

/** What the link stops, for its page; null when the token names nothing (unknown, expired, or its org gone). */
export async function resolveUnsubscribe(
  deps: Pick<Deps, 'tokens' | 'orgs'>,
  token: unknown,
): Promise<{ subject: UnsubscribeSubject; orgName: string } | null> {
  if (!isWellFormedUnsubscribeToken(token)) return null;
  const subject = await deps.tokens.find(hashUnsubscribeToken(token));
  if (!subject) return null;
  const org = await deps.orgs.get(subject.orgId);
  if (!org || org.status === 'deleted') return null;
  return { subject, orgName: org.name };
}

/**
 * The one-click unsubscribe: a user's email notifications are turned off (their preferences,
 * audited); a bare address is suppressed in the org. Doing it twice changes nothing more.
 */
export function makeUnsubscribe(deps: Deps) {
  return async (
    token: unknown,
    request: { requestId: string; oneClick: boolean },
  ): Promise<{ orgName: string }> => {
    const found = await resolveUnsubscribe(deps, token);
    if (!found) throw new NotFoundError('This unsubscribe link is unknown or has expired');
    if (!request.oneClick)
      throw new ValidationError('Send the form field List-Unsubscribe=One-Click (RFC 8058)', [
        { path: 'body', message: 'expected List-Unsubscribe=One-Click, form-encoded' },
      ]);
    const { subject } = found;
    const at = deps.clock.now();
    const actor = 'unsubscribe-link';
    if ('userId' in subject) {
      const user = await deps.users.get(subject.orgId, subject.userId);
      if (!user) throw new NotFoundError('This unsubscribe link is unknown or has expired');
      const current = await deps.preferences.get(subject.orgId, subject.userId);
      const prefs = current?.value ?? { ...DEFAULT_PREFERENCES, updatedAt: '' };
      if (!prefs.channels.email) return { orgName: found.orgName };
      const { updatedAt: _, ...before } = prefs;
      // Their own choice: an admin with users:manage cannot turn it on again, only the user.
      const next = { ...before, channels: { ...before.channels, email: false }, emailOffByUser: true };
      await deps.preferences.save(
        subject.orgId,
        subject.userId,
        next,
        at.toISOString(),
        current?.version ?? 0,
        auditBySystem({
          action: 'notification_preferences.unsubscribed',
          actor,
          orgId: subject.orgId,
          targets: [{ type: 'user', id: subject.userId }],
          requestId: request.requestId,
          at,
          before: { channels: before.channels },
          after: { channels: next.channels },
        }),
      );
    } else {
      await deps.suppressions.suppress(
        subject.orgId,
        { address: subject.address, reason: 'unsubscribed', detail: null, suppressedAt: at.toISOString() },
        auditBySystem({
          action: 'mail_suppression.created',
          actor,
          orgId: subject.orgId,
          targets: [{ type: 'mail_address', id: subject.address }],
          requestId: request.requestId,
          at,
          after: { reason: 'unsubscribed' },
        }),
      );
    }
    return { orgName: found.orgName };
  };
}
