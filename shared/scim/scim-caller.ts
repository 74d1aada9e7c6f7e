import type { RequestContext } from '../audit/audit-record';
import type { Principal } from '../identity/principal';
import type { Org } from '../tenancy/org';

/** Who calls the SCIM service: an org's IdP, by one of its SCIM tokens; every change it makes is audited as `scim`. */
export interface ScimCaller {
  readonly org: Org;
  /** The token, as the trail names it (an org member's API credential with no role of its own in /v1). */
  readonly principal: Principal;
  readonly request: RequestContext;
  /** `https://<host>/scim/v2`, for `meta.location` and `$ref`. */
  readonly baseUrl: string;
}

/** A SCIM response before it is written: status, body and headers (the content type is added by the handler). */
export interface ScimResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}
