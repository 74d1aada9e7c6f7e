import type { CanonicalEvent } from '../../events/canonical-event';
import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { DueIndex } from '../../ports/due-index';
import type { Mailer } from '../../ports/mailer';
import type { OrgStore, UserStore } from '../../ports/stores';
import type { DigestCollector } from '../model';
import type { ProviderNames } from '../render/describe-event';
import { describeEvent } from '../render/describe-event';
import { renderDigestEmail } from '../render/email-template';
import { listUnsubscribeHeaders } from './email-channel';
import type {
  DigestStore,
  MailSuppressionStore,
  NotificationPreferenceStore,
  UnsubscribeTokenStore,
} from './ports';
import { DEFAULT_PREFERENCES, isMuted, nextDigestAt } from './preferences';
import { ORG_MAIL_TAG } from './suppressions';
import { mintUnsubscribeLink } from './unsubscribe';

/** The due index's kind for digests: its ref is the user id, its time the digest's. */
export const DIGEST_DUE_KIND = 'digest';
/** A collected event waits at most this long (a daily digest, a sender stopped for days). */
const ENTRY_KEEP_DAYS = 8;
/** One digest lists this many events; the rest are counted. */
const LISTED = 50;
/** One digest takes at most this many waiting events; more wait for the next. */
const TAKEN = 500;
/** A sender holds a digest this long; one that stopped before marking it sent is taken over after. */
const LEASE_MS = 10 * 60_000;

/** Adds matched events to users' digests, and indexes each user at their next digest time. */
export class EmailDigestCollector implements DigestCollector {
  constructor(
    private readonly deps: {
      readonly digests: Pick<DigestStore, 'append'>;
      readonly preferences: Pick<NotificationPreferenceStore, 'getMany'>;
      readonly due: Pick<DueIndex, 'add'>;
      readonly clock: Clock;
      readonly providerNames?: ProviderNames;
    },
  ) {}

  async add(orgId: string, userIds: readonly string[], event: CanonicalEvent): Promise<void> {
    if (userIds.length === 0) return;
    const summary = describeEvent(event, this.deps.providerNames);
    const prefs = await this.deps.preferences.getMany(orgId, userIds);
    const now = this.deps.clock.now();
    const expires = new Date(now.getTime() + ENTRY_KEEP_DAYS * 86_400_000);
    for (const userId of new Set(userIds)) {
      const pref = prefs.get(userId) ?? DEFAULT_PREFERENCES;
      await this.deps.digests.append(orgId, userId, summary, expires);
      // Indexed after the entry: a sweep that finds the user finds the event too.
      await this.deps.due.add({ kind: DIGEST_DUE_KIND, orgId, ref: userId, dueAt: nextDigestAt(pref, now) });
    }
  }
}

export interface SendDigestsDeps {
  readonly digests: DigestStore;
  readonly due: DueIndex;
  readonly users: Pick<UserStore, 'get'>;
  readonly orgs: Pick<OrgStore, 'get'>;
  readonly preferences: Pick<NotificationPreferenceStore, 'getMany'>;
  readonly suppressions: Pick<MailSuppressionStore, 'suppressed'>;
  readonly tokens: UnsubscribeTokenStore;
  readonly mailer: Mailer;
  readonly clock: Clock;
  readonly publicUrl: string;
}

type Outcome = 'sent' | 'already_sent' | 'busy' | 'nothing' | 'skipped';

/**
 * Sends the digests that have come due, one email per user, each at most once in normal
 * operation: the sending is claimed (a conditional write listing its events) before the email and
 * marked sent after it, so a sender that stops after sending leaves a record the next one honours.
 */
export function makeSendDigests(deps: SendDigestsDeps) {
  const sendOne = async (orgId: string, userId: string, dueAt: Date): Promise<Outcome> => {
    const dueKey = dueAt.toISOString();
    const now = deps.clock.now();
    const waiting = await deps.digests.pending(orgId, userId, TAKEN);
    const claim = await deps.digests.claim(
      orgId,
      userId,
      dueKey,
      waiting.map((e) => e.key),
      now,
      LEASE_MS,
    );
    if (claim.state === 'busy') return 'busy';
    if (claim.state === 'sent') {
      await deps.digests.clear(orgId, userId, claim.keys);
      return 'already_sent';
    }
    const listed = new Set(claim.keys);
    const entries = waiting.filter((e) => listed.has(e.key));
    if (entries.length === 0) {
      await deps.digests.markSent(orgId, userId, dueKey, 'none');
      return 'nothing';
    }
    const [user, org, prefs] = await Promise.all([
      deps.users.get(orgId, userId),
      deps.orgs.get(orgId),
      deps.preferences.getMany(orgId, [userId]),
    ]);
    const pref = prefs.get(userId) ?? DEFAULT_PREFERENCES;
    const address = user?.email.toLowerCase();
    // Whoever stopped wanting email since (deactivated, muted, email off, suppressed) gets none.
    const wanted =
      user?.status === 'active' &&
      org?.status === 'active' &&
      address !== undefined &&
      pref.channels.email &&
      !isMuted(pref, now) &&
      !(await deps.suppressions.suppressed(orgId, [address])).has(address);
    if (!wanted || !user || !org) {
      await deps.digests.markSent(orgId, userId, dueKey, 'skipped');
      await deps.digests.clear(orgId, userId, claim.keys);
      return 'skipped';
    }
    const link = await mintUnsubscribeLink(
      { tokens: deps.tokens, clock: deps.clock, publicUrl: deps.publicUrl },
      { orgId, userId },
    );
    const mail = renderDigestEmail(
      {
        orgName: org.name,
        period: pref.digest === 'daily' ? 'daily' : 'hourly',
        summaries: entries.slice(0, LISTED).map((e) => e.summary),
        more: Math.max(0, entries.length - LISTED),
      },
      { reason: `you chose a digest of your notifications from ${org.name}`, unsubscribeUrl: link },
    );
    const { messageId } = await deps.mailer.send({
      to: user.email,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: listUnsubscribeHeaders(link),
      tags: { [ORG_MAIL_TAG]: orgId },
    });
    await deps.digests.markSent(orgId, userId, dueKey, messageId);
    await deps.digests.clear(orgId, userId, claim.keys);
    // More were waiting than one digest takes: the rest go in the next digest of the person's
    // period, not at once (a busy org must not turn a daily digest into an email every sweep).
    if (waiting.length >= TAKEN)
      await deps.due.add({ kind: DIGEST_DUE_KIND, orgId, ref: userId, dueAt: nextDigestAt(pref, now) });
    return 'sent';
  };

  return async (limit = 200): Promise<Record<Outcome | 'failed', number>> => {
    const counts: Record<Outcome | 'failed', number> = {
      sent: 0,
      already_sent: 0,
      busy: 0,
      nothing: 0,
      skipped: 0,
      failed: 0,
    };
    const due = await deps.due.due(DIGEST_DUE_KIND, deps.clock.now(), limit);
    for (const entry of due) {
      try {
        const outcome = await sendOne(entry.orgId, entry.ref, entry.dueAt);
        counts[outcome]++;
        // A busy digest stays indexed: its holder finishes it, or the next sweep takes it over.
        if (outcome !== 'busy') await deps.due.remove(entry);
      } catch (error) {
        // Left in the index: the next sweep tries again (after the lease if the email went out unmarked).
        counts.failed++;
        logger.warn('A digest could not be sent', { tenantId: entry.orgId, error: error as Error });
      }
    }
    return counts;
  };
}
