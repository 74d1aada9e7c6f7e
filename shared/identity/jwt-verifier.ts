import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
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
  const verifier = JwtRsaVerifier.create({
    issuer: config.issuer,
    audience: config.audience,
    jwksUri: config.jwksUri,
    customJwtCheck: ({ payload }) => {
      if (payload.token_use !== 'id') throw new Error('Only ID tokens are accepted');
    },
  });
  return async (token) => (await verifier.verify(token)) as Record<string, unknown>;
}
