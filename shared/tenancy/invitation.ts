import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { RoleRefSchema } from '../identity/role-ref';

/** Days an invitation may be accepted in; a resend starts the period again. */
export const INVITATION_VALID_DAYS = 7;

/**
 * An invitation to join an org. Its token is a bearer credential: sent once by email, stored only
 * as a hash, single-use, expiring, and replaced (the old one dead) by every resend.
 */
export const InvitationSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    email: z.string(),
    role: RoleRefSchema,
    status: z
      .enum(['pending', 'accepted', 'revoked', 'expired'])
      .describe('`expired` is reported for a pending invitation past its expiry'),
    expiresAt: z.iso.datetime(),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    sendCount: z.number().int().min(1).describe('How many times a token was issued (creation and resends)'),
    lastSentAt: z.iso.datetime().nullable().describe('When the mailer last accepted the email, if yet'),
    acceptedUserId: z.string().nullable(),
    updatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Invitation' });

export type Invitation = z.infer<typeof InvitationSchema>;
export type StoredInvitation = Invitation & { readonly tokenHash: string };

/** The status a caller sees: a pending invitation past its expiry is expired. */
export function visibleStatus(invitation: Invitation, now: Date): Invitation['status'] {
  return invitation.status === 'pending' && new Date(invitation.expiresAt) <= now
    ? 'expired'
    : invitation.status;
}

const TOKEN_PREFIX = 'hubinv_';
const TOKEN_PATTERN = /^hubinv_[A-Za-z0-9_-]{43}$/;

/** A new invitation token: 256 random bits, so an unsalted SHA-256 is a safe stored form. */
export function generateInvitationToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function isWellFormedInvitationToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * An invitation email waiting to be sent: written with the invitation's change (a transactional
 * outbox), carrying the token encrypted under the org and invitation, removed once sent.
 */
export interface InvitationMail {
  readonly id: string;
  readonly orgId: string;
  readonly orgName: string;
  readonly invitationId: string;
  readonly email: string;
  readonly role: string;
  readonly expiresAt: string;
  readonly sendCount: number;
  readonly tokenCiphertext: string | null;
  readonly sentAt: string | null;
}

/** The encryption context that binds an invitation token's ciphertext to its invitation. */
export const invitationTokenContext = (orgId: string, invitationId: string) => ({
  orgId,
  invitationId,
  purpose: 'invitation-token',
});
