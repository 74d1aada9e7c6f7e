import * as z from 'zod';
import { authErrors, jsonBody, ok, problem } from '../api/operation-doc';
import { ListQuery, OrgIdParam } from '../api/schemas';
import {
  MAX_SSO_CONNECTIONS_PER_ORG,
  SsoConnectionInput,
  SsoConnectionPage,
  SsoConnectionSchema,
} from './connections';
import { CHALLENGE_LABEL, DomainInput, DomainPage, DomainSchema, MAX_DOMAINS_PER_ORG } from './domains';
import { FAILURES_SHOWN, SignInFailureList } from './sign-in-failures';
import { StartSignInQuery } from './sso-routing';

const DomainParam = z.object({
  orgId: z.string(),
  domain: z.string().meta({ description: 'The domain, in lower case', example: 'example.com' }),
});

/** Enterprise sign-in's operations, documented beside the feature and merged into the OpenAPI document. */
export const ssoOperations = {
  listDomains: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    description:
      'The email domains the org has claimed. A verified domain routes sign-ins with an address in it to the org, and an IdP of the org may only assert addresses in its verified domains.',
    responses: {
      '200': ok('A page of domains', DomainPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  addDomain: {
    requestParams: { path: OrgIdParam },
    description: `Claims a domain, pending its proof: publish the answer's \`verificationRecord\` (a TXT record at \`${CHALLENGE_LABEL}.<domain>\`) and call \`…/verify\`. The record's value is not a secret. At most ${MAX_DOMAINS_PER_ORG} domains per org. Audited (\`sso_domain.added\`).`,
    requestBody: jsonBody(DomainInput),
    responses: {
      '201': ok('The domain, pending, with the record to publish', DomainSchema),
      '400': problem('The body is not a domain name'),
      ...authErrors,
      '409': problem(`The org has this domain already, or holds ${MAX_DOMAINS_PER_ORG}`),
    },
  },
  getDomain: {
    requestParams: { path: DomainParam },
    description: 'One domain, with its TXT record and the outcome of its last check.',
    responses: {
      '200': ok('The domain', DomainSchema),
      ...authErrors,
      '404': problem('The org has no such domain'),
    },
  },
  verifyDomain: {
    requestParams: { path: DomainParam },
    description:
      "Looks up the domain's TXT record. When it holds the org's value, the domain is verified and claimed for the org: no other org can verify it until this one removes it. A domain verified before stays verified. Audited (`sso_domain.verified`); a failed check is recorded on the domain (`lastCheckError`).",
    responses: {
      '200': ok('The domain, verified', DomainSchema),
      '400': problem('No TXT record holds the value yet (the reason is on the domain too)'),
      ...authErrors,
      '404': problem('The org has no such domain'),
      '409': problem('Another organisation has verified this domain'),
      '503': problem('DNS could not be asked; try again shortly'),
    },
  },
  removeDomain: {
    requestParams: { path: DomainParam },
    description:
      'Gives the domain up: sign-ins in it no longer go to the org, and its claim is released for another org to prove. Audited (`sso_domain.removed`).',
    responses: {
      '204': { description: 'Removed' },
      ...authErrors,
      '404': problem('The org has no such domain'),
    },
  },
};

const SsoConnectionParam = z.object({ orgId: z.string(), ssoConnectionId: z.string() });
const SsoSubjectParam = SsoConnectionParam.extend({ userId: z.string() });

/** The SSO connections' operations. */
export const ssoConnectionOperations = {
  listSsoConnections: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    description:
      "The org's SAML 2.0 and OIDC connections, without their secrets (an OIDC client secret shows as `hasClientSecret`).",
    responses: {
      '200': ok('A page of SSO connections', SsoConnectionPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  createSsoConnection: {
    requestParams: { path: OrgIdParam },
    description: `Connects an identity provider. SAML: the IdP's metadata (\`metadataXml\`, or \`metadataUrl\` fetched once through the egress guard), or \`idpEntityId\` + \`ssoUrl\` + \`signingCertificates\`; a response is only ever checked against these certificates. The answer's \`saml.serviceProvider\` is what to give the IdP (entity id, ACS URL, metadata URL). OIDC: \`issuer\` (its discovery document is read when saved), \`clientId\`, \`clientSecret\` (stored encrypted under the org and the connection, never shown); register \`oidc.redirectUri\` at the IdP. Roles set here (\`defaultRole\`, \`groupMappings[].role\`) must be ones the caller could grant. At most ${MAX_SSO_CONNECTIONS_PER_ORG} per org. Audited (\`sso_connection.created\`, without secrets).`,
    requestBody: jsonBody(SsoConnectionInput),
    responses: {
      '201': ok('The connection', SsoConnectionSchema),
      '400': problem(
        'The body is not valid, or the metadata or discovery document cannot be used (the reason says why)',
      ),
      ...authErrors,
      '403': problem('The caller may not grant a role the connection names'),
      '409': problem(`The org has ${MAX_SSO_CONNECTIONS_PER_ORG} connections already`),
    },
  },
  getSsoConnection: {
    requestParams: { path: SsoConnectionParam },
    description: 'One connection, without its secret.',
    responses: {
      '200': ok('The connection', SsoConnectionSchema),
      ...authErrors,
      '404': problem('No such connection'),
    },
  },
  replaceSsoConnection: {
    requestParams: { path: SsoConnectionParam },
    description:
      "Replaces the connection's settings (its protocol stays). An OIDC `clientSecret` left out keeps the stored one. Audited (`sso_connection.updated`, before and after, without secrets).",
    requestBody: jsonBody(SsoConnectionInput),
    responses: {
      '200': ok('The connection as stored', SsoConnectionSchema),
      '400': problem('The body is not valid'),
      ...authErrors,
      '403': problem('The caller may not grant a role the connection names'),
      '404': problem('No such connection'),
      '409': problem('Another protocol than the connection has, or it changed meanwhile'),
    },
  },
  deleteSsoConnection: {
    requestParams: { path: SsoConnectionParam },
    description:
      'Deletes the connection: its IdP can no longer sign anyone in, and the IdP subjects bound to users through it go with it. Audited (`sso_connection.deleted`).',
    responses: { '204': { description: 'Deleted' }, ...authErrors, '404': problem('No such connection') },
  },
  deleteSsoSubjectBinding: {
    requestParams: { path: SsoSubjectParam },
    description:
      "A user's first sign-in through a connection binds the IdP's subject for them (OIDC `sub`, SAML NameID; a transient NameID binds nothing) to the hub user: later sign-ins through the connection must present that subject for that user (else `subject_mismatch`), and that subject signs in as no other user (else `subject_bound_to_other_user`, as when the IdP changed the person's email). This resets the user's binding, so their next sign-in binds whatever subject the IdP then sends. Audited (`sso_subject.unbound`).",
    responses: {
      '204': { description: 'The binding is gone' },
      ...authErrors,
      '404': problem('No such connection, or the user has no subject bound through it'),
    },
  },
};

const ConnectionOnlyParam = z.object({ ssoConnectionId: z.string() });
export const IssuedSessionSchema = z
  .object({
    idToken: z
      .string()
      .describe('The JWT to call the API with (`Authorization: Bearer …`), as for any sign-in'),
    accessToken: z.string(),
    refreshToken: z.string().nullable(),
    expiresIn: z.number().int().describe('Seconds the access token lasts'),
    tokenType: z.literal('Bearer'),
  })
  .meta({ id: 'IssuedSession' });
const signInRefusals = {
  '403': problem(
    "The sign-in was refused (`reason`): the address is outside the org's verified domains, the org requires a second factor the IdP did not report, the user is deactivated, the connection is disabled… The org's admins see why in the connection's failures",
  ),
};

/** The sign-in routes, and what admins read when sign-ins fail. */
export const ssoSignInOperations = {
  listSsoFailures: {
    requestParams: { path: SsoConnectionParam },
    description: `The last ${FAILURES_SHOWN} refused sign-ins through the connection (kept 30 days): the check that failed and when, never the assertion, the token or the claims.`,
    responses: {
      '200': ok('The refusals, newest first', SignInFailureList),
      ...authErrors,
      '404': problem('No such connection'),
    },
  },
  startSsoSignIn: {
    requestParams: { query: StartSignInQuery },
    description:
      "Finds the org that verified the address's domain and redirects (302) to its enabled SSO connection's IdP: an OIDC authorization request (code flow, PKCE S256, state and nonce, kept 10 minutes for one use) or a SAML AuthnRequest (HTTP-Redirect binding, its id kept for the response's `InResponseTo`). Either way the browser gets an HttpOnly cookie whose hash is kept with the request (for SAML `SameSite=None`, the IdP posting cross-site, on the connection's ACS path only): the answer must come back through the same browser (login CSRF). `connectionId` picks one when the org has several.",
    responses: {
      '302': { description: 'To the identity provider' },
      '400': problem('Not an email address'),
      '404': problem('No org signs in this domain with SSO'),
    },
  },
  completeOidcSignIn: {
    description:
      "The IdP's redirect back (`code`, `state`). The state must be one the hub issued, unused and unexpired; the code is exchanged with PKCE and the ID token checked (signature, issuer, audience, expiry, nonce). The user is provisioned at first sign-in (the connection's default role), groups mapped to roles and teams, and the user pool issues the session (custom authentication), answered here.",
    responses: { '200': ok('The session', IssuedSessionSchema), ...signInRefusals },
  },
  completeSamlSignIn: {
    requestParams: { path: ConnectionOnlyParam },
    description:
      "The IdP posts `SAMLResponse` (and `RelayState`) as a form. The assertion's signature is checked against the connection's certificates only, then audience, recipient and destination, `NotBefore`/`NotOnOrAfter` with a bounded skew, and the assertion id's single use. A response naming an AuthnRequest (`InResponseTo`, in the signed assertion) must answer one the hub sent, unused, and come from the browser that started it (its cookie; else `browser_mismatch`). An unsolicited response (IdP-initiated, no `InResponseTo`) is accepted only when the connection sets `allowIdpInitiated` (off by default; else `unsolicited_not_allowed`) and is at most 2 minutes old (plus the bounded clock skew), whatever its `NotOnOrAfter`. Then as for OIDC.",
    responses: {
      '200': ok('The session', IssuedSessionSchema),
      '400': problem('The form has no SAMLResponse'),
      '404': problem('No such SAML connection'),
      ...signInRefusals,
    },
  },
  getSamlMetadata: {
    requestParams: { path: ConnectionOnlyParam },
    description:
      "The hub's service provider metadata for the connection (entity id, ACS URL), for the IdP's admin.",
    responses: {
      '200': {
        description: 'SAML metadata',
        content: { 'application/samlmetadata+xml': { schema: z.string() } },
      },
      '404': problem('No such SAML connection'),
    },
  },
};
