import type { MailSuppressionStore } from '../../notify/email/ports';
import type { Mailer } from '../../ports/mailer';
import type { OrgStore } from '../../ports/stores';
import type { User } from '../../tenancy/user';

/** What a user is told of a change to their second factors: the change they may not have made. */
export interface FactorNotices {
  /** An admin reset them: who, and when. */
  reset(user: User, by: User, at: Date): Promise<void>;
  /** A second factor was added to their account (a passkey, an authenticator app). */
  added(user: User, what: string, at: Date): Promise<void>;
}

const IF_NOT_YOU =
  "If you did not do this, tell your organisation's admins at once: someone may be signed in as you.";

/**
 * Tells a user, by email, of a change to their second factors, so a change they did not make is
 * noticed — a stolen session planting the thief's factor, or a stolen admin account resetting
 * theirs. Never to a suppressed address (a bounce, a complaint, an unsubscribe).
 */
export function makeFactorNotices(deps: {
  mailer: Mailer;
  suppressions: Pick<MailSuppressionStore, 'suppressed'>;
  orgs: Pick<OrgStore, 'get'>;
}): FactorNotices {
  const tell = async (user: User, kind: string, subject: string, lines: readonly string[]) => {
    const address = user.email.toLowerCase();
    if ((await deps.suppressions.suppressed(user.orgId, [address])).has(address)) return;
    await deps.mailer.send({
      to: user.email,
      subject,
      text: lines.join('\n'),
      tags: { orgId: user.orgId, kind },
    });
  };
  const orgName = async (user: User) => (await deps.orgs.get(user.orgId))?.name ?? user.orgId;
  return {
    async reset(user, by, at) {
      const admin = by.name ? `${by.name} (${by.email})` : by.email;
      await tell(user, 'mfa-reset-notice', 'Your Integration Hub second factors were reset', [
        `${admin}, an admin of ${await orgName(user)}, reset your second factors at ${at.toISOString()}: your authenticator app is off, your passkeys are removed, and every session of yours was signed out.`,
        '',
        'Sign in again and enrol a new authenticator app or passkey.',
        "If you did not ask for this, tell your organisation's admins at once: someone may be using this admin's account.",
      ]);
    },
    async added(user, what, at) {
      await tell(user, 'mfa-added-notice', 'A second factor was added to your Integration Hub account', [
        `${what} was added to your account in ${await orgName(user)} at ${at.toISOString()}.`,
        '',
        IF_NOT_YOU,
      ]);
    },
  };
}
