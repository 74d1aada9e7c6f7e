import { auditBySystem, onceAuditId } from '../../audit/audit-record';
import type { CanonicalEvent } from '../../events/canonical-event';
import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { Mailer } from '../../ports/mailer';
import type { AuditStore, Page, PageRequest } from '../../ports/stores';
import type { PlanName } from '../../tenancy/plans';
import { PLANS } from '../../tenancy/plans';
import type { User } from '../../tenancy/user';
import type { DeliveryTarget } from '../model';
import { adminsOf } from '../webhooks/health';
import type { EmailQuotaStore } from './ports';

type EmailTarget = Extract<DeliveryTarget, { channel: 'email' }>;

/** At most this many email targets for one event in one org, after de-duplication across its rules. */
export const MAX_EMAIL_TARGETS_PER_EVENT = 100;
export const QUOTA_REACHED = 'daily email quota reached';

/** The UTC day a moment falls on, as the quota counts it. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

export interface EmailLimitsDeps {
  readonly quota: EmailQuotaStore;
  /** The org's plan (cached by the caller); null when the org is gone. */
  readonly planOf: (orgId: string) => Promise<PlanName | null>;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly clock: Clock;
  /** Tells the org's admins the quota is reached (once a day); without it, the audit record alone. */
  readonly mailer?: Mailer;
  readonly users?: { list(orgId: string, page: PageRequest): Promise<Page<User>> };
}

export interface LimitedEmail {
  /** Targets to create messages for. */
  readonly send: readonly EmailTarget[];
  /** Targets past the day's quota: their messages are created dropped, with the reason. */
  readonly held: readonly { readonly target: EmailTarget; readonly reason: string }[];
  /** Targets past the per-event cap: no message at all (one audit record says how many). */
  readonly capped: number;
}

/**
 * The limits on what one event may email in its org: at most MAX_EMAIL_TARGETS_PER_EVENT targets
 * (the excess left out, recorded once per event), then the plan's daily quota, counted atomically
 * per org and UTC day; past it, messages are dropped with the reason, and the org's admins are told
 * once that day (that notice is not counted) with an audit record.
 */
export function makeEmailLimits(deps: EmailLimitsDeps) {
  const tellAdmins = async (orgId: string, day: string, limit: number, at: Date) => {
    const audit = {
      ...auditBySystem({
        action: 'notification.email_quota_reached',
        actor: 'hub-notifications',
        orgId,
        targets: [{ type: 'org', id: orgId }],
        requestId: `email-quota-${day}`,
        at,
        after: { day, limit },
      }),
      id: onceAuditId(`${day}T00:00:00.000Z`, `email-quota#${orgId}#${day}`),
    };
    if (!(await deps.quota.claimNotice(orgId, day, audit))) return;
    if (!deps.mailer || !deps.users) return;
    const mailer = deps.mailer;
    const admins = await adminsOf({ users: deps.users }, orgId);
    await Promise.all(
      admins.map((admin) =>
        mailer
          .send({
            to: admin.email,
            subject: 'Daily notification email quota reached',
            text: `Your organisation's notification rules reached today's quota of ${limit} emails (UTC day ${day}). Further notification emails today are dropped with the reason "${QUOTA_REACHED}"; webhook endpoints are not affected.\n\nThe quota starts again at midnight UTC. A larger plan has a larger quota.\n`,
            tags: { orgId },
          })
          .catch((error: unknown) => logger.warn('Could not mail an admin', { error: error as Error })),
      ),
    );
  };

  return async (event: CanonicalEvent, targets: readonly EmailTarget[]): Promise<LimitedEmail> => {
    const orgId = event.tenantId;
    const at = deps.clock.now();
    const kept = targets.slice(0, MAX_EMAIL_TARGETS_PER_EVENT);
    const capped = targets.length - kept.length;
    if (capped > 0) {
      logger.warn('An event reaches more email targets than one event may', {
        eventId: event.id,
        targets: targets.length,
        max: MAX_EMAIL_TARGETS_PER_EVENT,
      });
      await deps.audit.append({
        ...auditBySystem({
          action: 'notification.email_targets_capped',
          actor: 'hub-notifications',
          orgId,
          targets: [{ type: 'event', id: event.id }],
          requestId: `email-cap-${event.id}`,
          at,
          after: {
            targets: targets.length,
            sent: kept.length,
            left: capped,
            max: MAX_EMAIL_TARGETS_PER_EVENT,
          },
        }),
        // Once per event, however often it is matched again.
        id: onceAuditId(event.receivedAt, `email-cap#${event.id}`),
      });
    }
    if (kept.length === 0) return { send: [], held: [], capped };
    const plan = await deps.planOf(orgId);
    if (!plan)
      return {
        send: [],
        held: kept.map((target) => ({ target, reason: 'the organisation is gone' })),
        capped,
      };
    const limit = PLANS[plan].emailsPerDay;
    const day = utcDay(at);
    const granted = await deps.quota.consume(orgId, day, event.id, kept.length, limit);
    const send = kept.slice(0, granted);
    const held = kept.slice(granted).map((target) => ({ target, reason: QUOTA_REACHED }));
    if (held.length > 0) {
      logger.warn('The org reached its daily email quota', { eventId: event.id, held: held.length, limit });
      await tellAdmins(orgId, day, limit, at);
    }
    return { send, held, capped };
  };
}
