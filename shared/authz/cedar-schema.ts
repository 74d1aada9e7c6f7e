import { PERMISSIONS } from '../identity/permissions';

/**
 * The Cedar schema org policies are validated against (strict mode), and the shapes the hub
 * builds each request in. Principals are users and API keys; the resource is what the route
 * addresses (the org itself when nothing narrower); the action is the route's permission.
 *
 * - a user is `in` the teams they belong to directly, and a team `in` its parent team and the org,
 *   so `principal in Hub::Team::"team_…"` holds for members of that team or of any team below it;
 * - `owner` of an API key is the id of the principal that created it (`resource.owner == principal.id`);
 * - `context.rbac` says whether the principal's role grants the action; the hub's base policy
 *   permits exactly then, so an org's `forbid` policies narrow the roles and its `permit` policies
 *   widen them.
 */
export const CEDAR_NAMESPACE = 'Hub';

const orgActions = PERMISSIONS.filter((p) => !p.startsWith('platform:'));

export const CEDAR_SCHEMA = `namespace ${CEDAR_NAMESPACE} {
  entity Org;
  entity Team in [Team, Org] = { name: String };
  entity User in [Team, Org] = { id: String, role: String, email: String };
  entity ApiKey in [Org] = { id: String, role: String, owner: String };
  entity Invitation in [Org];
  entity Connection in [Org];
  type RequestContext = {
    ip: __cedar::ipaddr,
    mfa: Bool,
    rbac: Bool,
    credential: String,
    operation: String,
    now: Long,
    hourUtc: Long,
    dayOfWeekUtc: Long,
  };
  action ${orgActions.map((a) => JSON.stringify(a)).join(', ')} appliesTo {
    principal: [User, ApiKey],
    resource: [Org, Team, User, ApiKey, Invitation, Connection],
    context: RequestContext,
  };
}
`;

/** The hub's own policy, evaluated with every org's: the role-based decision stands unless a policy says otherwise. */
export const BASE_POLICY_ID = 'hub-role-based-access';
export const BASE_POLICY = 'permit (principal, action, resource) when { context.rbac };';
