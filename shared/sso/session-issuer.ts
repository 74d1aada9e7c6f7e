/** The tokens of a session the user pool issued. */
export interface IssuedSession {
  readonly idToken: string;
  readonly accessToken: string;
  readonly refreshToken: string | null;
  readonly expiresIn: number;
  readonly tokenType: 'Bearer';
}

/** Issues a hub session for a sign-in the hub has verified itself (SAML, OIDC). */
export interface SessionIssuer {
  /** Has the user pool sign the hub user in after the hub verified an SSO sign-in; `amr` as OIDC lists it (e.g. ['ext','mfa']). */
  issue(input: {
    orgId: string;
    userId: string;
    email: string;
    name?: string;
    amr: readonly string[];
    connectionId: string;
  }): Promise<IssuedSession>;
}
