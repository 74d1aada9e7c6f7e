import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ConflictError, ForbiddenError, ValidationError } from '../errors';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { ApiKeyStore, PageRequest } from '../ports/stores';
import type { PlatformApiKey } from './api-key';
import { generateApiKey, hashApiKey, maskApiKey } from './api-key-format';
import type { Principal } from './principal';

/** The org id platform-wide records are filed under: the platform trail. */
export const PLATFORM_TRAIL = 'platform';

/** A platform key lives 90 days unless given a nearer expiry, and a year at most: it can do anything. */
export const DEFAULT_PLATFORM_KEY_DAYS = 90;
export const MAX_PLATFORM_KEY_DAYS = 365;
const DAY_MS = 24 * 3600 * 1000;

type Deps = { keys: ApiKeyStore; clock: Clock };

function requirePlatformAdmin(principal: Principal): void {
  if (principal.kind !== 'platform_admin')
    throw new ForbiddenError('Only a platform admin manages platform keys');
}

/** Issues a platform-admin API key, shown once, with an expiry; audited in the platform trail. */
export function makeCreatePlatformKey(deps: Deps) {
  return async (
    input: { name: string; expiresAt?: string | undefined },
    principal: Principal,
    request: RequestContext,
  ): Promise<{ apiKey: PlatformApiKey; key: string }> => {
    requirePlatformAdmin(principal);
    const at = deps.clock.now();
    const expiresAt = input.expiresAt
      ? new Date(input.expiresAt)
      : new Date(at.getTime() + DEFAULT_PLATFORM_KEY_DAYS * DAY_MS);
    if (expiresAt <= at) {
      throw new ValidationError('expiresAt must be in the future', [
        { path: 'expiresAt', message: 'in the past' },
      ]);
    }
    if (expiresAt.getTime() > at.getTime() + MAX_PLATFORM_KEY_DAYS * DAY_MS) {
      throw new ValidationError(`A platform key lives at most ${MAX_PLATFORM_KEY_DAYS} days`, [
        { path: 'expiresAt', message: `more than ${MAX_PLATFORM_KEY_DAYS} days away` },
      ]);
    }
    const key = generateApiKey();
    const apiKey: PlatformApiKey = {
      id: newId('key'),
      name: input.name,
      display: maskApiKey(key),
      createdAt: at.toISOString(),
      createdBy: principal.id,
      expiresAt: expiresAt.toISOString(),
      status: 'active',
    };
    const audit = auditChange({
      action: 'platform_api_key.created',
      principal,
      orgId: PLATFORM_TRAIL,
      targets: [{ type: 'platform_api_key', id: apiKey.id }],
      request,
      at,
      after: { name: apiKey.name, expiresAt: apiKey.expiresAt },
    });
    await deps.keys.issuePlatformKey(apiKey, hashApiKey(key), audit);
    return { apiKey, key };
  };
}

/** The platform keys, newest first (never the keys themselves). */
export function makeListPlatformKeys(deps: Pick<Deps, 'keys'>) {
  return async (page: PageRequest, principal: Principal) => {
    requirePlatformAdmin(principal);
    return deps.keys.listPlatformKeys(page);
  };
}

/** Revokes a platform key: it stops authenticating once the authorizer's cache entry expires (seconds). */
export function makeRevokePlatformKey(deps: Deps) {
  return async (keyId: string, principal: Principal, request: RequestContext): Promise<void> => {
    requirePlatformAdmin(principal);
    const at = deps.clock.now();
    // The installation must keep a way in: the last usable platform key stays until another exists.
    const usable = (await deps.keys.listPlatformKeys({ limit: 100 })).items.filter(
      (k) => k.status === 'active' && (k.expiresAt === null || new Date(k.expiresAt) > at),
    );
    if (usable.length === 1 && usable[0]?.id === keyId) {
      throw new ConflictError(
        'This is the last usable platform API key: issue another before revoking it, or no one could administer the hub',
      );
    }
    const audit = auditChange({
      action: 'platform_api_key.revoked',
      principal,
      orgId: PLATFORM_TRAIL,
      targets: [{ type: 'platform_api_key', id: keyId }],
      request,
      at,
      before: { status: 'active' },
      after: { status: 'revoked' },
    });
    await deps.keys.revokePlatformKey(keyId, at.toISOString(), audit);
  };
}
