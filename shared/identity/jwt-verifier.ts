import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtConfig } from '../config/config';
import type { JwtVerify } from './authenticate';

/**
 * Verifies users' ID tokens: against the Cognito user pool in AWS (issuer, audience, token_use
 * checked by aws-jwt-verify), or against the local issuer's JWKS with the same checks.
 */
export function makeJwtVerify(config: JwtConfig): JwtVerify {
  if (config.kind === 'cognito') {
    const verifier = CognitoJwtVerifier.create({
      userPoolId: config.userPoolId,
      clientId: config.clientId,
      tokenUse: 'id',
    });
    return async (token) => (await verifier.verify(token)) as Record<string, unknown>;
  }
  const verifier = JwtRsaVerifier.create(
    {
      issuer: config.issuer,
      audience: config.audience,
      jwksUri: config.jwksUri,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== 'id') throw new Error('Only ID tokens are accepted');
      },
    },
    // The library's own fetcher speaks HTTPS only; a local issuer on loopback serves plain HTTP.
    {
      jwksCache: new SimpleJwksCache({ fetcher: { fetch: async (uri) => (await fetch(uri)).arrayBuffer() } }),
    },
  );
  return async (token) => (await verifier.verify(token)) as Record<string, unknown>;
}

/**
 * Verifies a user's access token of the same pool and app client (`token_use: access`, its
 * `client_id`): what the hub hands the pool's own token-authorised calls (enrolling an
 * authenticator app) is checked to stand for the very user the ID token does.
 */
export function makeAccessTokenVerify(config: JwtConfig): JwtVerify {
  if (config.kind === 'cognito') {
    const verifier = CognitoJwtVerifier.create({
      userPoolId: config.userPoolId,
      clientId: config.clientId,
      tokenUse: 'access',
    });
    return async (token) => (await verifier.verify(token)) as Record<string, unknown>;
  }
  const verifier = JwtRsaVerifier.create(
    {
      issuer: config.issuer,
      // Cognito's access tokens have no audience: they name their app client instead.
      audience: null,
      jwksUri: config.jwksUri,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== 'access') throw new Error('Only access tokens are accepted here');
        if (payload.client_id !== config.audience)
          throw new Error('The access token is for another app client');
      },
    },
    {
      jwksCache: new SimpleJwksCache({ fetcher: { fetch: async (uri) => (await fetch(uri)).arrayBuffer() } }),
    },
  );
  return async (token) => (await verifier.verify(token)) as Record<string, unknown>;
}
