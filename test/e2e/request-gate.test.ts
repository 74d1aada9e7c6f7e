import { LocalCognito } from '../../lib/local/local-cognito';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';

/** The request gate over HTTP: identities, org session settings, where refusals are audited, path ids. */
let hub: RuntimeProcess;
beforeAll(async () => {
  hub = await startRuntime({ workers: false });
});
afterAll(async () => {
  await hub?.stop();
});

async function orgWithOwner(slug: string) {
  const admin = client(hub);
  const org = (await admin('POST', '/v1/orgs', { name: slug, slug })).json as { id: string };
  const owner = (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'owner', role: 'owner' })).json;
  return { org, base: `/v1/orgs/${org.id}`, asOwner: client(hub, String(owner.key)) };
}

const mint = (args: string[]) => {
  const out = runCli(hub, ['token', 'mint', ...args]);
  return { ...out, token: out.stdout.trim() };
};

describe('the request gate over HTTP', () => {
  it('refuses a token that maps to no user of its organisation', async () => {
    const { org, base } = await orgWithOwner('gate-ghost');
    const ghost = mint(['--sub', 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E9', '--org', org.id, '--role', 'owner']);
    const res = await client(hub, ghost.token)('GET', base);
    expect(res.status).toBe(403);
    expect(res.json.detail).toMatch(/no user of this organisation/);
  });

  it('enforces mfaRequired and sessionLifetimeMinutes on user tokens minted by the dev issuer, not on API keys', async () => {
    const { org, base, asOwner } = await orgWithOwner('gate-sessions');
    const user = await asOwner('POST', `${base}/users`, {
      email: 'sam@sessions.test',
      name: 'Sam',
      role: 'admin',
    });
    const sam = String(user.json.id);
    const as = (...extra: string[]) =>
      client(hub, mint(['--sub', sam, '--org', org.id, '--role', 'admin', ...extra]).token);
    expect((await as()('GET', base)).status).toBe(200);

    expect(
      (await asOwner('PATCH', base, { settings: { mfaRequired: true, sessionLifetimeMinutes: 5 } })).status,
    ).toBe(200);
    const withoutMfa = await eventually(async () => {
      const res = await as()('GET', base);
      return res.status === 403 ? res : undefined;
    });
    expect(withoutMfa.headers.get('content-type')).toContain('application/problem+json');
    expect(withoutMfa.json.type).toBe('urn:integration-hub:problem:mfa-required');
    expect(withoutMfa.json.detail).toMatch(/requires multi-factor authentication/);
    expect((await as('--amr', 'pwd,otp')('GET', base)).status).toBe(200);

    const stale = await as('--mfa', '--auth-age', String(6 * 60))('GET', base);
    expect(stale.status).toBe(401);
    expect(stale.json.type).toBe('urn:integration-hub:problem:session-expired');
    expect(stale.json.detail).toMatch(/5 minutes/);
    expect((await as('--mfa', '--auth-age', String(4 * 60))('GET', base)).status).toBe(200);
    // API keys are not user sessions.
    expect((await asOwner('GET', base)).status).toBe(200);
  });

  it('mints no token for a session begun before the user pool signed its user out, as a refresh would fail', async () => {
    const { org, base, asOwner } = await orgWithOwner('gate-signed-out');
    const user = await asOwner('POST', `${base}/users`, {
      email: 'lee@out.test',
      name: 'Lee',
      role: 'admin',
    });
    const lee = [
      '--sub',
      String(user.json.id),
      '--org',
      org.id,
      '--role',
      'admin',
      '--email',
      'lee@out.test',
    ];
    // The sign-out a deactivation makes, through the local user pool.
    new LocalCognito(hub.dataDir).call('AdminUserGlobalSignOut', {
      UserPoolId: 'local',
      Username: 'lee@out.test',
    });
    const refreshed = mint([...lee, '--auth-age', '60']);
    expect(refreshed.status).not.toBe(0);
    expect(refreshed.stderr).toMatch(/lee@out.test was signed out/);
    const signedInAgain = mint([...lee, '--auth-age', '0']);
    expect(signedInAgain.status).toBe(0);
    expect((await client(hub, signedInAgain.token)('GET', base)).status).toBe(200);
  });

  it("audits a member of A addressing B in A's trail, and leaves nothing in B's", async () => {
    const a = await orgWithOwner('gate-caller');
    const b = await orgWithOwner('gate-addressed');
    expect((await a.asOwner('GET', `${b.base}/users`)).status).toBe(403);
    const deniedIn = async (org: typeof a) =>
      (await org.asOwner('GET', `${org.base}/audit-events?outcome=denied&limit=100`)).json.items as {
        action: string;
        orgId: string;
      }[];
    const inA = await deniedIn(a);
    expect(inA.map((r) => [r.action, r.orgId])).toEqual([['api.listUsers', a.org.id]]);
    expect(await deniedIn(b)).toEqual([]);
  });
});
