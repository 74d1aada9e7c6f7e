import { auditChange } from '../audit/audit-record';
import { ForbiddenError } from '../errors';
import { newId } from '../ids';
import { logger } from '../observability/observability';
import type { Clock } from '../ports/clock';
import type { SessionRevoker } from '../ports/session-revoker';
import type { ScimUserStore, TeamStore, UserStore } from '../ports/stores';
import { admittedEmail } from '../tenancy/manage-users';
import type { Org } from '../tenancy/org';
import { PLANS } from '../tenancy/plans';
import type { TeamMembership } from '../tenancy/team';
import type { User } from '../tenancy/user';
import { ifMatchAdmits } from './etag';
import type { IndexedLookup } from './filter';
import { parseFilter } from './filter';
import { listResponse } from './list-response';
import { applyPatch, normalisePatch } from './patch';
import type { ListQuery } from './query';
import { project } from './query';
import { ScimUserInput, USER_ATTRIBUTES } from './schema';
import type { ScimCaller, ScimResult } from './scim-caller';
import { ScimError } from './scim-error';
import type { ScimGroupRef, ScimUserProfile } from './user-resource';
import { hubIdentityOf, userResource } from './user-resource';

/** The attributes a user filter can find through an index rather than by reading every user. */
const INDEXED: readonly IndexedLookup['attribute'][] = ['id', 'userName'];
const PAGE = 100;
/** Reads of memberships or teams run a few at a time. */
const CONCURRENCY = 8;

type Resource = ReturnType<typeof userResource>;

function parseUser(body: unknown): ScimUserInput {
  const parsed = ScimUserInput.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScimError(
      400,
      `The user is not valid: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : ''}`,
      'invalidValue',
    );
  }
  return parsed.data;
}

const withoutActive = ({ active: _active, ...profile }: ScimUserInput): ScimUserProfile['profile'] => profile;

async function inBatches<T>(items: readonly T[], run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) {
    await Promise.all(items.slice(i, i + CONCURRENCY).map(run));
  }
}

/** An email the org admits for its users (its allowed domains), refused in SCIM's terms. */
function admitted(org: Org, email: string): string {
  try {
    return admittedEmail(org, email);
  } catch (cause) {
    if (cause instanceof ForbiddenError) throw new ScimError(400, cause.message, 'invalidValue', { cause });
    throw cause;
  }
}

function identityOr(input: ScimUserInput, user: User): { email: string; name: string } {
  try {
    return hubIdentityOf(input);
  } catch (error) {
    if (error instanceof ScimError) return { email: user.email, name: user.name };
    throw error;
  }
}

const single = (status: number, resource: Resource, extra: Record<string, string> = {}): ScimResult => ({
  status,
  body: resource,
  headers: { etag: resource.meta.version, ...extra },
});

/**
 * SCIM Users over hub users: a provisioned user is a hub user (whose status is the resource's
 * `active`) and the profile the IdP sent. Deprovisioning (`active: false`, or DELETE) deactivates
 * the hub user, which the gate refuses from the next request on, and signs them out of the IdP.
 */
export function makeScimUsers(deps: {
  users: UserStore;
  profiles: ScimUserStore;
  teams: Pick<TeamStore, 'get' | 'all' | 'membershipsOf' | 'membersOf'>;
  sessions: SessionRevoker;
  clock: Clock;
}) {
  const resourceOf = (
    caller: ScimCaller,
    profile: ScimUserProfile,
    user: User,
    groups: readonly ScimGroupRef[],
  ) => userResource(profile, { id: user.id, status: user.status, groups }, caller.baseUrl);

  const groupRefs = (
    caller: ScimCaller,
    memberships: readonly Pick<TeamMembership, 'teamId'>[],
    names: ReadonlyMap<string, string>,
  ): ScimGroupRef[] =>
    // A membership of a team deleted meanwhile is no group.
    memberships
      .filter((m) => names.has(m.teamId))
      .map((m) => ({
        value: m.teamId,
        display: names.get(m.teamId) ?? '',
        $ref: `${caller.baseUrl}/Groups/${m.teamId}`,
        type: 'direct' as const,
      }))
      .sort((a, b) => (a.value < b.value ? -1 : 1));

  /** The read-only `groups` of one user: the teams they are a direct member of (groups are teams). */
  async function groupsOf(caller: ScimCaller, userId: string): Promise<ScimGroupRef[]> {
    const memberships = await deps.teams.membershipsOf(caller.org.id, userId);
    const names = new Map<string, string>();
    await inBatches(memberships, async (m) => {
      const team = await deps.teams.get(caller.org.id, m.teamId);
      if (team) names.set(team.id, team.name);
    });
    return groupRefs(caller, memberships, names);
  }

  /**
   * The `groups` of many users at once: each team's members (one read a team) or each user's
   * memberships (one read a user), whichever costs fewer reads.
   */
  async function groupsByUser(caller: ScimCaller, userIds: readonly string[]) {
    const orgId = caller.org.id;
    const teams = await deps.teams.all(orgId);
    const names = new Map(teams.map((t) => [t.id, t.name]));
    const byUser = new Map<string, Pick<TeamMembership, 'teamId'>[]>();
    if (teams.length <= userIds.length) {
      await inBatches(teams, async (team) => {
        for (const m of await deps.teams.membersOf(orgId, team.id)) {
          byUser.set(m.userId, [...(byUser.get(m.userId) ?? []), { teamId: team.id }]);
        }
      });
    } else {
      await inBatches(userIds, async (id) => {
        byUser.set(id, await deps.teams.membershipsOf(orgId, id));
      });
    }
    return new Map(userIds.map((id) => [id, groupRefs(caller, byUser.get(id) ?? [], names)]));
  }

  /**
   * A SCIM token acts as an admin: an owner (who outranks it) is the org's to manage in the hub,
   * never provisioned over, deactivated or deleted through SCIM.
   */
  const manageable = (user: User) => {
    if (user.role === 'owner')
      throw new ScimError(403, 'An owner of the organisation is managed in the hub, not through SCIM');
  };

  async function load(caller: ScimCaller, userId: string) {
    const [profile, user] = await Promise.all([
      deps.profiles.get(caller.org.id, userId),
      deps.users.get(caller.org.id, userId),
    ]);
    if (!profile || !user) throw new ScimError(404, `No user ${userId}`);
    const groups = await groupsOf(caller, userId);
    return { profile, user, groups, resource: resourceOf(caller, profile, user, groups) };
  }

  function admit(ifMatch: string | undefined, resource: Resource) {
    if (!ifMatchAdmits(ifMatch, resource.meta.version)) {
      throw new ScimError(412, 'The user changed since the version named by If-Match; read it again');
    }
  }

  const signOut = async (user: Pick<User, 'orgId' | 'id' | 'email'>) => {
    // The gate already refuses the user; a failed sign-out at the IdP leaves refresh tokens only.
    await deps.sessions.signOut(user).catch((error: unknown) => {
      logger.error('Could not sign a deprovisioned user out', { error: error as Error, userId: user.id });
    });
  };

  async function allResources(caller: ScimCaller): Promise<Resource[]> {
    const [profiles, users] = await Promise.all([deps.profiles.all(caller.org.id), allUsers(caller.org.id)]);
    const byId = new Map(users.map((u) => [u.id, u]));
    const provisioned = profiles.flatMap((p) => {
      const user = byId.get(p.userId);
      return user ? [{ profile: p, user }] : [];
    });
    const groups = await groupsByUser(
      caller,
      provisioned.map((p) => p.user.id),
    );
    return provisioned.map((p) => resourceOf(caller, p.profile, p.user, groups.get(p.user.id) ?? []));
  }

  async function allUsers(orgId: string): Promise<User[]> {
    const out: User[] = [];
    let cursor: string | undefined;
    do {
      const page = await deps.users.list(orgId, { limit: PAGE, cursor });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }

  /**
   * Saves a changed profile, audited, with what it changes of the hub user: their status, their
   * name, and their email (its claim moved in the same transaction, so no other user of the org
   * holds it); answers the user as saved.
   */
  async function commit(
    caller: ScimCaller,
    current: { profile: ScimUserProfile; user: User; groups: readonly ScimGroupRef[] },
    input: ScimUserInput,
  ): Promise<ScimResult> {
    manageable(current.user);
    const orgId = caller.org.id;
    const userName = input.userName;
    // A profile that names no address (neither emails nor an address as userName) keeps the user's.
    const identity = identityOr(input, current.user);
    const email =
      identity.email === current.user.email ? current.user.email : admitted(caller.org, identity.email);
    if (userName.toLowerCase() !== current.profile.profile.userName.toLowerCase()) {
      const holder = await deps.profiles.userIdByUserName(orgId, userName);
      if (holder && holder !== current.user.id) {
        throw new ScimError(409, 'Another user has this userName', 'uniqueness');
      }
    }
    const at = deps.clock.now().toISOString();
    const status: User['status'] =
      input.active === undefined ? current.user.status : input.active ? 'active' : 'deactivated';
    const next: ScimUserProfile = { ...current.profile, profile: withoutActive(input), updatedAt: at };
    const hubChanged =
      status !== current.user.status || email !== current.user.email || identity.name !== current.user.name;
    const user: User = hubChanged
      ? { ...current.user, status, email, name: identity.name, updatedAt: at }
      : current.user;
    const emailChanged = email !== current.user.email;
    const action =
      status === current.user.status
        ? 'user.scim_updated'
        : status === 'deactivated'
          ? 'user.deactivated'
          : 'user.reactivated';
    const audit = auditChange({
      action,
      principal: caller.principal,
      orgId,
      targets: [{ type: 'user', id: user.id }],
      request: caller.request,
      at: new Date(at),
      before: {
        userName: current.profile.profile.userName,
        status: current.user.status,
        ...(emailChanged ? { email: current.user.email } : {}),
      },
      after: { userName, status, ...(emailChanged ? { email } : {}) },
    });
    await deps.profiles.replace(
      next,
      current.profile,
      hubChanged ? { user, previous: current.user } : null,
      audit,
    );
    // Sessions begun under the old address end with it: the person signs in again as the new one.
    if (emailChanged && current.user.status === 'active') await signOut(current.user);
    else if (status === 'deactivated' && current.user.status === 'active') await signOut(user);
    return single(200, resourceOf(caller, next, user, current.groups));
  }

  return {
    async list(caller: ScimCaller, query: ListQuery): Promise<ScimResult> {
      const filter = query.filter === undefined ? null : parseFilter(query.filter, INDEXED);
      let resources: Resource[];
      if (filter?.lookup) {
        const id =
          filter.lookup.attribute === 'id'
            ? filter.lookup.value
            : await deps.profiles.userIdByUserName(caller.org.id, filter.lookup.value);
        // A lookup that finds no user is an empty page, not a 404; any other failure stands.
        const found =
          id && /^usr_[0-9A-Z]{26}$/.test(id)
            ? await load(caller, id).catch((error: unknown) => {
                if (error instanceof ScimError && error.status === 404) return null;
                throw error;
              })
            : null;
        resources = found ? [found.resource] : [];
      } else {
        resources = await allResources(caller);
      }
      return { status: 200, body: listResponse(resources, filter, query) };
    },

    async get(caller: ScimCaller, userId: string, query: ListQuery): Promise<ScimResult> {
      const { resource } = await load(caller, userId);
      return {
        status: 200,
        body: project(resource, query.attributes, query.excludedAttributes),
        headers: { etag: resource.meta.version },
      };
    },

    async create(caller: ScimCaller, body: unknown): Promise<ScimResult> {
      const input = parseUser(body);
      const orgId = caller.org.id;
      const identity = hubIdentityOf(input);
      const email = admitted(caller.org, identity.email);
      if (await deps.profiles.userIdByUserName(orgId, input.userName)) {
        throw new ScimError(409, 'A user with this userName is already provisioned', 'uniqueness');
      }
      const at = deps.clock.now();
      const status: User['status'] = input.active === false ? 'deactivated' : 'active';
      const existing = await deps.users.findByEmail(orgId, email);
      if (existing) manageable(existing);
      const user: User = existing
        ? { ...existing, status, updatedAt: at.toISOString() }
        : {
            id: newId('usr'),
            orgId,
            email,
            name: identity.name,
            role: caller.org.settings.defaultRole,
            status,
            createdAt: at.toISOString(),
            createdBy: caller.principal.id,
          };
      const profile: ScimUserProfile = {
        userId: user.id,
        orgId,
        profile: withoutActive(input),
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
      };
      const audit = auditChange({
        action: 'user.provisioned',
        principal: caller.principal,
        orgId,
        targets: [{ type: 'user', id: user.id }],
        request: caller.request,
        at,
        after: { email, userName: input.userName, role: user.role, status, adopted: existing !== null },
      });
      // A member the org already has (by email) is taken under the IdP's management, not duplicated.
      if (existing) await deps.profiles.adopt(user, profile, audit);
      else
        await deps.profiles.create(user, profile, audit, {
          resource: 'users',
          limit: PLANS[caller.org.plan].users,
        });
      if (existing?.status === 'active' && status === 'deactivated') await signOut(user);
      // An adopted member keeps the teams they are in; a new user is in none yet.
      const resource = resourceOf(caller, profile, user, existing ? await groupsOf(caller, user.id) : []);
      return single(201, resource, { location: `${caller.baseUrl}/Users/${user.id}` });
    },

    async replace(caller: ScimCaller, userId: string, body: unknown, ifMatch?: string): Promise<ScimResult> {
      const current = await load(caller, userId);
      admit(ifMatch, current.resource);
      return commit(caller, current, parseUser(body));
    },

    async patch(caller: ScimCaller, userId: string, body: unknown, ifMatch?: string): Promise<ScimResult> {
      const current = await load(caller, userId);
      admit(ifMatch, current.resource);
      const ops = normalisePatch(body, USER_ATTRIBUTES, true);
      const document = { ...current.profile.profile, active: current.user.status === 'active' };
      return commit(caller, current, parseUser(applyPatch(document, ops)));
    },

    async remove(caller: ScimCaller, userId: string, ifMatch?: string): Promise<ScimResult> {
      const current = await load(caller, userId);
      admit(ifMatch, current.resource);
      manageable(current.user);
      const at = deps.clock.now();
      const deactivated: User | null =
        current.user.status === 'active'
          ? { ...current.user, status: 'deactivated', updatedAt: at.toISOString() }
          : null;
      const audit = auditChange({
        action: 'user.deprovisioned',
        principal: caller.principal,
        orgId: caller.org.id,
        targets: [{ type: 'user', id: userId }],
        request: caller.request,
        at,
        before: { userName: current.profile.profile.userName, status: current.user.status },
        after: { status: 'deactivated' },
      });
      await deps.profiles.remove(current.profile, deactivated, audit);
      if (deactivated) await signOut(deactivated);
      return { status: 204 };
    },
  };
}

export type ScimUsers = ReturnType<typeof makeScimUsers>;
