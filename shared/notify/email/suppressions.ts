import * as z from 'zod';
import type { RequestContext } from '../../audit/audit-record';
import { auditBySystem, auditChange, onceAuditId } from '../../audit/audit-record';
import type { AccessDirectory } from '../../authz/access-directory';
import { ValidationError } from '../../errors';
import { permissionsOf } from '../../identity/permissions';
import type { Principal } from '../../identity/principal';
import { ID_PATTERN } from '../../ids';
import type { Clock } from '../../ports/clock';
import type { PageRequest } from '../../ports/stores';
import { zodIssues } from '../../validation';
import { oneLine } from '../render/describe-event';
import type { MailSuppression, MailSuppressionStore } from './ports';
import { SUPPRESSION_REASONS } from './ports';

/** The mail tag that names the org an email was sent for (SES returns it with the feedback). */
export const ORG_MAIL_TAG = 'orgId';

const Recipient = z.object({ emailAddress: z.string().min(3).max(320) }).loose();
/**
 * What SES publishes to EventBridge for a bounce or a complaint (event publishing through a
 * configuration set): `detail` is the event record, its `mail.tags` the message's tags as lists.
 */
const SesFeedbackEvent = z
  .object({
    source: z.literal('aws.ses'),
    'detail-type': z.enum(['Email Bounced', 'Email Complaint Received']),
    detail: z
      .object({
        eventType: z.enum(['Bounce', 'Complaint']),
        mail: z
          .object({
            messageId: z.string().max(200),
            tags: z.record(z.string(), z.array(z.string().max(256)).max(10)).optional(),
          })
          .loose(),
        bounce: z
          .object({
            bounceType: z.string().max(50),
            bounceSubType: z.string().max(50).optional(),
            bouncedRecipients: z.array(Recipient).max(50),
          })
          .loose()
          .optional(),
        complaint: z
          .object({
            complaintFeedbackType: z.string().max(50).optional(),
            complainedRecipients: z.array(Recipient).max(50),
          })
          .loose()
          .optional(),
      })
      .loose(),
  })
  .loose();

export interface MailFeedback {
  readonly orgId: string;
  readonly messageId: string;
  readonly reason: 'bounce' | 'complaint';
  readonly detail: string | null;
  readonly addresses: readonly string[];
}

const looksLikeAddress = (a: string) => /^[^\s@]{1,64}@[^\s@]{1,255}$/.test(a);

/**
 * The suppressions an SES feedback event calls for: a permanent bounce's or a complaint's
 * recipients, in the org the message's tag names. Null for feedback that suppresses nothing (a
 * transient bounce, mail the hub sent for no org); a ValidationError for what is not SES feedback.
 */
export function parseMailFeedback(event: unknown): MailFeedback | null {
  const parsed = SesFeedbackEvent.safeParse(event);
  if (!parsed.success)
    throw new ValidationError('Not a bounce or complaint event from SES', zodIssues(parsed.error));
  const { detail } = parsed.data;
  const orgId = detail.mail.tags?.[ORG_MAIL_TAG]?.[0];
  if (!orgId || !ID_PATTERN('org').test(orgId)) return null;
  const recipients =
    detail.eventType === 'Bounce'
      ? detail.bounce?.bounceType === 'Permanent'
        ? detail.bounce.bouncedRecipients
        : []
      : (detail.complaint?.complainedRecipients ?? []);
  const addresses = [
    ...new Set(recipients.map((r) => r.emailAddress.trim().toLowerCase()).filter(looksLikeAddress)),
  ];
  if (addresses.length === 0) return null;
  const detailText =
    detail.eventType === 'Bounce'
      ? (detail.bounce?.bounceSubType ?? null)
      : (detail.complaint?.complaintFeedbackType ?? null);
  return {
    orgId,
    messageId: detail.mail.messageId,
    reason: detail.eventType === 'Bounce' ? 'bounce' : 'complaint',
    detail: detailText === null ? null : oneLine(detailText, 50),
    addresses,
  };
}

/** Suppresses the feedback's addresses in its org; the same feedback twice suppresses and audits once. */
export function makeSuppressFromFeedback(deps: { suppressions: MailSuppressionStore; clock: Clock }) {
  return async (feedback: MailFeedback, requestId: string): Promise<number> => {
    const at = deps.clock.now();
    let suppressed = 0;
    for (const address of feedback.addresses) {
      const record = auditBySystem({
        action: 'mail_suppression.created',
        actor: 'mail-feedback',
        orgId: feedback.orgId,
        targets: [{ type: 'mail_address', id: address }],
        requestId,
        at,
        after: { reason: feedback.reason, detail: feedback.detail, messageId: feedback.messageId },
      });
      const fresh = await deps.suppressions.suppress(
        feedback.orgId,
        { address, reason: feedback.reason, detail: feedback.detail, suppressedAt: at.toISOString() },
        // One record per (message, address): redelivered feedback finds it written.
        { ...record, id: onceAuditId(at, `mail-feedback#${feedback.messageId}#${address}`) },
      );
      if (fresh) suppressed++;
    }
    return suppressed;
  };
}

export const MailSuppressionSchema = z
  .object({
    address: z
      .string()
      .describe('The address; masked (`a***@example.com`) for a caller without notifications:manage'),
    reason: z
      .enum(SUPPRESSION_REASONS)
      .describe(
        'bounce: a permanent bounce; complaint: marked as spam; unsubscribed: the unsubscribe link of an address that is no user',
      ),
    detail: z
      .string()
      .nullable()
      .describe("What the mail service said (the bounce's subtype, the complaint's feedback type)"),
    suppressedAt: z.iso.datetime(),
  })
  .meta({ id: 'MailSuppression' });

export const MailSuppressionPage = z
  .object({ items: z.array(MailSuppressionSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'MailSuppressionPage' });

/** `ada@example.com` → `a***@example.com`: enough to recognise, not to harvest. */
export const maskAddress = (address: string): string => {
  const at = address.lastIndexOf('@');
  return at <= 0 ? '***' : `${address.slice(0, 1)}***${address.slice(at)}`;
};

/**
 * The org's suppressed addresses: whole for a caller who may lift them (`notifications:manage`),
 * masked for one who may only read the notification settings.
 */
export function makeListSuppressions(deps: {
  suppressions: MailSuppressionStore;
  access?: Pick<AccessDirectory, 'get'>;
}) {
  return async (orgId: string, page: PageRequest, principal?: Principal) => {
    const found = await deps.suppressions.list(orgId, page);
    if (!principal || principal.kind === 'platform_admin') return found;
    const access = deps.access ? await deps.access.get(orgId) : undefined;
    if (permissionsOf(principal.role, access).includes('notifications:manage')) return found;
    return { ...found, items: found.items.map((s) => ({ ...s, address: maskAddress(s.address) })) };
  };
}

/** Lifts a suppression: email goes to the address again (until it bounces again). */
export function makeDeleteSuppression(deps: { suppressions: MailSuppressionStore; clock: Clock }) {
  return async (orgId: string, address: string, principal: Principal, request: RequestContext) => {
    const normalised = address.toLowerCase();
    await deps.suppressions.remove(
      orgId,
      normalised,
      auditChange({
        action: 'mail_suppression.deleted',
        principal,
        orgId,
        targets: [{ type: 'mail_address', id: normalised }],
        request,
        at: deps.clock.now(),
      }),
    );
  };
}

export type { MailSuppression };
