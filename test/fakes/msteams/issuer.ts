import type { CryptoKey, JWK } from 'jose';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/** What a token the fake channel signs may be made to get wrong, for the tests that refuse it. */
export interface TokenOptions {
  readonly serviceUrl: string;
  readonly audience?: string;
  readonly issuer?: string;
  /** Seconds from now; negative for a token that has expired. @default 3600 */
  readonly expiresIn?: number;
  /** Seconds from now the token becomes valid. @default -300 (as the Bot Framework issues them) */
  readonly notBefore?: number;
  /** Sign with a key the published JWKS does not hold (a forged token). */
  readonly foreignKey?: boolean;
  /** Name a key id the JWKS does not hold. */
  readonly kid?: string;
}

/**
 * A local stand-in for the Bot Framework's token issuer: an RS256 key pair, the OpenID metadata
 * (`/v1/.well-known/openidconfiguration`) and the JWKS it names (`/v1/.well-known/keys`, keys
 * endorsed for `msteams`), and tokens signed as the channel signs the activities it sends a bot.
 */
export async function makeFakeIssuer(appId: string) {
  const make = async (kid: string) => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    return {
      kid,
      privateKey,
      jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' } as JWK,
    };
  };
  let current = await make('fake-bf-key-1');
  const foreign = await make('fake-bf-key-1');
  let keys: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = [current];
  let rotations = 1;
  return {
    /** How many times the JWKS was fetched. */
    keyFetches: 0,
    metadata: (base: string) => ({
      issuer: 'https://api.botframework.com',
      authorization_endpoint: 'https://invalid.botframework.com',
      jwks_uri: `${base}/v1/.well-known/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    }),
    jwks: () => ({ keys: keys.map((k) => ({ ...k.jwk, endorsements: ['msteams'] })) }),
    /** Signs a token for an activity sent from `serviceUrl`, as the channel does (or as told to get it wrong). */
    async sign(options: TokenOptions): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      const key = options.foreignKey ? foreign : current;
      return new SignJWT({ serviceurl: options.serviceUrl })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: options.kid ?? key.kid })
        .setIssuer(options.issuer ?? 'https://api.botframework.com')
        .setAudience(options.audience ?? appId)
        .setNotBefore(now + (options.notBefore ?? -300))
        .setExpirationTime(now + (options.expiresIn ?? 3600))
        .setIssuedAt(now - 300)
        .sign(key.privateKey);
    },
    /** Publishes a new signing key and signs with it from now on (the old one stays published). */
    async rotate(): Promise<string> {
      rotations += 1;
      current = await make(`fake-bf-key-${rotations}`);
      keys = [...keys, current];
      return current.kid;
    },
  };
}
export type FakeIssuer = Awaited<ReturnType<typeof makeFakeIssuer>>;
