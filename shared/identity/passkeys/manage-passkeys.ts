import { randomBytes } from 'node:crypto';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { RequestContext } from '../../audit/audit-record';
import { auditChange } from '../../audit/audit-record';
import type { RelyingParty } from '../../config/config';
import { ConflictError, MfaRequiredError, NotFoundError, ValidationError } from '../../errors';
import { newId } from '../../ids';
import type { Clock } from '../../ports/clock';
import type { OrgStore, UserStore } from '../../ports/stores';
import type { User } from '../../tenancy/user';
import { mfaUserOf } from '../mfa/authenticator-app';
import type { FactorNotices } from '../mfa/factor-notices';
import type { SignOutEverywhereDeps } from '../mfa/sign-out-everywhere';
import { makeSignOutEverywhere } from '../mfa/sign-out-everywhere';
import type { Principal } from '../principal';
import { DEFAULT_STEP_UP_MINUTES, hasRecentSecondFactor, hasRecentSignIn } from '../step-up';
import type { Passkey, PasskeyChallengeStore, PasskeyStore, PasskeyTransport } from './passkey';
import {
  MAX_PASSKEYS_PER_USER,
  PASSKEY_CHALLENGE_SECONDS,
  PASSKEY_TRANSPORTS,
  requireRelyingParty,
  userHandleOf,
} from './passkey';
import type { PasskeyView } from './schemas';

export interface ManagePasskeysDeps extends SignOutEverywhereDeps {
  readonly passkeys: PasskeyStore;
  readonly challenges: Pick<PasskeyChallengeStore, 'putRegistration' | 'takeRegistration'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly orgs: Pick<OrgStore, 'get'>;
  /** null: this installation has no relying party, and its passkey routes say so. */
  readonly relyingParty: RelyingParty | null;
  /** Tells the user a passkey was added to their account (their email; best effort). */
  readonly notices?: Pick<FactorNotices, 'added'>;
  readonly clock: Clock;
}

/** ES256 and RS256: what every platform authenticator and security key offers. */
const ALGORITHMS = [-7, -257];

export const viewOf = (p: Passkey): PasskeyView => ({
  id: p.id,
  name: p.name,
  transports: [...p.transports],
  backedUp: p.backedUp,
  createdAt: p.createdAt,
  lastUsedAt: p.lastUsedAt,
});

const knownTransports = (list: readonly string[] | undefined): PasskeyTransport[] =>
  (list ?? []).filter((t): t is PasskeyTransport => (PASSKEY_TRANSPORTS as readonly string[]).includes(t));

/**
 * Users' passkeys as a second factor (and a sign-in of their own, `hwk`): registered by the signed-in
 * user against a single-use challenge bound to them, verified by the hub (origin, relying party,
 * user verification), kept in their org with a platform lookup by credential id. A first second
 * factor may be registered before any (so a user of an org requiring one can get it) and signs the
 * user out everywhere, as enrolling an app does; another factor, and removing one, take a recent
 * sign-in with a second factor, so a stolen session cannot plant or remove one.
 */
export function makeManagePasskeys(deps: ManagePasskeysDeps) {
  const signOutEverywhere = makeSignOutEverywhere(deps);

  async function requireUser(orgId: string, userId: string): Promise<User> {
    const user = await deps.users.get(orgId, userId);
    if (!user) throw new NotFoundError(`No user ${userId}`);
    return user;
  }

  /** The user's passkeys, and whether they hold any second factor already. */
  async function factorsOf(user: User) {
    const passkeys = await deps.passkeys.listOf(user.orgId, user.id);
    return { passkeys, hasFactor: user.totpEnabledAt !== undefined || passkeys.length > 0 };
  }

  function requireRoom(passkeys: readonly Passkey[]) {
    if (passkeys.length >= MAX_PASSKEYS_PER_USER)
      throw new ConflictError(`A user holds at most ${MAX_PASSKEYS_PER_USER} passkeys: remove one first`);
  }

  /**
   * Adding a passkey: with a recent second factor where the user has one; from a recent sign-in
   * where they have none, so an old session or a refresh token lifted from it plants no passkey
   * (which would sign in without the password, and outlive a password reset).
   */
  function requireRecentEnough(me: Extract<Principal, { kind: 'org_member' }>, hasFactor: boolean) {
    if (hasFactor) return requireRecentFactor(me, 'Adding a passkey');
    if (!hasRecentSignIn(me, deps.clock.now()))
      throw new MfaRequiredError(
        `Adding a passkey needs a sign-in in the last ${DEFAULT_STEP_UP_MINUTES} minutes: sign in again`,
      );
  }

  function requireRecentFactor(me: Extract<Principal, { kind: 'org_member' }>, what: string) {
    if (!hasRecentSecondFactor(me, deps.clock.now(), DEFAULT_STEP_UP_MINUTES))
      throw new MfaRequiredError(
        `${what} needs a sign-in with a second factor (a passkey or your authenticator app) in the last ${DEFAULT_STEP_UP_MINUTES} minutes: sign in again`,
      );
  }

  return {
    /** The options for `navigator.credentials.create()`, with a challenge kept five minutes for this user. */
    async registrationOptions(
      orgId: string,
      principal: Principal,
    ): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const rp = requireRelyingParty(deps.relyingParty);
      const me = mfaUserOf(principal);
      const user = await requireUser(orgId, me.id);
      const { passkeys, hasFactor } = await factorsOf(user);
      requireRoom(passkeys);
      requireRecentEnough(me, hasFactor);
      const options = await generateRegistrationOptions({
        rpName: rp.rpName,
        rpID: rp.rpId,
        userName: user.email,
        userDisplayName: user.name,
        userID: userHandleOf(user.id),
        challenge: new Uint8Array(randomBytes(32)),
        timeout: PASSKEY_CHALLENGE_SECONDS * 1000,
        attestationType: 'none',
        excludeCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: [...p.transports] })),
        authenticatorSelection: {
          residentKey: 'required',
          requireResidentKey: true,
          userVerification: 'required',
        },
        supportedAlgorithmIDs: ALGORITHMS,
      });
      // Kept as the options carry it (base64url), which is what the client data will name.
      const now = deps.clock.now();
      await deps.challenges.putRegistration(
        orgId,
        user.id,
        options.challenge,
        new Date(now.getTime() + PASSKEY_CHALLENGE_SECONDS * 1000),
      );
      return options;
    },

    /** Verifies the authenticator's answer to the user's pending challenge and keeps the passkey. */
    async register(
      orgId: string,
      principal: Principal,
      input: { response: RegistrationResponseJSON; name?: string | undefined },
      request: RequestContext,
    ): Promise<PasskeyView & { signedOut: boolean }> {
      const rp = requireRelyingParty(deps.relyingParty);
      const me = mfaUserOf(principal);
      const user = await requireUser(orgId, me.id);
      const { passkeys, hasFactor } = await factorsOf(user);
      requireRoom(passkeys);
      requireRecentEnough(me, hasFactor);
      // Spent whatever the answer: one challenge, one attempt.
      const challenge = await deps.challenges.takeRegistration(orgId, user.id, deps.clock.now());
      if (!challenge)
        throw new ValidationError(
          'No passkey registration of yours is under way, or it expired: ask for new registration options',
        );
      let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        verified = await verifyRegistrationResponse({
          response: input.response,
          expectedChallenge: challenge,
          expectedOrigin: [...rp.origins],
          expectedRPID: rp.rpId,
          requireUserVerification: true,
          supportedAlgorithmIDs: ALGORITHMS,
        });
      } catch (cause) {
        throw new ValidationError(
          `response: the authenticator's answer was refused: ${(cause as Error).message}`,
          [],
          {
            cause,
          },
        );
      }
      if (!verified.verified) throw new ValidationError("response: the authenticator's answer was refused");
      const { credential, credentialBackedUp } = verified.registrationInfo;
      const at = deps.clock.now();
      const passkey: Passkey = {
        id: newId('pkey'),
        orgId,
        userId: user.id,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: knownTransports(input.response.response.transports ?? credential.transports),
        name: input.name ?? 'Passkey',
        backedUp: credentialBackedUp,
        createdAt: at.toISOString(),
        lastUsedAt: null,
      };
      await deps.passkeys.add(
        passkey,
        auditChange({
          action: 'mfa.passkey_added',
          principal,
          orgId,
          targets: [
            { type: 'user', id: user.id },
            { type: 'passkey', id: passkey.id },
          ],
          request,
          at,
          after: { name: passkey.name, backedUp: passkey.backedUp, transports: [...passkey.transports] },
        }),
        MAX_PASSKEYS_PER_USER,
      );
      // A first second factor: no session begun without it lives on.
      if (!hasFactor) await signOutEverywhere(user, principal, request, at);
      await deps.notices?.added(user, `A passkey ("${passkey.name}")`, at).catch(() => undefined);
      return { ...viewOf(passkey), signedOut: !hasFactor };
    },

    async list(orgId: string, principal: Principal): Promise<{ items: PasskeyView[] }> {
      const me = mfaUserOf(principal);
      return { items: (await deps.passkeys.listOf(orgId, me.id)).map(viewOf) };
    },

    /**
     * Removes one of the user's own passkeys, after a recent sign-in with a second factor; not the
     * last second factor of a user whose org requires one.
     */
    async remove(
      orgId: string,
      principal: Principal,
      passkeyId: string,
      request: RequestContext,
    ): Promise<void> {
      const me = mfaUserOf(principal);
      const passkey = await deps.passkeys.get(orgId, me.id, passkeyId);
      if (!passkey) throw new NotFoundError(`You have no passkey ${passkeyId}`);
      requireRecentFactor(me, 'Removing a passkey');
      const [user, org] = await Promise.all([requireUser(orgId, me.id), deps.orgs.get(orgId)]);
      const others = (await deps.passkeys.listOf(orgId, me.id)).filter((p) => p.id !== passkey.id);
      if (org?.settings.mfaRequired && !user.totpEnabledAt && others.length === 0)
        throw new ConflictError(
          'The organisation requires a second factor and this passkey is your last: add another first, or ask an admin to reset your second factors',
        );
      await deps.passkeys.remove(
        passkey,
        removal('mfa.passkey_removed', passkey, principal, request, deps.clock.now()),
      );
    },

    /** Whether the user holds a passkey (a second factor beside, or instead of, an authenticator app). */
    async holdsAny(user: User): Promise<boolean> {
      return (await deps.passkeys.listOf(user.orgId, user.id)).length > 0;
    },

    /** An admin's reset: every passkey of the user goes (their sessions are ended by the reset). */
    async removeAllOf(user: User, principal: Principal, request: RequestContext, at: Date): Promise<number> {
      const passkeys = await deps.passkeys.listOf(user.orgId, user.id);
      for (const passkey of passkeys)
        await deps.passkeys.remove(
          passkey,
          removal('mfa.passkey_removed', passkey, principal, request, at, 'reset'),
        );
      return passkeys.length;
    },
  };
}

function removal(
  action: string,
  passkey: Passkey,
  principal: Principal,
  request: RequestContext,
  at: Date,
  reason?: 'reset',
) {
  return auditChange({
    action,
    principal,
    orgId: passkey.orgId,
    targets: [
      { type: 'user', id: passkey.userId },
      { type: 'passkey', id: passkey.id },
    ],
    request,
    at,
    before: { name: passkey.name },
    ...(reason ? { after: { reason } } : {}),
  });
}

export type ManagePasskeys = ReturnType<typeof makeManagePasskeys>;
