import * as z from 'zod';
import type { OperationDoc } from '../../api/operation-doc';
import { authErrors, jsonBody, ok, problem } from '../../api/operation-doc';
import { OrgIdParam } from '../../api/schemas';
import { IssuedSessionSchema } from '../../sso/operations';
import { MAX_PASSKEYS_PER_USER, PASSKEY_CHALLENGE_SECONDS } from './passkey';
import {
  CompletePasskeySignInRequest,
  CreationOptionsSchema,
  PasskeyList,
  PasskeyRegistered,
  RegisterPasskeyRequest,
  RequestOptionsSchema,
  StartPasskeySignInRequest,
} from './schemas';

const PasskeyIdParam = z.object({ orgId: z.string(), passkeyId: z.string() });
const notConfigured = 'Passkeys are not configured for this installation (no relying party)';
const beforeSecondFactor =
  'Open to a signed-in user before they show a second factor, so that a user of an org with `mfaRequired` can register one.';
const recentFactor =
  'A user who holds a second factor already (an authenticator app or a passkey) needs a sign-in with one in the last 15 minutes (`…:mfa-required` otherwise): a stolen session cannot plant a passkey.';

/** The passkey operations' documentation, merged into the OpenAPI document. */
export const passkeyOperations = {
  startPasskeyRegistration: {
    description: `The options to pass to \`navigator.credentials.create()\` (WebAuthn, as JSON): the hub's relying party, the caller as the user (their id as the user handle), a challenge kept ${PASSKEY_CHALLENGE_SECONDS / 60} minutes for this one user and one answer, the caller's passkeys excluded, a discoverable credential and user verification required, no attestation. ${recentFactor} ${beforeSecondFactor}`,
    requestParams: { path: OrgIdParam },
    responses: {
      '200': ok('The creation options', CreationOptionsSchema),
      ...authErrors,
      '404': problem(notConfigured),
      '409': problem(`The caller holds ${MAX_PASSKEYS_PER_USER} passkeys already`),
    },
  },
  registerPasskey: {
    description: `The authenticator's answer (\`PublicKeyCredential.toJSON()\`) to the caller's pending challenge, spent by this call whatever its outcome. The hub checks the challenge, the origin and relying party, user presence and verification, and keeps the credential's public key in the org with a lookup by credential id (one credential, one user). A first second factor signs the caller out everywhere (sign in again with the passkey: \`POST /sso/passkey/options\`, \`POST /sso/passkey/verify\`; its tokens show \`hwk\` in \`custom:amr\`). Audited (\`mfa.passkey_added\`, never the key). ${recentFactor} ${beforeSecondFactor}`,
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(RegisterPasskeyRequest),
    responses: {
      '201': ok('Registered', PasskeyRegistered),
      '400': problem(
        'The body is not valid, no registration is under way (or it expired), or the answer was refused',
      ),
      ...authErrors,
      '404': problem(notConfigured),
      '409': problem(
        `The credential is registered already, or the caller holds ${MAX_PASSKEYS_PER_USER} passkeys`,
      ),
    },
  },
  listMyPasskeys: {
    description: `The caller's passkeys, oldest first (never a public key or credential id). ${beforeSecondFactor}`,
    requestParams: { path: OrgIdParam },
    responses: { '200': ok("The caller's passkeys", PasskeyList), ...authErrors },
  },
  removeMyPasskey: {
    description:
      "Removes one of the caller's passkeys: it signs no one in from then on. Needs a sign-in with a second factor in the last 15 minutes, and is refused for the last second factor of a user whose org requires one. Audited (`mfa.passkey_removed`).",
    requestParams: { path: PasskeyIdParam },
    responses: {
      '204': { description: 'Removed' },
      ...authErrors,
      '404': problem('The caller has no such passkey'),
      '409': problem("The org requires a second factor and this is the caller's last"),
    },
  },
  startPasskeySignIn: {
    security: [],
    description: `The options to pass to \`navigator.credentials.get()\`: a challenge kept ${PASSKEY_CHALLENGE_SECONDS / 60} minutes for one answer, user verification required, and no credentials listed (passkeys are discoverable: the answer is the same for every address, so it tells no one whether an address has passkeys).`,
    requestBody: jsonBody(StartPasskeySignInRequest),
    responses: {
      '200': ok('The request options', RequestOptionsSchema),
      '400': problem('The body is not valid'),
      '404': problem(notConfigured),
    },
  },
  completePasskeySignIn: {
    security: [],
    description:
      "The authenticator's answer (`PublicKeyCredential.toJSON()`). The hub spends the challenge, finds the passkey by its credential id, checks its org and user are active, the signature with the kept public key for its relying party and origins, user verification, and that the signature counter moved on (when the authenticator keeps one); then the user pool issues the session through custom authentication, as for SSO, with `amr` `hwk user` (`custom:amr`): a second factor, so an org with `mfaRequired` admits it. Every refusal answers the same 401.",
    requestBody: jsonBody(CompletePasskeySignInRequest),
    responses: {
      '200': ok('The session', IssuedSessionSchema),
      '400': problem('The body is not valid'),
      '401': problem('The sign-in was refused (the same answer whatever the reason)'),
      '404': problem(notConfigured),
    },
  },
} satisfies Record<string, OperationDoc>;
