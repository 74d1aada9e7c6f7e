import { createHash } from 'node:crypto';
import type { AuditRecord, RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { NotFoundError } from '../errors';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';

/**
 * Which IdP subject (OIDC `sub`, SAML NameID) is which hub user, per connection. Users are found
 * by email, and an IdP's admin can put any address of the org's domains on anyone: so the first
 * sign-in through a connection binds the subject to the user, and later ones must agree — the
 * subject signs in as that user only, and that user only through that subject. An org admin
 * resets a binding (a person's IdP account was replaced, or the IdP renamed them).
 */
export interface SubjectBinding {
  readonly orgId: string;
  readonly connectionId: string;
  readonly userId: string;
  /** SHA-256 of the subject: bindings are compared, never read back as an IdP identifier. */
  readonly subjectHash: string;
  readonly boundAt: string;
}

export interface SubjectBindingStore {
  /** The binding of an IdP subject (by its hash) through a connection. */
  bySubject(orgId: string, connectionId: string, subjectHash: string): Promise<SubjectBinding | null>;
  /** The binding of a hub user through a connection. */
  ofUser(orgId: string, connectionId: string, userId: string): Promise<SubjectBinding | null>;
  /** Binds both ways at once, with its audit record; false when the subject or the user is bound already. */
  bind(binding: SubjectBinding, audit: AuditRecord): Promise<boolean>;
  /** Removes the user's binding (both ways) with its audit record; false when there was none. */
  unbind(orgId: string, connectionId: string, userId: string, audit: AuditRecord): Promise<boolean>;
  /** Removes every binding of a deleted connection (its deletion is the audit record). */
  forgetConnection(orgId: string, connectionId: string): Promise<void>;
}

const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

export const subjectHashOf = (subject: string) => createHash('sha256').update(subject).digest('base64url');

/**
 * What a sign-in binds: the IdP's stable name for the person — OIDC `sub`, the SAML NameID (a
 * persistent one, or whatever stable format the IdP sends). A transient NameID names one session
 * only: nothing can be bound to it, so such a sign-in is matched by email alone.
 */
export function bindableSubject(identity: { subject: string; nameIdFormat?: string | undefined }) {
  if (!identity.subject || identity.nameIdFormat === TRANSIENT) return null;
  return identity.subject;
}

/** The admin's side: resetting a user's binding so their next sign-in binds afresh. */
export function makeSubjectBindings(deps: { store: SubjectBindingStore; clock: Clock }) {
  return {
    async reset(
      orgId: string,
      connectionId: string,
      userId: string,
      principal: Principal,
      request: RequestContext,
    ): Promise<void> {
      const removed = await deps.store.unbind(
        orgId,
        connectionId,
        userId,
        auditChange({
          action: 'sso_subject.unbound',
          principal,
          orgId,
          targets: [
            { type: 'sso_connection', id: connectionId },
            { type: 'user', id: userId },
          ],
          request,
          at: deps.clock.now(),
        }),
      );
      if (!removed) throw new NotFoundError(`User ${userId} has no subject bound through ${connectionId}`);
    },
    /** After a connection's deletion: its bindings go with it. */
    forgetConnection: (orgId: string, connectionId: string) =>
      deps.store.forgetConnection(orgId, connectionId),
  };
}

export type SubjectBindings = ReturnType<typeof makeSubjectBindings>;
