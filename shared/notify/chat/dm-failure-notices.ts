import { approvalOf } from '../../approvals/events';
import type { ChatCard, ChatClient } from '../../chat/model';
import type { UsedTokens } from '../../chat/ports';
import type { CanonicalEvent } from '../../events/canonical-event';
import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { Mailer } from '../../ports/mailer';
import type { UserStore } from '../../ports/stores';
import type { MailSuppressionStore } from '../email/ports';
import type { NotificationRuleStore } from '../rules/ports';
import type { RuleCreator } from '../rules/rule';
import type { ChatTarget } from './chat-recipients';
import { userOfConversation } from './chat-recipients';

/** A DM the notify system could not open, for the people who asked for it. */
export interface UndeliverableDm {
  readonly orgId: string;
  readonly target: ChatTarget;
  /** Why, as the delivery records it (short, secret-free). */
  readonly reason: string;
  /** The event it was for: an approval's requester asked for it too. */
  readonly event?: CanonicalEvent;
}

/** Tells whoever asked for a DM that could not be opened: at most once per destination a day. */
export interface DmFailureNotices {
  notice(dm: UndeliverableDm): Promise<void>;
}

export interface DmFailureNoticeDeps {
  /** The org's enabled rules: those whose destination is the DM are who asked for it. */
  readonly rules: Pick<NotificationRuleStore, 'listEnabled'>;
  readonly users: Pick<UserStore, 'get'>;
  /** Once per key until it expires (a conditional write): one notice per destination a day. */
  readonly once: UsedTokens;
  /** Each chat provider's client: a reply where the rule was asked for, when it was in a chat. */
  readonly clients: Readonly<Record<string, ChatClient>>;
  /** Email otherwise (or when that reply cannot go). */
  readonly mailer?: Mailer;
  readonly suppressions?: Pick<MailSuppressionStore, 'suppressed'>;
  /** For people: the provider's display name. */
  readonly providerName: (provider: string) => string;
  /** What to do about it, by provider (`ChatPart.undeliverableDmFix`), when the provider says. */
  readonly dmFix?: (provider: string) => string | undefined;
  readonly clock: Clock;
}

const DAY_MS = 86_400_000;
const dayOf = (at: Date) => at.toISOString().slice(0, 10);
const endOfDay = (at: Date) => new Date(Date.parse(`${dayOf(at)}T00:00:00.000Z`) + DAY_MS);

/** What a person can do about it when the provider does not say (the app must reach the user's personal scope). */
const genericFix = (name: string) =>
  `Ask them to open or install the hub app in ${name} for themselves, and make sure they are a member of the connected installation; the next notification then goes through.`;

/**
 * The notices of undeliverable DMs: the rules of the org naming the DM as a destination say who
 * asked (their creators), and so does an approval asked by a person (its requester); each is told once per destination per day (a claim keyed by the org,
 * connection, conversation and UTC day), with the reason and the fix. Told in the conversation the
 * rule was asked for in (the bot's `subscribe`) when there is one and the reply goes, by email
 * through the mailer otherwise (never to a suppressed address). Best effort: a failure here never
 * changes the delivery's outcome.
 */
export function makeDmFailureNotices(deps: DmFailureNoticeDeps): DmFailureNotices {
  const tell = async (
    dm: UndeliverableDm,
    creator: RuleCreator,
    what: string,
    forWhom: string,
  ): Promise<'chat' | 'email' | 'none'> => {
    const name = deps.providerName(dm.target.provider);
    const fix = deps.dmFix?.(dm.target.provider) ?? genericFix(name);
    const text = `The hub could not open a ${name} direct message to ${forWhom} for ${what}: ${dm.reason}. ${fix}`;
    const where = creator.askedIn;
    const client = where ? deps.clients[where.provider] : undefined;
    let told: 'chat' | 'none' = 'none';
    if (where && client && !userOfConversation(where.conversation)) {
      // The conversation is shared: it is told that a DM failed and the fix, never whose DM nor
      // which rule or approval (its members are not all the rule's creator); the email says which.
      const card: ChatCard = {
        title: `A ${name} direct message could not be delivered`,
        text: `The hub could not open a ${name} direct message a notification rule or approval request asked for: ${dm.reason}. ${fix} Which one is in the email sent to whoever asked.`,
        tone: 'warning',
        fallback: `The hub could not open a ${name} direct message.`,
      };
      const posted = await client
        .post({ orgId: dm.orgId, connectionId: where.connectionId }, where.conversation, card)
        .catch(() => ({ ok: false as const, error: 'the chat client failed' }));
      if (posted.ok) told = 'chat';
    }
    if (!deps.mailer || !creator.userId) return told;
    const user = await deps.users.get(dm.orgId, creator.userId);
    if (user?.status !== 'active' || !user.email) return told;
    const address = user.email.toLowerCase();
    if ((await deps.suppressions?.suppressed(dm.orgId, [address]))?.has(address)) return told;
    await deps.mailer.send({
      to: user.email,
      subject: `A ${name} direct message could not be delivered`,
      text: `${text}\n\nYou get this at most once a day for this destination.`,
      tags: { orgId: dm.orgId, kind: 'dm-failure-notice' },
    });
    return told === 'chat' ? 'chat' : 'email';
  };

  return {
    async notice(dm) {
      try {
        const at = deps.clock.now();
        const rules = (await deps.rules.listEnabled(dm.orgId)).filter((rule) =>
          rule.destinations.some(
            (d) =>
              d.kind === 'chat' &&
              d.connectionId === dm.target.connectionId &&
              d.conversation === dm.target.conversation,
          ),
        );
        // Who asked: the rules' creators, and an approval's requester when a person asked it.
        const asked: { creator: RuleCreator; what: string }[] = rules.flatMap((r) =>
          r.createdBy
            ? [{ creator: r.createdBy, what: `your notification rule "${r.name.slice(0, 200)}"` }]
            : [],
        );
        const approval = dm.event ? approvalOf(dm.event) : null;
        if (approval?.requestedBy.type === 'user')
          asked.push({
            creator: { userId: approval.requestedBy.id, name: approval.requestedBy.name },
            what: `your approval request "${approval.question.slice(0, 200)}"`,
          });
        if (asked.length === 0) return;
        const key = `dm-notice:${dm.orgId}:${dm.target.connectionId}:${dm.target.conversation}:${dayOf(at)}`;
        if (!(await deps.once.claim(key, endOfDay(at)))) return;
        const dmUserId = userOfConversation(dm.target.conversation);
        const dmUser = dmUserId ? await deps.users.get(dm.orgId, dmUserId) : null;
        const forWhom = dmUser?.name ?? dmUserId ?? 'a user';
        // One notice per person, whichever of their rules named the DM.
        const byPerson = new Map<string, { creator: RuleCreator; what: string }>();
        for (const one of asked) {
          const who = one.creator.userId ?? `name:${one.creator.name}`;
          if (!byPerson.has(who)) byPerson.set(who, one);
        }
        for (const { creator, what } of byPerson.values()) {
          const how = await tell(dm, creator, what, forWhom);
          logger.info('Told who asked for a DM that could not be opened', {
            tenantId: dm.orgId,
            connectionId: dm.target.connectionId,
            provider: dm.target.provider,
            how,
          });
        }
      } catch (error) {
        logger.warn('Could not tell who asked for an undeliverable DM', {
          tenantId: dm.orgId,
          connectionId: dm.target.connectionId,
          error: (error as { name?: string }).name ?? 'Error',
        });
      }
    },
  };
}
