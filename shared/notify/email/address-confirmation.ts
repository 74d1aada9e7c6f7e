import { createHash, randomBytes } from 'node:crypto';
import { auditBySystem } from '../../audit/audit-record';
import { NotFoundError } from '../../errors';
import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { Mailer } from '../../ports/mailer';
import type { OrgStore, UserStore } from '../../ports/stores';
import { escapeHtml } from '../render/html';
import type { AddressConfirmationStore, MailSuppressionStore } from './ports';
import { ORG_MAIL_TAG } from './suppressions';

const TOKEN_PREFIX = 'hubconf_';
const TOKEN_SHAPE = /^hubconf_[A-Za-z0-9_-]{43}$/;
/** A confirmation link works this long. */
export const CONFIRMATION_TOKEN_DAYS = 7;
/** At most one confirmation email per address (per org) this often. */
export const CONFIRMATION_RESEND_MS = 86_400_000;

export const hashConfirmationToken = (token: string): string =>
  createHash('sha256').update(token).digest('hex');
export const isWellFormedConfirmationToken = (token: unknown): token is string =>
  typeof token === 'string' && TOKEN_SHAPE.test(token);
export const confirmationUrl = (publicUrl: string, token: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/email-confirmations?token=${encodeURIComponent(token)}`;

/**
 * Where an address of a rule stands: `user` (a hub user of the org: their preferences apply, no
 * confirmation), `confirmed`, `pending` (asked, not yet confirmed), `suppressed` (bounced,
 * complained or unsubscribed: never asked again by a rule edit). Email goes to `user` and
 * `confirmed` addresses only.
 */
export type AddressState = 'user' | 'confirmed' | 'pending' | 'suppressed';

export interface AddressConfirmationDeps {
  readonly confirmations: AddressConfirmationStore;
  readonly suppressions: Pick<MailSuppressionStore, 'suppressed'>;
  readonly users: Pick<UserStore, 'findByEmail'>;
  readonly clock: Clock;
}

/** The state of each address (lower-cased), as rule responses and the rule test show it. */
export async function addressStates(
  deps: AddressConfirmationDeps,
  orgId: string,
  addresses: readonly string[],
): Promise<Map<string, AddressState>> {
  const unique = [...new Set(addresses.map((a) => a.toLowerCase()))];
  if (unique.length === 0) return new Map();
  const [users, suppressed, known] = await Promise.all([
    Promise.all(unique.map((a) => deps.users.findByEmail(orgId, a))),
    deps.suppressions.suppressed(orgId, unique),
    deps.confirmations.states(orgId, unique),
  ]);
  const states = new Map<string, AddressState>();
  unique.forEach((address, i) => {
    if (users[i]) states.set(address, 'user');
    else if (suppressed.has(address)) states.set(address, 'suppressed');
    else states.set(address, known.get(address)?.state === 'confirmed' ? 'confirmed' : 'pending');
  });
  return states;
}

export interface RequestConfirmationDeps extends AddressConfirmationDeps {
  readonly mailer: Mailer;
  /** Where the hub's API is reached from outside (the link points there). */
  readonly publicUrl: string;
  readonly orgName: (orgId: string) => Promise<string | null>;
  /**
   * Takes one email of the org's daily quota for a confirmation (false: none left today, so it is
   * not sent and the address stays pending); without it, confirmations are not counted.
   */
  readonly takeQuota?: (orgId: string, address: string, at: Date) => Promise<boolean>;
}

/**
 * Sends each bare address of a rule that is not yet confirmed one confirmation email — not to a
 * user of the org, nor a suppressed address, nor one asked within the last day — with a signed,
 * single-use, expiring link; its token is stored by its hash only. Answers the addresses asked.
 */
export function makeRequestConfirmations(deps: RequestConfirmationDeps) {
  return async (
    orgId: string,
    addresses: readonly string[],
    request: { requestId: string; actor: string },
  ): Promise<string[]> => {
    const states = await addressStates(deps, orgId, addresses);
    const asked: string[] = [];
    for (const [address, state] of states) {
      if (state !== 'pending') continue;
      const at = deps.clock.now();
      // Asked within the day: nothing to send, nothing to count.
      const last = (await deps.confirmations.states(orgId, [address])).get(address);
      if (last && Date.parse(last.requestedAt) > at.getTime() - CONFIRMATION_RESEND_MS) continue;
      if (deps.takeQuota && !(await deps.takeQuota(orgId, address, at))) {
        logger.warn('No email of the daily quota left for an address confirmation', { tenantId: orgId });
        continue;
      }
      const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const fresh = await deps.confirmations.request(
        orgId,
        address,
        hashConfirmationToken(token),
        at,
        new Date(at.getTime() + CONFIRMATION_TOKEN_DAYS * 86_400_000),
        new Date(at.getTime() - CONFIRMATION_RESEND_MS),
        auditBySystem({
          action: 'mail_address.confirmation_sent',
          actor: request.actor,
          orgId,
          targets: [{ type: 'mail_address', id: address }],
          requestId: request.requestId,
          at,
        }),
      );
      if (!fresh) continue;
      const orgName = (await deps.orgName(orgId)) ?? 'an organisation';
      const link = confirmationUrl(deps.publicUrl, token);
      try {
        await deps.mailer.send({
          to: address,
          subject: `Confirm notification emails from ${orgName}`.replace(/[\r\n\t]+/g, ' ').slice(0, 200),
          text: `A notification rule of ${orgName} would send emails to this address.\n\nTo receive them, confirm within ${CONFIRMATION_TOKEN_DAYS} days:\n${link}\n\nIf you did not expect this, ignore this email: nothing is sent to you unless you confirm.\n`,
          html: `<p>A notification rule of ${escapeHtml(orgName)} would send emails to this address.</p><p><a href="${escapeHtml(link)}">Confirm</a> within ${CONFIRMATION_TOKEN_DAYS} days to receive them.</p><p>If you did not expect this, ignore this email: nothing is sent to you unless you confirm.</p>`,
          tags: { [ORG_MAIL_TAG]: orgId },
        });
        asked.push(address);
      } catch (error) {
        // The address stays pending; the next rule edit after a day asks again.
        logger.warn('Could not send an address confirmation', { tenantId: orgId, error: error as Error });
      }
    }
    return asked;
  };
}

/** What a confirmation link confirms, for its page; null when unknown, spent, expired, or its org gone. */
export async function resolveConfirmation(
  deps: { confirmations: Pick<AddressConfirmationStore, 'findToken'>; orgs: Pick<OrgStore, 'get'> },
  token: unknown,
): Promise<{ orgId: string; address: string; orgName: string } | null> {
  if (!isWellFormedConfirmationToken(token)) return null;
  const subject = await deps.confirmations.findToken(hashConfirmationToken(token));
  if (!subject) return null;
  const org = await deps.orgs.get(subject.orgId);
  if (!org || org.status === 'deleted') return null;
  return { ...subject, orgName: org.name };
}

/** Spends a confirmation link: its address gets the org's notification emails from now on (audited). */
export function makeConfirmAddress(deps: {
  confirmations: AddressConfirmationStore;
  orgs: Pick<OrgStore, 'get'>;
  clock: Clock;
}) {
  return async (
    token: unknown,
    request: { requestId: string },
  ): Promise<{ orgName: string; address: string }> => {
    const found = await resolveConfirmation(deps, token);
    if (!found || !isWellFormedConfirmationToken(token))
      throw new NotFoundError('This confirmation link is unknown, already used or has expired');
    const at = deps.clock.now();
    const confirmed = await deps.confirmations.confirm(hashConfirmationToken(token), at, (subject) =>
      auditBySystem({
        action: 'mail_address.confirmed',
        actor: 'confirmation-link',
        orgId: subject.orgId,
        targets: [{ type: 'mail_address', id: subject.address }],
        requestId: request.requestId,
        at,
      }),
    );
    if (!confirmed) throw new NotFoundError('This confirmation link is unknown, already used or has expired');
    return { orgName: found.orgName, address: confirmed.address };
  };
}
