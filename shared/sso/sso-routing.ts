import * as z from 'zod';
import { NotFoundError } from '../errors';
import type { SsoConnection, SsoConnectionStore } from './connections';
import type { DomainStore } from './domains';

export const StartSignInQuery = z
  .object({
    email: z
      .string()
      .trim()
      .toLowerCase()
      .max(320)
      .regex(/^[^\s@]{1,64}@[^\s@]{1,253}$/, 'an email address'),
    connectionId: z
      .string()
      .regex(/^sso_[0-9A-HJKMNP-TV-Z]{26}$/)
      .optional(),
  })
  .strict();

/**
 * Where a sign-in with this address goes: the org holding the address's verified domain, and its
 * enabled connection (the one named, when the org has several). Unknown and unverified domains
 * answer alike, so the answer tells no one which domains an org holds but not yet proved.
 */
export async function routeSignIn(
  deps: { domains: Pick<DomainStore, 'orgOf'>; connections: Pick<SsoConnectionStore, 'list'> },
  email: string,
  connectionId?: string,
): Promise<SsoConnection> {
  const domain = email.slice(email.lastIndexOf('@') + 1);
  const orgId = await deps.domains.orgOf(domain);
  const none = new NotFoundError(`No organisation signs in ${domain} addresses with SSO`);
  if (!orgId) throw none;
  const { items } = await deps.connections.list(orgId, { limit: 10 });
  const enabled = items.filter((c) => c.enabled && (!connectionId || c.id === connectionId));
  // The oldest enabled connection, unless one is named: a stable choice while an org moves IdPs.
  const chosen = enabled.sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
  if (!chosen) throw none;
  return chosen;
}
