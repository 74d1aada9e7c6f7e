import { versionOf } from './etag';
import type { ScimUserInput } from './schema';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from './schema';
import { ScimError } from './scim-error';

/** What the hub keeps of a provisioned user beside its hub user: the IdP's profile, as sent. */
export interface ScimUserProfile {
  readonly userId: string;
  readonly orgId: string;
  readonly profile: Omit<ScimUserInput, 'active'>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A group a User belongs to, as its read-only `groups` attribute shows it (RFC 7643 §4.1.2). */
export interface ScimGroupRef {
  readonly value: string;
  readonly display: string;
  readonly $ref: string;
  readonly type: 'direct';
}

/** The hub user's side a SCIM User shows: `active` is the hub user's status, never a stored copy. */
export interface HubSide {
  readonly id: string;
  readonly status: 'active' | 'deactivated';
  /** The teams the user is a direct member of. */
  readonly groups?: readonly ScimGroupRef[];
}

/** The SCIM User resource of a provisioned user, with its `meta.version` (an ETag of its content). */
export function userResource(
  stored: ScimUserProfile,
  hub: HubSide,
  baseUrl: string,
): Record<string, unknown> & { meta: Record<string, string> & { version: string } } {
  const { [ENTERPRISE_USER_SCHEMA]: enterprise, ...core } = stored.profile;
  const content: Record<string, unknown> = {
    schemas: enterprise ? [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] : [USER_SCHEMA],
    id: hub.id,
    ...core,
    ...(enterprise ? { [ENTERPRISE_USER_SCHEMA]: enterprise } : {}),
    active: hub.status === 'active',
    ...(hub.groups && hub.groups.length > 0 ? { groups: hub.groups } : {}),
  };
  return {
    ...content,
    meta: {
      resourceType: 'User',
      created: stored.createdAt,
      lastModified: stored.updatedAt,
      location: `${baseUrl}/Users/${hub.id}`,
      version: versionOf(content),
    },
  };
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/**
 * The hub user's email and name from a SCIM profile: the primary email (else a work one, else the
 * first), or the userName when it is an address (Okta's and Entra's usual userName, the UPN).
 */
export function hubIdentityOf(input: ScimUserInput): { email: string; name: string } {
  const emails = input.emails ?? [];
  const chosen =
    emails.find((e) => e.primary === true) ??
    emails.find((e) => e.type?.toLowerCase() === 'work') ??
    emails[0];
  const email = chosen?.value ?? input.userName;
  if (!EMAIL.test(email)) {
    throw new ScimError(
      400,
      'A user needs an email address (emails, or a userName that is one)',
      'invalidValue',
    );
  }
  const given = [input.name?.givenName, input.name?.familyName].filter(Boolean).join(' ');
  const name = input.displayName || input.name?.formatted || given || input.userName;
  return { email: email.toLowerCase(), name: name.slice(0, 200) };
}
