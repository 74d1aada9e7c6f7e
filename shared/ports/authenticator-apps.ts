import type { User } from '../tenancy/user';

/**
 * Users' authenticator apps (TOTP) at the identity provider that asks their codes at sign-in.
 * Enrolling is the user's own act, authorised by their access token; turning an app off is an
 * administrator's call.
 */
export interface AuthenticatorApps {
  /** Starts enrolling an app for the access token's user: the secret to show them, once. */
  associate(accessToken: string): Promise<{ readonly secretCode: string }>;
  /** Checks a code of the app being enrolled: true when it matched. */
  verify(accessToken: string, code: string, deviceName: string): Promise<boolean>;
  /** Makes the verified app the user's second factor, asked at each password sign-in. */
  enable(accessToken: string): Promise<void>;
  /** Turns the user's app off (a user the provider does not know has none, which is no error). */
  disable(user: Pick<User, 'email'>): Promise<void>;
}

/** Thrown when the provider refuses the access token it was given (expired, revoked, another pool's). */
export class AccessTokenRefusedError extends Error {}
