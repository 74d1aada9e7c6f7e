import type { OperationDoc } from '../../api/operation-doc';
import { authErrors, jsonBody, ok, problem } from '../../api/operation-doc';
import { OrgIdParam, UserIdParam } from '../../api/schemas';
import { MfaStatusSchema, StartTotpRequest, TotpEnabled, TotpEnrolment, VerifyTotpRequest } from './schemas';

const notAUser = problem(
  'The credential does not allow this, or it is an API key (only a signed-in user has second factors)',
);
const poolDown = problem('The user pool could not be reached; nothing changed that a retry would not finish');
const beforeSecondFactor =
  'Open to a signed-in user before they show a second factor, so that a user of an org with `mfaRequired` can enrol one.';

/** The second-factor operations' documentation, merged into the OpenAPI document. */
export const mfaOperations = {
  getMyMfa: {
    description: `The caller's second factors, and whether the org requires one. ${beforeSecondFactor}`,
    requestParams: { path: OrgIdParam },
    responses: { '200': ok("The caller's second factors", MfaStatusSchema), ...authErrors, '403': notAUser },
  },
  startTotpEnrolment: {
    description: `Starts enrolling an authenticator app (TOTP) as the second factor of the caller's password sign-ins: the user pool makes a secret, shown once as text and as an \`otpauth://\` URI. The access token in the body must be the caller's own. Audited (\`mfa.totp_enrolment_started\`, without the secret). ${beforeSecondFactor}`,
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(StartTotpRequest),
    responses: {
      '200': ok('The secret, shown once', TotpEnrolment),
      '400': problem('The body is not valid, or the user pool refused the access token'),
      ...authErrors,
      '403': problem('The access token stands for another user, or the credential is an API key'),
      '503': poolDown,
    },
  },
  verifyTotpEnrolment: {
    description: `Finishes enrolling with a code the app shows: the app becomes the caller's second factor, asked at every password sign-in, and every session of the caller is revoked (sign in again, with a code; your tokens then show \`otp\` in \`custom:amr\`). Audited (\`mfa.totp_enabled\`, \`session.revoked\`). ${beforeSecondFactor}`,
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(VerifyTotpRequest),
    responses: {
      '200': ok('Enrolled; every session revoked', TotpEnabled),
      '400': problem(
        'The body is not valid, the code does not match, or the user pool refused the access token',
      ),
      ...authErrors,
      '403': problem('The access token stands for another user, or the credential is an API key'),
      '503': poolDown,
    },
  },
  disableTotp: {
    description:
      "Turns the caller's authenticator app off. Needs a sign-in with its code in the last 15 minutes (a stolen session cannot remove it), and is refused where the org requires a second factor and the caller holds no passkey. Audited (`mfa.totp_disabled`).",
    requestParams: { path: OrgIdParam },
    responses: {
      '204': { description: 'Turned off' },
      ...authErrors,
      '403': problem('Not a recent sign-in with the app (`…:mfa-required`), or the credential is an API key'),
      '404': problem('The caller has no authenticator app enrolled'),
      '409': problem("The organisation requires a second factor, and the app is the caller's only one"),
      '503': poolDown,
    },
  },
  resetUserMfa: {
    description:
      "An admin's reset of a user's second factors (a lost phone): the authenticator app turned off, the passkeys removed, and every session of the user revoked; with `mfaRequired` the user enrols a new one at their next sign-in. Only a signed-in admin, within the last 15 minutes, and with their own second factor then when they have one or the org requires one (an API key is 403: a leaked key never strips a second factor); the user is emailed who reset them. A user whose role holds more than the caller's is refused. Audited (`mfa.totp_reset`, `mfa.passkey_removed`, `session.revoked`).",
    requestParams: { path: UserIdParam },
    responses: {
      '204': { description: 'Reset' },
      ...authErrors,
      '403': problem("The credential does not allow this, or the user's role holds more than the caller's"),
      '404': problem('No such user in the org'),
      '503': poolDown,
    },
  },
} satisfies Record<string, OperationDoc>;
