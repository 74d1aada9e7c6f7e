import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ForbiddenError, ValidationError } from '../errors';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { ApiKeyStore, OrgStore } from '../ports/stores';
import { PLANS } from '../tenancy/plans';
import { requireOrg } from '../tenancy/require-org';
import type { ApiKey } from './api-key';
import { generateApiKey, hashApiKey, maskApiKey } from './api-key-format';
import type { Role } from './permissions';
import { roleCovers } from './permissions';
import type { Principal } from './principal';

export interface CreateApiKeyInput {
  readonly name: string;
  readonly role: Role;
  readonly expiresAt?: string | undefined;
}

/** Issues an org API key. The key is returned once; only its hash is stored. */
export function makeCreateApiKey(deps: { orgs: OrgStore; keys: ApiKeyStore; clock: Clock }) {
  return async (
    orgId: string,
    input: CreateApiKeyInput,
    principal: Principal,
    request: RequestContext,
  ): Promise<{ apiKey: ApiKey; key: string }> => {
    if (principal.kind === 'org_member' && !roleCovers(principal.role, input.role)) {
      throw new ForbiddenError(
        `A ${principal.role} cannot create a key with the stronger role ${input.role}`,
      );
    }
    const org = await requireOrg(deps.orgs, orgId);
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
      after: { name: apiKey.name, role: apiKey.role, expiresAt: apiKey.expiresAt },
    });
    await deps.keys.create(apiKey, hashApiKey(key), audit, {
      resource: 'apiKeys',
      limit: PLANS[org.plan].apiKeys,
    });
    return { apiKey, key };
  };
}

/** Revokes an org API key: it stops authenticating once the authorizer's cache entry expires (seconds). */
export function makeRevokeApiKey(deps: { keys: ApiKeyStore; clock: Clock }) {
  return async (
    orgId: string,
    keyId: string,
    principal: Principal,
    request: RequestContext,
  ): Promise<void> => {
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
