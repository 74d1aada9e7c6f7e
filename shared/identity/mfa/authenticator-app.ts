import type { RequestContext } from '../../audit/audit-record';
import { auditChange } from '../../audit/audit-record';
import type { RoleGuard } from '../../authz/role-guard';
import {
  ConflictError,
  DependencyUnavailableError,
  ForbiddenError,
  MfaRequiredError,
  NotFoundError,
  ValidationError,
} from '../../errors';
import type { AuthenticatorApps } from '../../ports/authenticator-apps';
import { AccessTokenRefusedError } from '../../ports/authenticator-apps';
import type { Clock } from '../../ports/clock';
import type { SessionRevoker } from '../../ports/session-revoker';
import type { AuditStore, OrgStore, SessionStore, UserStore } from '../../ports/stores';
import type { User } from '../../tenancy/user';
import type { JwtVerify } from '../authenticate';
import { ORG_CLAIM, USER_CLAIM } from '../authenticate';
import type { Principal } from '../principal';
import type { SessionGate } from '../session-gate';
import { DEFAULT_STEP_UP_MINUTES, hasRecentSecondFactor, hasRecentSignIn } from '../step-up';
import type { FactorNotices } from './factor-notices';
import { makeSignOutEverywhere } from './sign-out-everywhere';

/** What the hub shows of a user's second factors. */
export interface MfaStatus {
  readonly totp: { readonly enabled: boolean; readonly enabledAt: string | null };
  /** The org refuses sessions without a second factor (`mfaRequired`). */
  readonly required: boolean;
}

export interface MfaDeps {
  readonly users: Pick<UserStore, 'get' | 'setTotp'>;
  readonly orgs: Pick<OrgStore, 'get'>;
  readonly apps: AuthenticatorApps;
  /** Verifies a user's access token of the pool (`makeAccessTokenVerify`). */
  readonly verifyAccessToken: JwtVerify;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly sessions: Pick<SessionStore, 'revokeAll'>;
  readonly revoker: SessionRevoker;
  readonly mayGrant: RoleGuard;
  readonly clock: Clock;
  readonly gate?: Pick<SessionGate, 'forget'>;
  /**
   * Tells a user their second factors were reset (and by whom) or added to (their email; best
   * effort): a change they did not make is how they learn of a stolen session.
   */
  readonly notices?: FactorNotices;
  /** The user's passkeys: another second factor, which an admin's reset removes too. @default none kept */
  readonly passkeys?: {
    holdsAny(user: User): Promise<boolean>;
    removeAllOf(user: User, principal: Principal, request: RequestContext, at: Date): Promise<number>;
  };
}

/** The label and issuer an authenticator app shows for the hub. */
const ISSUER = 'Integration Hub';

/** The signed-in user a `/me` route acts for: only a user token enrols a second factor. */
export function mfaUserOf(principal: Principal): Extract<Principal, { kind: 'org_member' }> {
  if (principal.kind !== 'org_member' || principal.type !== 'user') {
    throw new ForbiddenError('Only a signed-in user has second factors: an API key has none');
  }
  return principal;
}

const statusOf = (user: User, required: boolean): MfaStatus => ({
  totp: { enabled: user.totpEnabledAt !== undefined, enabledAt: user.totpEnabledAt ?? null },
  required,
});

/**
 * Authenticator apps (TOTP) as the second factor of password users: enrolled by the user with
 * their access token (the pool's own calls), recorded on the hub user (the pre-token trigger's
 * `otp` comes from it), turned off by the user after a recent sign-in with the app or reset by an
 * administrator. Enrolling signs the user out everywhere: every later session is a sign-in that
 * gave a code, so no earlier one can be refreshed into a token that claims the second factor.
 */
export function makeAuthenticatorApps(deps: MfaDeps) {
  async function requireUser(orgId: string, userId: string): Promise<User> {
    const user = await deps.users.get(orgId, userId);
    if (!user) throw new NotFoundError(`No user ${userId}`);
    return user;
  }

  async function required(orgId: string): Promise<boolean> {
    const org = await deps.orgs.get(orgId);
    if (!org) throw new NotFoundError(`Organisation ${orgId} does not exist`);
    return org.settings.mfaRequired;
  }

  /** The access token must stand for the very user (and org) the request's ID token does. */
  async function requireOwnAccessToken(
    orgId: string,
    principal: Principal,
    accessToken: string,
  ): Promise<void> {
    let claims: Record<string, unknown>;
    try {
      claims = await deps.verifyAccessToken(accessToken);
    } catch {
      throw new ValidationError(
        'accessToken: not a valid access token of the user pool: send the access token of your current sign-in (hub login prints it)',
      );
    }
    if (claims[USER_CLAIM] !== principal.id || claims[ORG_CLAIM] !== orgId) {
      throw new ForbiddenError('The access token stands for another user than the signed-in one');
    }
  }

  /**
   * Enrolling an app where the user has a second factor already (an app, or a passkey) takes a
   * recent sign-in with one, as turning it off does: a stolen password or session must not add or
   * swap in the thief's factor. A first one takes a recent sign-in: an old session, or a refresh
   * token lifted from it, cannot plant a factor.
   */
  async function requireRecentFactorToEnrol(user: User, me: Extract<Principal, { kind: 'org_member' }>) {
    const now = deps.clock.now();
    const hasFactor = user.totpEnabledAt !== undefined || (await deps.passkeys?.holdsAny(user)) === true;
    if (hasFactor && !hasRecentSecondFactor(me, now, DEFAULT_STEP_UP_MINUTES)) {
      throw new MfaRequiredError(
        `Enrolling an authenticator app where you have a second factor needs a sign-in with it in the last ${DEFAULT_STEP_UP_MINUTES} minutes: sign in again (a lost phone: ask an admin to reset it)`,
      );
    }
    if (!hasRecentSignIn(me, now)) {
      throw new MfaRequiredError(
        `Enrolling an authenticator app needs a sign-in in the last ${DEFAULT_STEP_UP_MINUTES} minutes: sign in again`,
      );
    }
  }

  const withRefusedToken = async <T>(call: Promise<T>): Promise<T> =>
    call.catch((error: unknown) => {
      if (error instanceof AccessTokenRefusedError) {
        throw new ValidationError(
          'accessToken: the user pool refused it (expired or signed out): sign in again',
        );
      }
      throw new DependencyUnavailableError('The user pool could not be reached; try again', { cause: error });
    });

  const signOutEverywhere = makeSignOutEverywhere(deps);

  return {
    async status(orgId: string, principal: Principal): Promise<MfaStatus> {
      const me = mfaUserOf(principal);
      const [user, isRequired] = await Promise.all([requireUser(orgId, me.id), required(orgId)]);
      return statusOf(user, isRequired);
    },

    /** Starts enrolling: the secret and its `otpauth://` URI, shown once (never stored by the hub). */
    async start(orgId: string, principal: Principal, accessToken: string, request: RequestContext) {
      const me = mfaUserOf(principal);
      const user = await requireUser(orgId, me.id);
      await requireRecentFactorToEnrol(user, me);
      await requireOwnAccessToken(orgId, principal, accessToken);
      const { secretCode } = await withRefusedToken(deps.apps.associate(accessToken));
      await deps.audit.append(
        auditChange({
          action: 'mfa.totp_enrolment_started',
          principal,
          orgId,
          targets: [{ type: 'user', id: user.id }],
          request,
          at: deps.clock.now(),
        }),
      );
      const label = encodeURIComponent(`${ISSUER}:${user.email}`);
      const params = new URLSearchParams({
        secret: secretCode,
        issuer: ISSUER,
        algorithm: 'SHA1',
        digits: '6',
        period: '30',
      });
      return { secretCode, otpauthUri: `otpauth://totp/${label}?${params}` };
    },

    /** Finishes enrolling with a code of the app: it becomes the user's second factor; every session ends. */
    async verify(
      orgId: string,
      principal: Principal,
      input: { accessToken: string; code: string; deviceName?: string | undefined },
      request: RequestContext,
    ): Promise<MfaStatus & { signedOut: true }> {
      const me = mfaUserOf(principal);
      const [user, isRequired] = await Promise.all([requireUser(orgId, me.id), required(orgId)]);
      await requireRecentFactorToEnrol(user, me);
      await requireOwnAccessToken(orgId, principal, input.accessToken);
      const deviceName = input.deviceName ?? 'Authenticator app';
      if (!(await withRefusedToken(deps.apps.verify(input.accessToken, input.code, deviceName)))) {
        throw new ValidationError('code: does not match the authenticator app: enter the code it shows now');
      }
      await withRefusedToken(deps.apps.enable(input.accessToken));
      const at = deps.clock.now();
      const enabledAt = at.toISOString();
      await deps.users.setTotp(
        { ...user, updatedAt: enabledAt },
        enabledAt,
        auditChange({
          action: 'mfa.totp_enabled',
          principal,
          orgId,
          targets: [{ type: 'user', id: user.id }],
          request,
          at,
          after: { deviceName },
        }),
      );
      await signOutEverywhere(user, principal, request, at);
      await deps.notices?.added(user, `An authenticator app ("${deviceName}")`, at).catch(() => undefined);
      return { ...statusOf({ ...user, totpEnabledAt: enabledAt }, isRequired), signedOut: true };
    },

    /**
     * Turns the user's own app off: not where the org requires a second factor and it is the user's
     * only one, and only after a recent sign-in with a second factor (a stolen session cannot remove it).
     */
    async disable(orgId: string, principal: Principal, request: RequestContext): Promise<void> {
      const me = mfaUserOf(principal);
      const [user, isRequired] = await Promise.all([requireUser(orgId, me.id), required(orgId)]);
      if (!user.totpEnabledAt) throw new NotFoundError('You have no authenticator app enrolled');
      // Where the org requires a second factor, the app goes only while a passkey remains.
      if (isRequired && !(await deps.passkeys?.holdsAny(user))) {
        throw new ConflictError(
          'The organisation requires a second factor: enrol a new authenticator app (or register a passkey) instead of turning this one off, or ask an admin to reset it',
        );
      }
      const at = deps.clock.now();
      if (!hasRecentSecondFactor(me, at, DEFAULT_STEP_UP_MINUTES)) {
        throw new MfaRequiredError(
          `Turning your authenticator app off needs a sign-in with its code in the last ${DEFAULT_STEP_UP_MINUTES} minutes: sign in again`,
        );
      }
      await forget(user, principal, request, at, 'mfa.totp_disabled');
    },

    /**
     * An admin's reset of a user's second factors (a lost phone): the app off, the passkeys gone,
     * every session ended, and the user told. Only a signed-in admin, recently: an API key (a leaked
     * one) never strips a second factor, and an admin who has one — or whose org requires one —
     * shows it within the step-up window; one without signed in within it.
     */
    async reset(orgId: string, userId: string, principal: Principal, request: RequestContext): Promise<void> {
      if (principal.kind !== 'org_member' || principal.type !== 'user') {
        throw new ForbiddenError(
          "Resetting a user's second factors needs a signed-in admin: an API key cannot reset them",
        );
      }
      // One's own app is turned off (after a recent sign-in with it) or replaced, never reset.
      if (principal.id === userId) {
        throw new ForbiddenError(
          'You cannot reset your own authenticator app: turn it off (DELETE …/me/mfa/totp) or replace it, after a sign-in with its code',
        );
      }
      const [user, admin, isRequired] = await Promise.all([
        requireUser(orgId, userId),
        requireUser(orgId, principal.id),
        required(orgId),
      ]);
      await deps.mayGrant(orgId, principal, user.role, "reset a user's second factor");
      const at = deps.clock.now();
      const adminHasFactor =
        admin.totpEnabledAt !== undefined || (await deps.passkeys?.holdsAny(admin)) === true;
      if ((adminHasFactor || isRequired) && !hasRecentSecondFactor(principal, at)) {
        throw new MfaRequiredError(
          `Resetting a user's second factors needs a sign-in with your own second factor in the last ${DEFAULT_STEP_UP_MINUTES} minutes: sign in again`,
        );
      }
      if (!hasRecentSignIn(principal, at)) {
        throw new ForbiddenError(
          `Resetting a user's second factors needs a sign-in in the last ${DEFAULT_STEP_UP_MINUTES} minutes: sign in again`,
        );
      }
      try {
        if (user.totpEnabledAt) await forget(user, principal, request, at, 'mfa.totp_reset');
        await deps.passkeys?.removeAllOf(user, principal, request, at);
        await signOutEverywhere(user, principal, request, at);
      } finally {
        // Told even when a step failed after the factors began to go.
        await deps.notices?.reset(user, admin, at).catch(() => undefined);
      }
    },
  };

  /** The hub forgets the app first (no token claims it from then on), then the pool turns it off. */
  async function forget(user: User, principal: Principal, request: RequestContext, at: Date, action: string) {
    await deps.users.setTotp(
      { ...user, updatedAt: at.toISOString() },
      null,
      auditChange({
        action,
        principal,
        orgId: user.orgId,
        targets: [{ type: 'user', id: user.id }],
        request,
        at,
      }),
    );
    await deps.apps.disable(user).catch((cause: unknown) => {
      throw new DependencyUnavailableError(
        'The hub no longer counts the authenticator app, but the user pool could not turn it off; try again',
        { cause },
      );
    });
  }
}
