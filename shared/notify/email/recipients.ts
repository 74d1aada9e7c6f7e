import type { CanonicalEvent } from '../../events/canonical-event';
import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { TeamStore, UserStore } from '../../ports/stores';
import type { User } from '../../tenancy/user';
import type { DeliveryTarget, Destination, EmailRecipients } from '../model';
import type { AddressConfirmationStore, MailSuppressionStore, NotificationPreferenceStore } from './ports';
import { DEFAULT_PREFERENCES, emailDecision } from './preferences';

type EmailTarget = Extract<DeliveryTarget, { channel: 'email' }>;

/** At most this many people one email destination reaches for one event (a team of thousands is cut here, logged). */
export const MAX_RECIPIENTS = 500;

/**
 * Who an email destination reaches: its users, its teams' members and its addresses (an address
 * that is a user's counts as that user), each user after their preferences; suppressed and
 * unconfirmed bare addresses, deactivated users and duplicates left out.
 */
export class PreferenceAwareEmailRecipients implements EmailRecipients {
  constructor(
    private readonly deps: {
      readonly users: Pick<UserStore, 'get' | 'findByEmail'>;
      readonly teams: Pick<TeamStore, 'membersOf'>;
      readonly preferences: Pick<NotificationPreferenceStore, 'getMany'>;
      readonly suppressions: Pick<MailSuppressionStore, 'suppressed'>;
      /** Bare addresses get email only once they confirmed it (double opt-in). */
      readonly confirmations: Pick<AddressConfirmationStore, 'states'>;
      readonly clock: Clock;
    },
  ) {}

  async resolve(
    orgId: string,
    destination: Extract<Destination, { kind: 'email' }>,
    event: CanonicalEvent,
  ): Promise<{ readonly now: readonly EmailTarget[]; readonly digest: readonly string[] }> {
    const teamMembers = await Promise.all(
      (destination.teamIds ?? []).map((teamId) => this.deps.teams.membersOf(orgId, teamId)),
    );
    const userIds = [
      ...new Set([...(destination.userIds ?? []), ...teamMembers.flat().map((m) => m.userId)]),
    ];
    if (userIds.length > MAX_RECIPIENTS)
      logger.warn('An email destination reaches more users than one event is sent to', {
        tenantId: orgId,
        users: userIds.length,
        max: MAX_RECIPIENTS,
      });
    const found = await Promise.all(
      userIds.slice(0, MAX_RECIPIENTS).map((id) => this.deps.users.get(orgId, id)),
    );
    const users = new Map<string, User>();
    for (const user of found) if (user?.status === 'active') users.set(user.id, user);
    // A listed address that is one of the org's users is that user: their preferences apply.
    const bare: string[] = [];
    for (const address of new Set((destination.addresses ?? []).map((a) => a.toLowerCase()))) {
      const user = await this.deps.users.findByEmail(orgId, address);
      if (user) {
        if (user.status === 'active') users.set(user.id, user);
      } else bare.push(address);
    }
    const [prefs, suppressed, confirmed] = await Promise.all([
      this.deps.preferences.getMany(orgId, [...users.keys()]),
      this.deps.suppressions.suppressed(orgId, [...[...users.values()].map((u) => u.email), ...bare]),
      bare.length > 0 ? this.deps.confirmations.states(orgId, bare) : Promise.resolve(new Map()),
    ]);
    const now = this.deps.clock.now();
    const targets = new Map<string, EmailTarget>();
    const digest: string[] = [];
    for (const user of users.values()) {
      const address = user.email.toLowerCase();
      if (suppressed.has(address)) continue;
      const decision = emailDecision(prefs.get(user.id) ?? DEFAULT_PREFERENCES, event.type, now);
      if (decision === 'digest') digest.push(user.id);
      else if (decision === 'now' && !targets.has(address))
        targets.set(address, { channel: 'email', address, userId: user.id });
    }
    for (const address of bare) {
      if (suppressed.has(address) || targets.has(address)) continue;
      // Not confirmed (yet): no message at all, so nothing waits to go out if it never is.
      if (confirmed.get(address)?.state !== 'confirmed') continue;
      targets.set(address, { channel: 'email', address });
    }
    return { now: [...targets.values()].slice(0, MAX_RECIPIENTS), digest: digest.slice(0, MAX_RECIPIENTS) };
  }
}
