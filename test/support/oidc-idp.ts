import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A client the test IdP knows: the hub, registered with its redirect URI. */
export interface IdpClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
}

/** A person the test IdP signs in, with the claims it releases. */
export interface IdpAccount {
  readonly sub: string;
  readonly email: string;
  readonly name?: string;
  readonly groups?: readonly string[];
  readonly amr?: readonly string[];
  /** Entra's claims: the tenant the account belongs to, and its directory role template ids. */
  readonly tid?: string;
  readonly wids?: readonly string[];
  readonly oid?: string;
}

export interface TestOidcIdp {
  readonly issuer: string;
  /** Who the next interaction signs in as (the login form is answered by this account). */
  signInAs(account: IdpAccount): void;
  stop(): Promise<void>;
}

/**
 * A real OpenID Provider (`oidc-provider`) on loopback, for the sign-in tests: discovery, the
 * authorization endpoint (its interaction answered at once as `signInAs`'s account), code
 * exchange with client_secret_basic/post, PKCE required, ID tokens with email, groups and amr —
 * and, standing in for Microsoft Entra, `tid`, `wids` and `oid` when the account has them.
 */
export async function startOidcIdp(clients: readonly IdpClient[]): Promise<TestOidcIdp> {
  const name = 'oidc-provider';
  const { default: Provider } = (await import(name)) as {
    default: new (issuer: string, config: object) => never;
  };
  let account: IdpAccount | null = null;
  let server: Server | null = createServer();
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  // biome-ignore lint/suspicious/noExplicitAny: oidc-provider is loaded untyped (its types need the DOM)
  const provider: any = new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [c.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    claims: {
      openid: ['sub', 'amr', 'auth_time', 'tid', 'wids', 'oid'],
      email: ['email', 'email_verified'],
      profile: ['name', 'groups'],
    },
    scopes: ['openid', 'email', 'profile'],
    pkce: { required: () => true },
    // As Okta and Entra ID do: the ID token carries the scopes' claims (email, name, groups).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({
        sub,
        email: account?.email,
        email_verified: true,
        name: account?.name,
        groups: account?.groups ?? [],
        ...(account?.tid ? { tid: account.tid } : {}),
        ...(account?.wids ? { wids: [...account.wids] } : {}),
        ...(account?.oid ? { oid: account.oid } : {}),
      }),
    }),
    loadExistingGrant: async (ctx: {
      oidc: { client: { clientId: string }; session: { accountId: string } };
    }) => {
      const grant = new provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups', 'tid', 'wids', 'oid']);
      await grant.save();
      return grant;
    },
    jwks: {
      keys: [
        {
          ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
          kid: 'test',
          use: 'sig',
          alg: 'RS256',
        },
      ],
    },
    ttl: { AuthorizationCode: 60, IdToken: 300, Session: 600, Interaction: 300, Grant: 600 },
  });
  // Every interaction is the login prompt, answered at once as the chosen account.
  server.on('request', async (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      try {
        if (!account) throw new Error('no account to sign in as');
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: account.sub, amr: [...(account.amr ?? ['pwd'])] } },
          { mergeWithLastSubmission: false },
        );
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
      return;
    }
    provider.callback()(req, res);
  });
  return {
    issuer,
    signInAs: (a) => {
      account = a;
    },
    stop: async () => {
      const s = server;
      server = null;
      s?.closeAllConnections();
      await new Promise<void>((r) => s?.close(() => r()));
    },
  };
}
