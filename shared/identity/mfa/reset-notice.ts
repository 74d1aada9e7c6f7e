import type { MailSuppressionStore } from '../../notify/email/ports';
import type { Mailer } from '../../ports/mailer';
import type { OrgStore } from '../../ports/stores';
import type { User } from '../../tenancy/user';

/**
 * Tells a user, by email, that an admin reset their second factors: who, when, and what to do if
 * they did not ask for it. Never to a suppressed address (a bounce, a complaint, an unsubscribe).
 */
export function makeTellReset(deps: {
  mailer: Mailer;
  suppressions: Pick<MailSuppressionStore, 'suppressed'>;
  orgs: Pick<OrgStore, 'get'>;
}) {
  return async (user: User, by: User, at: Date): Promise<void> => {
    const address = user.email.toLowerCase();
    if ((await deps.suppressions.suppressed(user.orgId, [address])).has(address)) return;
    const org = await deps.orgs.get(user.orgId);
    const admin = by.name ? `${by.name} (${by.email})` : by.email;
    await deps.mailer.send({
      to: user.email,
      subject: 'Your Integration Hub second factors were reset',
      text: [
        `${admin}, an admin of ${org?.name ?? user.orgId}, reset your second factors at ${at.toISOString()}: your authenticator app is off, your passkeys are removed, and every session of yours was signed out.`,
        '',
        'Sign in again and enrol a new authenticator app or passkey.',
        "If you did not ask for this, tell your organisation's admins at once: someone may be using this admin's account.",
      ].join('\n'),
      tags: { orgId: user.orgId, kind: 'mfa-reset-notice' },
    });
  };
}
