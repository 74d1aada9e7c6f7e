import { randomBytes } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { generateAuthenticationOptions, verifyAuthenticationResponse } from '@simplewebauthn/server';
import type { RequestContext } from '../../audit/audit-record';
import { auditBySystem } from '../../audit/audit-record';
import type { RelyingParty } from '../../config/config';
import type { Clock } from '../../ports/clock';
import type { AuditStore, OrgStore, UserStore } from '../../ports/stores';
import type { IssuedSession, SessionIssuer } from '../../sso/session-issuer';
import type { PasskeyChallengeStore, PasskeyStore } from './passkey';
import {
  PASSKEY_CHALLENGE_SECONDS,
  PasskeySignInRefusedError,
  requireRelyingParty,
  userHandleOf,
} from './passkey';

/** How a passkey sign-in authenticated (RFC 8176): a hardware-bound key, and the user verified on it. */
export const PASSKEY_AMR = ['hwk', 'user'] as const;

export interface PasskeySignInDeps {
  readonly passkeys: Pick<PasskeyStore, 'lookup' | 'get' | 'recordUse'>;
  readonly challenges: Pick<PasskeyChallengeStore, 'putSignIn' | 'takeSignIn'>;
  readonly orgs: Pick<OrgStore, 'get'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly sessions: SessionIssuer;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly relyingParty: RelyingParty | null;
  readonly clock: Clock;
}

/** The challenge the client data says was signed (bounded: the schema bounds clientDataJSON). */
function challengeOf(response: AuthenticationResponseJSON): string | null {
  try {
    const client = JSON.parse(
      Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8'),
    ) as {
      challenge?: unknown;
    };
    return typeof client.challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(client.challenge)
      ? client.challenge
      : null;
  } catch {
    return null;
  }
}

/**
 * Signing in with a passkey, no password and no token: options with a single-use challenge (no
 * credentials listed: the passkey is discoverable, so nothing tells whether an address has one),
 * then the assertion: the challenge spent, the credential found by its id, its org and user active,
 * the signature checked with the stored key for this relying party and origin, the user verified
 * on the authenticator, the counter moved on. The user pool then issues the session through the
 * same one-time grant SSO uses, with `amr` `hwk user` — a second factor an org requiring MFA accepts.
 * Every refusal looks the same to the caller.
 */
export function makePasskeySignIn(deps: PasskeySignInDeps) {
  return {
    async options(): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const rp = requireRelyingParty(deps.relyingParty);
      const options = await generateAuthenticationOptions({
        rpID: rp.rpId,
        challenge: new Uint8Array(randomBytes(32)),
        timeout: PASSKEY_CHALLENGE_SECONDS * 1000,
        userVerification: 'required',
        allowCredentials: [],
      });
      const now = deps.clock.now();
      await deps.challenges.putSignIn(
        options.challenge,
        new Date(now.getTime() + PASSKEY_CHALLENGE_SECONDS * 1000),
      );
      return options;
    },

    async verify(response: AuthenticationResponseJSON, request: RequestContext): Promise<IssuedSession> {
      const rp = requireRelyingParty(deps.relyingParty);
      const challenge = challengeOf(response);
      if (!challenge || !(await deps.challenges.takeSignIn(challenge, deps.clock.now())))
        throw new PasskeySignInRefusedError('challenge_unknown');
      if (response.id !== response.rawId) throw new PasskeySignInRefusedError('assertion_invalid');
      const found = await deps.passkeys.lookup(response.id);
      if (!found) throw new PasskeySignInRefusedError('credential_unknown');
      const [org, user, passkey] = await Promise.all([
        deps.orgs.get(found.orgId),
        deps.users.get(found.orgId, found.userId),
        deps.passkeys.get(found.orgId, found.userId, found.passkeyId),
      ]);
      if (!passkey || passkey.credentialId !== response.id)
        throw new PasskeySignInRefusedError('credential_unknown');
      if (org?.status !== 'active') throw new PasskeySignInRefusedError('org_inactive');
      if (user?.status !== 'active') throw new PasskeySignInRefusedError('user_inactive');
      const handle = response.response.userHandle;
      if (handle !== undefined && handle !== Buffer.from(userHandleOf(user.id)).toString('base64url'))
        throw new PasskeySignInRefusedError('user_handle_mismatch');
      let newCounter: number;
      try {
        const verified = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: [...rp.origins],
          expectedRPID: rp.rpId,
          requireUserVerification: true,
          credential: {
            id: passkey.credentialId,
            publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
            // The counter is checked below, by the hub, so its refusal has its own reason.
            counter: 0,
            transports: [...passkey.transports],
          },
        });
        if (!verified.verified || !verified.authenticationInfo.userVerified)
          throw new PasskeySignInRefusedError('assertion_invalid');
        newCounter = verified.authenticationInfo.newCounter;
      } catch (cause) {
        if (cause instanceof PasskeySignInRefusedError) throw cause;
        throw new PasskeySignInRefusedError('assertion_invalid', { cause });
      }
      // A counter that did not move on: a cloned authenticator, or a replayed assertion.
      if ((newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter)
        throw new PasskeySignInRefusedError('counter_regressed');
      const at = deps.clock.now();
      if (!(await deps.passkeys.recordUse(passkey, newCounter, at.toISOString())))
        throw new PasskeySignInRefusedError('counter_regressed');
      let session: IssuedSession;
      try {
        session = await deps.sessions.issue({
          orgId: user.orgId,
          userId: user.id,
          email: user.email,
          name: user.name,
          amr: PASSKEY_AMR,
          connectionId: passkey.id,
        });
      } catch (cause) {
        throw new PasskeySignInRefusedError('session_not_issued', { cause });
      }
      await deps.audit.append(
        auditBySystem({
          action: 'passkey.signed_in',
          actor: `passkey:${passkey.id}`,
          orgId: user.orgId,
          targets: [
            { type: 'user', id: user.id },
            { type: 'passkey', id: passkey.id },
          ],
          requestId: request.requestId,
          at,
        }),
      );
      return session;
    },
  };
}

export type PasskeySignIn = ReturnType<typeof makePasskeySignIn>;
