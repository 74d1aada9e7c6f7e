import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { RoleGuard } from '../authz/role-guard';
import type { Principal } from '../identity/principal';
import type { ScimToken } from '../identity/scim-token';
import { MAX_SCIM_TOKENS_PER_ORG } from '../identity/scim-token';
import { generateScimToken, hashScimToken, maskScimToken } from '../identity/scim-token-format';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { OrgStore, Page, PageRequest, ScimTokenStore } from '../ports/stores';
import { requireOrg } from '../tenancy/require-org';

/** Issues, lists and revokes an org's SCIM tokens: each is shown once, and only its hash is kept. */
export function makeScimTokens(deps: {
  orgs: OrgStore;
  tokens: ScimTokenStore;
  clock: Clock;
  /** A SCIM token manages users and teams as an admin would: only a caller who holds as much issues one. */
  mayGrant: RoleGuard;
}) {
  return {
    async create(
      orgId: string,
      input: { name: string },
      principal: Principal,
      request: RequestContext,
    ): Promise<ScimToken & { token: string }> {
      await requireOrg(deps.orgs, orgId);
      await deps.mayGrant(orgId, principal, 'admin', 'issue a SCIM token, which acts as an admin');
      const at = deps.clock.now();
      const token = generateScimToken();
      const stored: ScimToken = {
        id: newId('scim'),
        orgId,
        name: input.name,
        display: maskScimToken(token),
        createdAt: at.toISOString(),
        createdBy: principal.id,
        status: 'active',
      };
      const audit = auditChange({
        action: 'scim_token.created',
        principal,
        orgId,
        targets: [{ type: 'scim_token', id: stored.id }],
        request,
        at,
        after: { name: stored.name },
      });
      await deps.tokens.create(stored, hashScimToken(token), audit, MAX_SCIM_TOKENS_PER_ORG);
      return { ...stored, token };
    },

    list(orgId: string, page: PageRequest): Promise<Page<ScimToken>> {
      return deps.tokens.list(orgId, page);
    },

    /** Revokes a token: its lookup is deleted, so the SCIM service refuses it on the next request. */
    async revoke(orgId: string, tokenId: string, principal: Principal, request: RequestContext) {
      const at = deps.clock.now();
      const audit = auditChange({
        action: 'scim_token.revoked',
        principal,
        orgId,
        targets: [{ type: 'scim_token', id: tokenId }],
        request,
        at,
        before: { status: 'active' },
        after: { status: 'revoked' },
      });
      await deps.tokens.revoke(orgId, tokenId, at.toISOString(), audit);
    },
  };
}

export type ScimTokens = ReturnType<typeof makeScimTokens>;
