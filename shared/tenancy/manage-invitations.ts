import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { RoleGuard } from '../authz/role-guard';
import { ConflictError, ForbiddenError, GoneError, NotFoundError } from '../errors';
import type { RoleRef } from '../identity/permissions';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { SecretCipher } from '../ports/secret-cipher';
import type { InvitationStore, OrgStore, PageRequest } from '../ports/stores';
import type { Invitation, InvitationMail, StoredInvitation } from './invitation';
import {
  generateInvitationToken,
  hashInvitationToken,
  INVITATION_VALID_DAYS,
  invitationTokenContext,
  isWellFormedInvitationToken,
  visibleStatus,
} from './invitation';
import { admittedEmail } from './manage-users';
import type { Org } from './org';
import { PLANS } from './plans';
import { requireOrg } from './require-org';
import type { User } from './user';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What a caller sees of an invitation: never the token or its hash. */
export function publicInvitation(invitation: StoredInvitation, now: Date): Invitation {
  const { tokenHash: _hidden, ...rest } = invitation;
  return { ...rest, status: visibleStatus(invitation, now) };
}

interface IssueDeps {
  readonly orgs: OrgStore;
  readonly invitations: InvitationStore;
  readonly cipher: SecretCipher;
  readonly clock: Clock;
  readonly mayGrant: RoleGuard;
}

/** A fresh token for the invitation, and the outbox email that will carry it. */
async function issue(
  deps: IssueDeps,
  org: Org,
  base: Omit<StoredInvitation, 'tokenHash' | 'expiresAt' | 'sendCount' | 'lastSentAt'>,
  sendCount: number,
  at: Date,
): Promise<{ invitation: StoredInvitation; mail: InvitationMail }> {
  const token = generateInvitationToken();
  const invitation: StoredInvitation = {
    ...base,
    tokenHash: hashInvitationToken(token),
    expiresAt: new Date(at.getTime() + INVITATION_VALID_DAYS * DAY_MS).toISOString(),
    sendCount,
    lastSentAt: null,
  };
  const mail: InvitationMail = {
    id: newId('mail'),
    orgId: org.id,
    orgName: org.name,
    invitationId: invitation.id,
    email: invitation.email,
    role: invitation.role,
    expiresAt: invitation.expiresAt,
    sendCount,
    // The sender needs the token itself; it waits encrypted and is removed once sent.
    tokenCiphertext: await deps.cipher.encrypt(token, invitationTokenContext(org.id, invitation.id)),
    sentAt: null,
  };
  return { invitation, mail };
}

/** Invites someone by email: the token goes out by email (through the outbox), never in the response. */
export function makeInviteUser(deps: IssueDeps) {
  return async (
    orgId: string,
    input: { email: string; role?: RoleRef | undefined },
    principal: Principal,
    request: RequestContext,
  ): Promise<Invitation> => {
    const org = await requireOrg(deps.orgs, orgId);
    const role = input.role ?? org.settings.defaultRole;
    await deps.mayGrant(orgId, principal, role, 'invite a user');
    const email = admittedEmail(org, input.email);
    const at = deps.clock.now();
    const { invitation, mail } = await issue(
      deps,
      org,
      {
        id: newId('inv'),
        orgId,
        email,
        role,
        status: 'pending',
        createdAt: at.toISOString(),
        createdBy: principal.id,
        acceptedUserId: null,
      },
      1,
      at,
    );
    const audit = auditChange({
      action: 'invitation.created',
      principal,
      orgId,
      targets: [{ type: 'invitation', id: invitation.id }],
      request,
      at,
      after: { email, role, expiresAt: invitation.expiresAt },
    });
    await deps.invitations.create(invitation, mail, audit);
    return publicInvitation(invitation, at);
  };
}

async function requirePending(invitations: InvitationStore, orgId: string, invitationId: string) {
  const invitation = await invitations.get(orgId, invitationId);
  if (!invitation) throw new NotFoundError(`No invitation ${invitationId}`);
  if (invitation.status !== 'pending') {
    throw new ConflictError(`Invitation ${invitationId} is ${invitation.status}`);
  }
  return invitation;
}

/** Sends a pending (or expired) invitation again with a new token; the old token stops working. */
export function makeResendInvitation(deps: IssueDeps) {
  return async (orgId: string, invitationId: string, principal: Principal, request: RequestContext) => {
    const org = await requireOrg(deps.orgs, orgId);
    const previous = await requirePending(deps.invitations, orgId, invitationId);
    await deps.mayGrant(orgId, principal, previous.role, 'resend an invitation');
    const at = deps.clock.now();
    const { tokenHash: _old, expiresAt: _expiry, sendCount, lastSentAt: _sent, ...base } = previous;
    const { invitation, mail } = await issue(
      deps,
      org,
      { ...base, updatedAt: at.toISOString() },
      sendCount + 1,
      at,
    );
    const audit = auditChange({
      action: 'invitation.resent',
      principal,
      orgId,
      targets: [{ type: 'invitation', id: invitationId }],
      request,
      at,
      before: { expiresAt: previous.expiresAt },
      after: { expiresAt: invitation.expiresAt, sendCount: invitation.sendCount },
    });
    await deps.invitations.reissue(invitation, previous, mail, audit);
    return publicInvitation(invitation, at);
  };
}

/** Revokes a pending invitation: its token stops working at once. */
export function makeRevokeInvitation(deps: {
  invitations: InvitationStore;
  clock: Clock;
  mayGrant: RoleGuard;
}) {
  return async (orgId: string, invitationId: string, principal: Principal, request: RequestContext) => {
    const previous = await requirePending(deps.invitations, orgId, invitationId);
    await deps.mayGrant(orgId, principal, previous.role, 'revoke an invitation');
    const at = deps.clock.now();
    const revoked: StoredInvitation = { ...previous, status: 'revoked', updatedAt: at.toISOString() };
    const audit = auditChange({
      action: 'invitation.revoked',
      principal,
      orgId,
      targets: [{ type: 'invitation', id: invitationId }],
      request,
      at,
      before: { status: 'pending' },
      after: { status: 'revoked' },
    });
    await deps.invitations.revoke(revoked, previous, audit);
    return publicInvitation(revoked, at);
  };
}

export function makeListInvitations(deps: { invitations: InvitationStore; clock: Clock }) {
  return async (orgId: string, page: PageRequest) => {
    const result = await deps.invitations.list(orgId, page);
    const now = deps.clock.now();
    return { items: result.items.map((i) => publicInvitation(i, now)), nextCursor: result.nextCursor };
  };
}

/**
 * Accepts an invitation with its token: the invitee becomes a user of the org with the invited
 * role. The token is spent in the same transaction, so it works once; an unknown, spent or revoked
 * token gets the same answer, so the endpoint reveals nothing to someone guessing.
 */
export function makeAcceptInvitation(deps: { orgs: OrgStore; invitations: InvitationStore; clock: Clock }) {
  return async (input: { token: string; name: string }, request: RequestContext): Promise<User> => {
    const invalid = () => new NotFoundError('The invitation is not valid, or was already used or revoked');
    if (!isWellFormedInvitationToken(input.token)) throw invalid();
    const tokenHash = hashInvitationToken(input.token);
    const pointer = await deps.invitations.findByTokenHash(tokenHash);
    if (!pointer) throw invalid();
    const invitation = await deps.invitations.get(pointer.orgId, pointer.invitationId);
    if (invitation?.status !== 'pending' || invitation.tokenHash !== tokenHash) throw invalid();
    const at = deps.clock.now();
    if (new Date(invitation.expiresAt) <= at) {
      throw new GoneError('The invitation has expired; ask for it to be sent again');
    }
    const org = await deps.orgs.get(invitation.orgId);
    if (org?.status !== 'active') throw new ForbiddenError('The organisation is not active');
    // The org's domain rule applies when the invitation is used, not only when it was sent.
    const email = admittedEmail(org, invitation.email);
    const user: User = {
      id: newId('usr'),
      orgId: org.id,
      email,
      name: input.name,
      role: invitation.role,
      status: 'active',
      createdAt: at.toISOString(),
      createdBy: invitation.createdBy,
    };
    const audit = auditChange({
      action: 'invitation.accepted',
      principal: {
        kind: 'org_member',
        type: 'user',
        id: user.id,
        name: email,
        orgId: org.id,
        role: user.role,
      },
      orgId: org.id,
      targets: [
        { type: 'invitation', id: invitation.id },
        { type: 'user', id: user.id },
      ],
      request,
      at,
      after: { email, role: user.role },
    });
    await deps.invitations.accept(
      { ...invitation, status: 'accepted', acceptedUserId: user.id, updatedAt: at.toISOString() },
      user,
      audit,
      { resource: 'users', limit: PLANS[org.plan].users },
    );
    return user;
  };
}
