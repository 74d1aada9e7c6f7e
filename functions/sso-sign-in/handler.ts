import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { publicUrl } from '../../shared/config/config';
import { NotFoundError, PayloadTooLargeError, ValidationError } from '../../shared/errors';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { PasskeySignInRefusedError } from '../../shared/identity/passkeys/passkey';
import type { PasskeySignIn } from '../../shared/identity/passkeys/passkey-sign-in';
import {
  CompletePasskeySignInRequest,
  StartPasskeySignInRequest,
} from '../../shared/identity/passkeys/schemas';
import { logger } from '../../shared/observability/observability';
import type { CompleteSignIn } from '../../shared/sso/complete-sign-in';
import type { SsoConnection, SsoConnectionStore } from '../../shared/sso/connections';
import { oidcRedirectUri } from '../../shared/sso/connections';
import type { DomainStore } from '../../shared/sso/domains';
import type { OidcSignIn } from '../../shared/sso/oidc-sign-in';
import { clearSamlBrowserCookie } from '../../shared/sso/saml/saml-browser-binding';
import { SamlSignInRefusedError } from '../../shared/sso/saml/saml-refusal';
import type { SamlSignIn } from '../../shared/sso/saml/saml-sign-in';
import { samlServiceProviderFor } from '../../shared/sso/saml/saml-sign-in';
import type { IssuedSession } from '../../shared/sso/session-issuer';
import type { SignInFailureStore } from '../../shared/sso/sign-in-failures';
import { publicRefusal, SignInRefusedError, throttledFailures } from '../../shared/sso/sign-in-failures';
import { routeSignIn, StartSignInQuery } from '../../shared/sso/sso-routing';

const MAX_FORM_BYTES = 512 * 1024;
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

const samlSettings = (c: SsoConnection) => {
  if (!c.saml) throw new NotFoundError('Not a SAML connection');
  return {
    orgId: c.orgId,
    connectionId: c.id,
    idpEntityId: c.saml.idpEntityId,
    ssoUrl: c.saml.ssoUrl,
    signingCertificates: c.saml.signingCertificates,
    allowIdpInitiated: c.saml.allowIdpInitiated,
    ...(c.saml.emailAttribute ? { emailAttribute: c.saml.emailAttribute } : {}),
    ...(c.saml.nameAttribute ? { nameAttribute: c.saml.nameAttribute } : {}),
    ...(c.saml.groupsAttribute ? { groupsAttribute: c.saml.groupsAttribute } : {}),
    ...(c.saml.mfaContextClasses ? { mfaContextClasses: c.saml.mfaContextClasses } : {}),
  };
};

const signedIn = (session: IssuedSession): APIGatewayProxyStructuredResultV2 => json(200, session, NO_STORE);

export interface SsoSignInDeps {
  readonly domains: Pick<DomainStore, 'orgOf'>;
  readonly connections: Pick<SsoConnectionStore, 'list' | 'get' | 'orgOf'>;
  readonly oidc: OidcSignIn;
  readonly saml: SamlSignIn;
  readonly complete: CompleteSignIn;
  readonly failures: SignInFailureStore;
  /** Sign-ins with a passkey, verified by the hub and issued by the pool as SSO's are. */
  readonly passkeys: PasskeySignIn;
  readonly publicUrl: string;
  readonly now: () => Date;
}

/**
 * The sign-in routes an IdP and a browser use: start (by email domain), the OIDC callback, the
 * SAML assertion consumer service (HTTP-POST) and the SP metadata; and passkey sign-ins (options,
 * then the authenticator's answer). Every refusal names its reason to the org's admins (the
 * connection's failures; a passkey's, the function's log) and only a plain message to the person.
 */
export const makeHandler = (deps: SsoSignInDeps) => {
  const record = async (orgId: string, connectionId: string, error: SignInRefusedError) =>
    deps.failures
      .record(orgId, {
        connectionId,
        reason: error.reason,
        message: error.message,
        at: deps.now().toISOString(),
      })
      .catch(() => undefined);
  // The hub's own checks record their detail; the browser gets the reason alone.
  const completed = async (...args: Parameters<CompleteSignIn>) => {
    try {
      return await deps.complete(...args);
    } catch (error) {
      throw error instanceof SignInRefusedError ? publicRefusal(error) : error;
    }
  };
  const connectionById = async (id: string) => {
    const orgId = await deps.connections.orgOf(id);
    const connection = orgId ? await deps.connections.get(orgId, id) : null;
    if (!connection?.saml) throw new NotFoundError(`No SAML connection ${id}`);
    return connection;
  };

  return byOperation({
    startSsoSignIn: apiHandler({
      operation: 'startSsoSignIn',
      query: StartSignInQuery,
      handle: async ({ query }) => {
        const connection = await routeSignIn(deps, query.email, query.connectionId);
        if (connection.oidc) {
          const { location, cookie } = await deps.oidc.start(connection, query.email);
          return { statusCode: 302, headers: { location, ...NO_STORE }, cookies: [cookie] };
        }
        const { url, cookie } = await deps.saml.startSignIn(
          samlSettings(connection),
          samlServiceProviderFor(deps.publicUrl, connection.id),
        );
        return { statusCode: 302, headers: { location: url, ...NO_STORE }, cookies: [cookie] };
      },
    }),
    completeOidcSignIn: apiHandler({
      operation: 'completeOidcSignIn',
      handle: async ({ event, request }) => {
        const callback = new URL(oidcRedirectUri(deps.publicUrl));
        for (const [k, v] of Object.entries(event.queryStringParameters ?? {}))
          if (v !== undefined && v.length <= 4096) callback.searchParams.set(k, v);
        const outcome = await deps.oidc.callback(callback, event.cookies?.join('; '), (orgId, id) =>
          deps.connections.get(orgId, id),
        );
        if ('refused' in outcome) {
          if (outcome.orgId && outcome.connectionId)
            await record(outcome.orgId, outcome.connectionId, outcome.refused);
          throw publicRefusal(outcome.refused);
        }
        return signedIn(await completed(outcome.connection, outcome.identity, request));
      },
    }),
    completeSamlSignIn: apiHandler({
      operation: 'completeSamlSignIn',
      handle: async ({ event, path, request }) => {
        const connection = await connectionById(path.ssoConnectionId);
        const raw = event.body ?? '';
        if (raw.length > MAX_FORM_BYTES) throw new PayloadTooLargeError('A SAML response is at most 512 KiB');
        const form = new URLSearchParams(
          event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw,
        );
        const response = form.get('SAMLResponse');
        if (!response)
          throw new ValidationError('The form has no SAMLResponse', [
            { path: 'SAMLResponse', message: 'required' },
          ]);
        const sp = samlServiceProviderFor(deps.publicUrl, connection.id);
        let identity: Awaited<ReturnType<SamlSignIn['verifyResponse']>>;
        try {
          identity = await deps.saml.verifyResponse(
            samlSettings(connection),
            sp,
            response,
            event.cookies?.join('; '),
          );
        } catch (error) {
          if (error instanceof SamlSignInRefusedError) {
            const refused = new SignInRefusedError(
              error.reason,
              `The SAML response was refused: ${error.reason}`,
            );
            await record(connection.orgId, connection.id, refused);
            throw publicRefusal(refused);
          }
          throw error;
        }
        const session = signedIn(await completed(connection, identity, request));
        // The request's browser cookie has done its work.
        return identity.requestId
          ? { ...session, cookies: [clearSamlBrowserCookie(identity.requestId, sp.acsUrl)] }
          : session;
      },
    }),
    startPasskeySignIn: apiHandler({
      operation: 'startPasskeySignIn',
      body: StartPasskeySignInRequest,
      // The address, if sent, changes nothing: the options are everyone's.
      handle: async () => json(200, await deps.passkeys.options(), NO_STORE),
    }),
    completePasskeySignIn: apiHandler({
      operation: 'completePasskeySignIn',
      body: CompletePasskeySignInRequest,
      handle: async ({ body, request }) => {
        try {
          return signedIn(await deps.passkeys.verify(body.response, request));
        } catch (error) {
          // The reason for the operator (bounded values only, never the credential); the person hears the same for all.
          if (error instanceof PasskeySignInRefusedError)
            logger.info('Passkey sign-in refused', { reason: error.reason });
          throw error;
        }
      },
    }),
    getSamlMetadata: apiHandler({
      operation: 'getSamlMetadata',
      handle: async ({ path }) => {
        const connection = await connectionById(path.ssoConnectionId);
        return {
          statusCode: 200,
          headers: { 'content-type': 'application/samlmetadata+xml' },
          body: deps.saml.serviceProviderMetadata(samlServiceProviderFor(deps.publicUrl, connection.id)),
        };
      },
    }),
  });
};

const failures = throttledFailures(adapters.signInFailureStore());
const clock = hubClock();
export const handler = makeHandler({
  domains: adapters.domainClaims(),
  connections: adapters.ssoConnectionReader(),
  oidc: adapters.oidcSignIn(clock),
  saml: adapters.samlSignIn(clock),
  complete: adapters.completeSignIn(clock),
  failures,
  passkeys: adapters.passkeySignIn(clock),
  publicUrl: publicUrl(),
  now: () => clock.now(),
});
