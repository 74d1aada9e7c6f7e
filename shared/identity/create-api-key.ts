import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { RoleGuard } from '../authz/role-guard';
import { NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { ApiKeyStore, OrgStore } from '../ports/stores';
import { PLANS } from '../tenancy/plans';
import { requireOrg } from '../tenancy/require-org';
import type { ApiKey } from './api-key';
import { generateApiKey, hashApiKey, maskApiKey } from './api-key-format';
import type { RoleRef } from './permissions';
import type { Principal } from './principal';

export interface CreateApiKeyInput {
  readonly name: string;
  readonly role: RoleRef;
  readonly expiresAt?: string | undefined;
  /** `me`: a personal key of the calling user; `org` (the default): the org's. */
  readonly owner?: 'org' | 'me' | undefined;
}

/** Issues an org API key. The key is returned once; only its hash is stored. */
export function makeCreateApiKey(deps: {
  orgs: OrgStore;
  keys: ApiKeyStore;
  clock: Clock;
  mayGrant: RoleGuard;
}) {
  return async (
    orgId: string,
    input: CreateApiKeyInput,
    principal: Principal,
    request: RequestContext,
  ): Promise<{ apiKey: ApiKey; key: string }> => {
    const org = await requireOrg(deps.orgs, orgId);
    await deps.mayGrant(orgId, principal, input.role, 'create a key');
    if (input.owner === 'me' && !(principal.kind === 'org_member' && principal.type === 'user')) {
      throw new ValidationError('Only a signed-in user can create a personal key', [
        { path: 'owner', message: 'needs a user token' },
      ]);
    }
    const at = deps.clock.now();
    if (input.expiresAt !== undefined && new Date(input.expiresAt) <= at) {
      throw new ValidationError('expiresAt must be in the future', [
        { path: 'expiresAt', message: 'in the past' },
      ]);
    }
    const key = generateApiKey();
    const apiKey: ApiKey = {
      id: newId('key'),
      orgId,
      name: input.name,
      role: input.role,
      display: maskApiKey(key),
      createdAt: at.toISOString(),
      createdBy: principal.id,
      ownerUserId: input.owner === 'me' ? principal.id : null,
      expiresAt: input.expiresAt ?? null,
      status: 'active',
    };
    const audit = auditChange({
      action: 'api_key.created',
      principal,
      orgId,
      targets: [{ type: 'api_key', id: apiKey.id }],
      request,
      at,
      after: {
        name: apiKey.name,
        role: apiKey.role,
        expiresAt: apiKey.expiresAt,
        ownerUserId: apiKey.ownerUserId,
      },
    });
    await deps.keys.create(apiKey, hashApiKey(key), audit, {
      resource: 'apiKeys',
      limit: PLANS[org.plan].apiKeys,
    });
    return { apiKey, key };
  };
}

/** Revokes an org API key: it stops authenticating once the authorizer's cache entry expires (seconds). */
export function makeRevokeApiKey(deps: { keys: ApiKeyStore; clock: Clock; mayGrant: RoleGuard }) {
  return async (
    orgId: string,
    keyId: string,
    principal: Principal,
    request: RequestContext,
  ): Promise<void> => {
    const target = await deps.keys.get(orgId, keyId);
    if (target) await deps.mayGrant(orgId, principal, target.role, 'revoke a key');
    const at = deps.clock.now();
    const audit = auditChange({
      action: 'api_key.revoked',
      principal,
      orgId,
      targets: [{ type: 'api_key', id: keyId }],
      request,
      at,
      before: { status: 'active' },
      after: { status: 'revoked' },
    });
    await deps.keys.revoke(orgId, keyId, at.toISOString(), audit);
  };
}

/** How long a rotated-out key keeps working by default, and at most. */
export const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
export const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

/**
 * Rotates a key: a new key with the same name, role and expiry is shown once, and the old one keeps
 * working for the overlap window, so clients can switch without an outage.
 */
export function makeRotateApiKey(deps: { keys: ApiKeyStore; clock: Clock; mayGrant: RoleGuard }) {
  return async (
    orgId: string,
    keyId: string,
    overlapSeconds: number,
    principal: Principal,
    request: RequestContext,
  ): Promise<{ apiKey: ApiKey; key: string; previousExpiresAt: string }> => {
    const current = await deps.keys.get(orgId, keyId);
    if (current?.status !== 'active' || current.rotatedTo) {
      throw new NotFoundError(`No active API key ${keyId} that has not been rotated`);
    }
    await deps.mayGrant(orgId, principal, current.role, 'rotate a key');
    const at = deps.clock.now();
    const key = generateApiKey();
    const apiKey: ApiKey = {
      ...current,
      id: newId('key'),
      display: maskApiKey(key),
      createdAt: at.toISOString(),
      createdBy: principal.id,
      status: 'active',
      rotatedTo: undefined,
      lastUsedAt: undefined,
      lastUsedIp: undefined,
    };
    const previousExpiresAt = new Date(at.getTime() + overlapSeconds * 1000).toISOString();
    const audit = auditChange({
      action: 'api_key.rotated',
      principal,
      orgId,
      targets: [
        { type: 'api_key', id: keyId },
        { type: 'api_key', id: apiKey.id },
      ],
      request,
      at,
      before: { expiresAt: current.expiresAt },
      after: { expiresAt: previousExpiresAt, replacedBy: apiKey.id },
    });
    await deps.keys.rotate(orgId, keyId, apiKey, hashApiKey(key), previousExpiresAt, audit);
    return { apiKey, key, previousExpiresAt };
  };
}
