import type { RuntimeProcess } from './runtime-process';
import { client, runCli } from './runtime-process';

/** The password every password user of the end-to-end tests has at the local user pool. */
export const PASSWORD = 'Correct-horse-battery-9';

/** A token's claims, read (not verified): what the tests look at in the pool's tokens. */
export const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(String(jwt.split('.')[1]), 'base64url').toString('utf8')) as Record<string, unknown>;

/** A password user of the local pool who signs in with `hub login` (the password from the environment). */
function passwordUser(hub: RuntimeProcess, orgId: string, email: string) {
  const set = runCli(hub, ['pool', 'set-password', '--email', email, '--org', orgId], undefined, {
    HUB_PASSWORD: PASSWORD,
  });
  expect(set.stderr).toBe('');
  expect(set.stdout).not.toContain(PASSWORD);
  const login = (...extra: string[]) =>
    runCli(hub, ['login', '--email', email, ...extra], undefined, { HUB_PASSWORD: PASSWORD });
  const signIn = (...extra: string[]) => {
    const out = login(...extra);
    expect(out.stderr).toBe('');
    return JSON.parse(out.stdout) as { idToken: string; accessToken: string };
  };
  return { login, signIn };
}

/**
 * A new org with an owner API key and Ada, a member who signs in with a password at the local
 * pool; `signedInAdmin` adds Grace, an admin signed in the same way (no second factor), and
 * answers her ID token.
 */
export async function orgWithPasswordUser(hub: RuntimeProcess, slug: string) {
  const platform = client(hub);
  const org = (await platform('POST', '/v1/orgs', { name: slug, slug })).json as { id: string };
  const owner = String(
    (await platform('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'o', role: 'owner' })).json.key,
  );
  const asOwner = client(hub, owner);
  const email = `ada@${slug}.test`;
  const user = await asOwner('POST', `/v1/orgs/${org.id}/users`, { email, name: 'Ada', role: 'member' });
  expect(user.status).toBe(201);
  const signedInAdmin = async () => {
    const adminEmail = `grace@${slug}.test`;
    const made = await asOwner('POST', `/v1/orgs/${org.id}/users`, {
      email: adminEmail,
      name: 'Grace',
      role: 'admin',
    });
    expect(made.status).toBe(201);
    return String(passwordUser(hub, org.id, adminEmail).signIn().idToken);
  };
  return {
    org,
    base: `/v1/orgs/${org.id}`,
    asOwner,
    userId: String(user.json.id),
    email,
    ...passwordUser(hub, org.id, email),
    signedInAdmin,
  };
}
