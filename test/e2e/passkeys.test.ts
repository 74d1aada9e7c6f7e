import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { claimsOf, orgWithPasswordUser as orgWithUser } from '../support/password-users';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';
import { SoftwareAuthenticator } from '../support/software-authenticator';

/**
 * Passkeys as a password user meets them on one machine: registered through the API with a
 * (software) authenticator at the hub's local origin, then a sign-in with it through
 * `/sso/passkey/*`, which the local user pool issues by the same one-time grant SSO uses — its
 * tokens say `hwk` in `custom:amr`, so an org requiring MFA admits them and no password-only session.
 */
let hub: RuntimeProcess;
beforeAll(async () => {
  hub = await startRuntime();
}, 180_000);
afterAll(async () => {
  await hub?.stop();
});

/** The hub's local origin as a browser holds it (localhost: the relying party the runtime sets). */
const origin = () => `http://localhost:${new URL(hub.url).port}`;
const orgWithPasswordUser = (slug: string) => orgWithUser(hub, slug);

/**
 * Waits into the next second: a token's `auth_time` counts whole seconds, so a sign-in in the very
 * second of a sign-out-everywhere counts as begun before it (as with Cognito's own tokens).
 */
const nextSecond = () => new Promise((r) => setTimeout(r, 1005 - (Date.now() % 1000)));

/** Registers a passkey as a browser would: the options, the authenticator, the answer. */
async function register(token: string, base: string, authenticator: SoftwareAuthenticator, name?: string) {
  const as = client(hub, token);
  const options = await as('POST', `${base}/me/passkeys/registration-options`);
  expect(options.status).toBe(200);
  const response = authenticator.create(options.json as unknown as PublicKeyCredentialCreationOptionsJSON);
  return as('POST', `${base}/me/passkeys`, { response, ...(name ? { name } : {}) });
}

/** Signs in with a passkey as a browser would, through the public routes. */
async function passkeySignIn(authenticator: SoftwareAuthenticator) {
  const anonymous = client(hub, '');
  const options = await anonymous('POST', '/sso/passkey/options', {});
  expect(options.status).toBe(200);
  const response = authenticator.get(options.json as unknown as PublicKeyCredentialRequestOptionsJSON);
  return anonymous('POST', '/sso/passkey/verify', { response });
}

describe('passkeys over HTTP and the CLI', () => {
  it('registers a passkey (signing the user out everywhere), signs in with it with amr hwk, and an org requiring MFA admits that session and refuses a password-only one', async () => {
    const { base, asOwner, signIn } = await orgWithPasswordUser('passkey-signin');
    const password = signIn();
    expect(claimsOf(password.idToken)['custom:amr']).toBe('pwd');
    const authenticator = new SoftwareAuthenticator({ origin: origin() });

    // The answer of another origin is refused, and its challenge is spent.
    const asAda = client(hub, password.idToken);
    const foreign = await asAda('POST', `${base}/me/passkeys/registration-options`);
    const wrongOrigin = await asAda('POST', `${base}/me/passkeys`, {
      response: new SoftwareAuthenticator({ origin: 'https://evil.example' }).create(
        foreign.json as unknown as PublicKeyCredentialCreationOptionsJSON,
      ),
    });
    expect(wrongOrigin.status).toBe(400);

    const registered = await register(password.idToken, base, authenticator, "Ada's laptop");
    expect(registered.status).toBe(201);
    expect(registered.json).toMatchObject({
      name: "Ada's laptop",
      signedOut: true,
      transports: ['internal'],
    });
    expect(registered.text).not.toContain(String(authenticator.credentialIds[0]));
    // The password session began before the second factor: refused from now on.
    await eventually(async () => ((await asAda('GET', base)).status === 401 ? true : undefined));

    await nextSecond();
    const signedIn = await passkeySignIn(authenticator);
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('cache-control')).toBe('no-store');
    expect(signedIn.json).toMatchObject({ tokenType: 'Bearer', idToken: expect.any(String) });
    const idToken = String(signedIn.json.idToken);
    expect(claimsOf(idToken)['custom:amr']).toBe('hwk user');
    const asAdaWithPasskey = client(hub, idToken);
    expect((await asAdaWithPasskey('GET', base)).status).toBe(200);
    const sessions = await asAdaWithPasskey('GET', `${base}/me/sessions`);
    expect((sessions.json.items as { signInMethod: string }[]).map((s) => s.signInMethod)).toContain(
      'passkey+mfa',
    );

    // The org requires a second factor: the passkey's session is admitted, a password one is not.
    expect((await asOwner('PATCH', base, { settings: { mfaRequired: true } })).status).toBe(200);
    const passwordAgain = client(hub, signIn().idToken);
    const refused = await eventually(async () => {
      const res = await passwordAgain('GET', base);
      return res.status === 403 ? res : undefined;
    });
    expect(refused.json.type).toMatch(/mfa-required/);
    expect((await asAdaWithPasskey('GET', base)).status).toBe(200);

    // A replayed assertion and a bogus one get the same plain refusal.
    const anonymous = client(hub, '');
    const options = await anonymous('POST', '/sso/passkey/options', { email: 'ada@passkey-signin.test' });
    expect(options.json.allowCredentials ?? []).toEqual([]);
    const answer = authenticator.get(options.json as unknown as PublicKeyCredentialRequestOptionsJSON);
    expect((await anonymous('POST', '/sso/passkey/verify', { response: answer })).status).toBe(200);
    const replayed = await anonymous('POST', '/sso/passkey/verify', { response: answer });
    expect(replayed.status).toBe(401);
    const stranger = new SoftwareAuthenticator({ origin: origin() });
    stranger.create({
      challenge: 'x',
      rp: { id: 'localhost', name: 'x' },
      user: { id: 'dXNy', name: 'x', displayName: 'x' },
      pubKeyCredParams: [],
    });
    const unknown = await passkeySignIn(stranger);
    expect(unknown.status).toBe(401);
    expect(unknown.json.detail).toBe(replayed.json.detail);

    const audit = await asOwner('GET', `${base}/audit-events?limit=50`);
    expect((audit.json.items as { action: string }[]).map((a) => a.action)).toEqual(
      expect.arrayContaining(['mfa.passkey_added', 'session.revoked', 'passkey.signed_in']),
    );
  });

  it('lists and removes passkeys (a second one with a recent second factor), by the API and the CLI; an admin reset removes them all and they sign in no more', async () => {
    const { base, asOwner, userId, signIn, signedInAdmin } = await orgWithPasswordUser('passkey-manage');
    const laptop = new SoftwareAuthenticator({ origin: origin() });
    const key = new SoftwareAuthenticator({ origin: origin() });
    expect((await register(signIn().idToken, base, laptop, 'Laptop')).status).toBe(201);
    await nextSecond();

    // A password session cannot add a second factor beside the first; a passkey session can.
    const password = signIn().idToken;
    const refused = await client(hub, password)('POST', `${base}/me/passkeys/registration-options`);
    expect(refused.status).toBe(403);
    expect(refused.json.type).toMatch(/mfa-required/);
    const withPasskey = String((await passkeySignIn(laptop)).json.idToken);
    const second = await register(withPasskey, base, key, 'Security key');
    expect(second.status).toBe(201);
    expect(second.json.signedOut).toBe(false);

    const listed = runCli(hub, ['passkeys', 'list'], withPasskey);
    expect(listed.stderr).toBe('');
    const items = (
      JSON.parse(listed.stdout) as { items: { id: string; name: string; lastUsedAt: string | null }[] }
    ).items;
    expect(items.map((p) => p.name)).toEqual(['Laptop', 'Security key']);
    expect(items[0]?.lastUsedAt).not.toBeNull();
    expect(listed.stdout).not.toContain(String(laptop.credentialIds[0]));

    const removed = runCli(hub, ['passkeys', 'remove', String(items[0]?.id)], withPasskey);
    expect(removed.status).toBe(0);
    expect(removed.stderr).toContain('removed');
    expect((await passkeySignIn(laptop)).status).toBe(401);
    const withKey = String((await passkeySignIn(key)).json.idToken);
    const left = await client(hub, withKey)('GET', `${base}/me/passkeys`);
    expect((left.json.items as { name: string }[]).map((p) => p.name)).toEqual(['Security key']);

    // A lost device: a signed-in admin's reset takes every passkey, and every session.
    const asGrace = client(hub, await signedInAdmin());
    expect((await asGrace('DELETE', `${base}/users/${userId}/mfa`)).status).toBe(204);
    await eventually(async () =>
      (await client(hub, withKey)('GET', base)).status === 401 ? true : undefined,
    );
    expect((await passkeySignIn(key)).status).toBe(401);
    await nextSecond();
    const after = await client(hub, signIn().idToken)('GET', `${base}/me/passkeys`);
    expect(after.json.items).toEqual([]);
    const audit = await asOwner('GET', `${base}/audit-events?limit=50`);
    expect((audit.json.items as { action: string }[]).map((a) => a.action)).toEqual(
      expect.arrayContaining(['mfa.passkey_added', 'mfa.passkey_removed']),
    );
  });

  it('refuses a passkey of a deactivated user and of a suspended org', async () => {
    const { org, base, asOwner, userId, signIn } = await orgWithPasswordUser('passkey-inactive');
    const authenticator = new SoftwareAuthenticator({ origin: origin() });
    expect((await register(signIn().idToken, base, authenticator)).status).toBe(201);
    expect((await passkeySignIn(authenticator)).status).toBe(200);
    expect((await asOwner('POST', `${base}/users/${userId}/deactivate`)).status).toBe(200);
    expect((await passkeySignIn(authenticator)).status).toBe(401);
    expect((await asOwner('POST', `${base}/users/${userId}/reactivate`)).status).toBe(200);
    expect((await passkeySignIn(authenticator)).status).toBe(200);
    expect((await client(hub)('POST', `/v1/orgs/${org.id}/suspend`)).status).toBe(200);
    await eventually(async () => ((await passkeySignIn(authenticator)).status === 401 ? true : undefined));
  });
});
