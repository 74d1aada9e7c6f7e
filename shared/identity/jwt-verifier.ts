import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtConfig } from '../config/config';
import type { JwtVerify } from './authenticate';

type TokenUse = 'id' | 'access';

/**
 * A verifier of the pool's tokens of one use: against the Cognito user pool in AWS (issuer,
 * audience or `client_id`, `token_use` checked by aws-jwt-verify), or against the local issuer's
 * JWKS with the same checks. Cognito's access tokens have no audience: they name their app client.
 */
function makeVerify(config: JwtConfig, tokenUse: TokenUse): JwtVerify {
  if (config.kind === 'cognito') {
    const verifier = CognitoJwtVerifier.create({
      userPoolId: config.userPoolId,
      clientId: config.clientId,
      tokenUse,
    });
    return async (token) => (await verifier.verify(token)) as Record<string, unknown>;
  }
  const verifier = JwtRsaVerifier.create(
    {
      issuer: config.issuer,
      audience: tokenUse === 'id' ? config.audience : null,
      jwksUri: config.jwksUri,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== tokenUse) {
          throw new Error(
            tokenUse === 'id' ? 'Only ID tokens are accepted' : 'Only access tokens are accepted here',
          );
        }
        if (tokenUse === 'access' && payload.client_id !== config.audience) {
          throw new Error('The access token is for another app client');
        }
      },
    },
    // The library's own fetcher speaks HTTPS only; a local issuer on loopback serves plain HTTP.
    {
      jwksCache: new SimpleJwksCache({ fetcher: { fetch: async (uri) => (await fetch(uri)).arrayBuffer() } }),
    },
  );
  return async (token) => (await verifier.verify(token)) as Record<string, unknown>;
}

/** Verifies users' ID tokens, the only tokens the API takes. */
export const makeJwtVerify = (config: JwtConfig): JwtVerify => makeVerify(config, 'id');

/**
 * Verifies a user's access token of the same pool and app client: what the hub hands the pool's
 * own token-authorised calls (enrolling an authenticator app) is checked to stand for the very
 * user the ID token does.
 */
export const makeAccessTokenVerify = (config: JwtConfig): JwtVerify => makeVerify(config, 'access');
