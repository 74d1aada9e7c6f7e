import { LocalCognito } from '../../lib/local/local-cognito';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';

/** Users' sessions over HTTP and the CLI, with tokens from the local dev issuer and the local user pool. */
let hub: RuntimeProcess;
beforeAll(async () => {
  hub = await startRuntime({ workers: false });
});
afterAll(async () => {
  await hub?.stop();
});

interface Listed {
  id: string;
  current: boolean;
  userAgent: string | null;
  ip: string;
  signInMethod: string;
  startedAt: string;
  lastSeenAt: string;
}

async function orgWithOwner(slug: string) {
  const admin = client(hub);
  const org = (await admin('POST', '/v1/orgs', { name: slug, slug })).json as { id: string };
  const owner = (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'owner', role: 'owner' })).json;
  const asOwner = client(hub, String(owner.key));
  const base = `/v1/orgs/${org.id}`;
  /** A hub user, and a sign-in of theirs (`authAge` seconds ago) through the dev issuer. */
  const person = async (name: string, role: 'admin' | 'member') => {
    const email = `${name}@${slug}.test`;
    const created = await asOwner('POST', `${base}/users`, { email, name, role });
    expect(created.status).toBe(201);
    const id = String(created.json.id);
    const mint = (authAge: number, ...extra: string[]) =>
      runCli(hub, [
        'token',
        'mint',
        ...['--sub', id, '--org', org.id, '--role', role, '--email', email],
        ...['--auth-age', String(authAge), ...extra],
      ]);
    const signIn = (authAge: number, ...extra: string[]) => {
      const minted = mint(authAge, ...extra);
      expect(minted.stderr).not.toMatch(/signed out/);
      return minted.stdout.trim();
    };
    return { id, email, mint, signIn };
  };
  return { org, base, asOwner, person };
}

const mySessions = async (token: string, base: string) => {
  const res = await client(hub, token)('GET', `${base}/me/sessions`, undefined, { 'user-agent': 'laptop/1' });
  expect(res.status).toBe(200);
  return res.json.items as Listed[];
};

const signOutsOf = (email: string) =>
  new LocalCognito(hub.dataDir).signOuts().filter((s) => s.username === email);

describe('sessions over HTTP', () => {
  it('lists two sign-ins; revoking one refuses its token within seconds, and not the other; revoking all refuses both and signs the user out of the user pool', async () => {
    const { base, person } = await orgWithOwner('sessions-own');
    const ada = await person('ada', 'member');
    const phone = ada.signIn(120, '--mfa');
    const laptop = ada.signIn(60);
    expect((await client(hub, phone)('GET', base, undefined, { 'user-agent': 'phone/2' })).status).toBe(200);

    const listed = await eventually(async () => {
      const items = await mySessions(laptop, base);
      return items.length === 2 ? items : undefined;
    });
    // Newest sign-in first; the one asking is current.
    expect(listed.map((s) => [s.current, s.userAgent, s.signInMethod])).toEqual([
      [true, 'laptop/1', 'password'],
      [false, 'phone/2', 'password+mfa'],
    ]);
    for (const s of listed) {
      expect(s.id).toMatch(/^ses_[0-9A-Z]{26}$/);
      expect(s.ip).not.toBe('');
      expect(Date.parse(s.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(s.startedAt));
    }
    const phoneSession = listed[1]?.id as string;

    // The CLI shows the same, for the token's own org.
    const cli = runCli(hub, ['sessions', 'list'], laptop);
    expect(cli.status).toBe(0);
    expect((JSON.parse(cli.stdout) as { items: Listed[] }).items.map((s) => s.id)).toContain(phoneSession);

    const revoked = await client(hub, laptop)('DELETE', `${base}/me/sessions/${phoneSession}`);
    expect(revoked.status).toBe(204);
    const refused = await eventually(async () => {
      const res = await client(hub, phone)('GET', base);
      return res.status === 401 ? res : undefined;
    });
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.json.type).toBe('urn:integration-hub:problem:session-revoked');
    expect((await client(hub, laptop)('GET', base)).status).toBe(200);
    // A token refreshed from the revoked sign-in (the same auth_time) names the same session: refused too.
    const phoneSignIn = Math.floor(Date.parse(listed[1]?.startedAt as string) / 1000);
    const refreshedPhone = ada.signIn(0, '--mfa', '--auth-time', String(phoneSignIn));
    expect((await client(hub, refreshedPhone)('GET', base)).json.type).toBe(
      'urn:integration-hub:problem:session-revoked',
    );
    expect((await mySessions(laptop, base)).map((s) => s.current)).toEqual([true]);
    // Revoked once is revoked: a second revocation finds no active session.
    expect((await client(hub, laptop)('DELETE', `${base}/me/sessions/${phoneSession}`)).status).toBe(404);

    // Sign out everywhere, through the CLI.
    const all = runCli(hub, ['sessions', 'revoke', '--all'], laptop);
    expect(all.stderr).toMatch(/revoked every session/);
    expect(all.status).toBe(0);
    const laptopRefused = await eventually(async () => {
      const res = await client(hub, laptop)('GET', base);
      return res.status === 401 ? res : undefined;
    });
    expect(laptopRefused.json.type).toBe('urn:integration-hub:problem:session-revoked');
    expect((await client(hub, phone)('GET', base)).status).toBe(401);
    // The local user pool recorded the global sign-out: a refresh of a session begun before it gets no token.
    expect(signOutsOf(ada.email)).toHaveLength(1);
    const refreshed = ada.mint(30);
    expect(refreshed.status).not.toBe(0);
    expect(refreshed.stderr).toMatch(/was signed out/);
    // A new sign-in is a new session, and works.
    const again = await eventually(async () => {
      const token = ada.signIn(0);
      return (await client(hub, token)('GET', base)).status === 200 ? token : undefined;
    });
    expect((await mySessions(again, base)).map((s) => s.current)).toEqual([true]);
  });

  it("refuses a session idle longer than the org's sessionIdleMinutes, and does not list it", async () => {
    const { base, asOwner, person } = await orgWithOwner('sessions-idle');
    const eve = await person('eve', 'member');
    const active = eve.signIn(0);
    expect((await client(hub, active)('GET', base)).status).toBe(200);
    const patched = await asOwner('PATCH', base, { settings: { sessionIdleMinutes: 5 } });
    expect(patched.status).toBe(200);
    expect((patched.json.settings as { sessionIdleMinutes: number }).sessionIdleMinutes).toBe(5);
    // Signed in ten minutes ago and not seen since: idle since its sign-in. The gate reads the org's
    // settings cached for a few seconds, and a session it admits meanwhile has been used (so it is
    // not idle any more): each try is a sign-in of its own, a second further back.
    let age = 600;
    let idle = '';
    const refused = await eventually(async () => {
      idle = eve.signIn(age++);
      const res = await client(hub, idle)('GET', base);
      return res.status === 401 ? res : undefined;
    }, 30_000);
    expect(refused.json.type).toBe('urn:integration-hub:problem:session-expired');
    expect(refused.json.detail).toMatch(/idle longer than the organisation's 5 minutes/);
    // The idle one is not listed; the active one is, as the caller's.
    const idleStart = new Date(
      (JSON.parse(Buffer.from(String(idle.split('.')[1]), 'base64url').toString()) as { auth_time: number })
        .auth_time * 1000,
    ).toISOString();
    const listed = await mySessions(active, base);
    expect(listed.filter((s) => s.current)).toHaveLength(1);
    expect(listed.map((s) => s.startedAt)).not.toContain(idleStart);
    // Out of bounds, the setting is refused as problem+json.
    const bad = await asOwner('PATCH', base, { settings: { sessionIdleMinutes: 2 } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });

  it("lets an admin list and revoke another user's sessions, and a member neither", async () => {
    const { org, base, asOwner, person } = await orgWithOwner('sessions-admin');
    const bo = await person('bo', 'admin');
    const cy = await person('cy', 'member');
    const dee = await person('dee', 'member');
    const asBo = client(hub, bo.signIn(30));
    const cyToken = cy.signIn(30);
    const asDee = client(hub, dee.signIn(30));
    expect((await client(hub, cyToken)('GET', base)).status).toBe(200);

    const listed = await eventually(async () => {
      const res = await asBo('GET', `${base}/users/${cy.id}/sessions`);
      return (res.json.items as Listed[] | undefined)?.length === 1
        ? (res.json.items as Listed[])
        : undefined;
    });
    // Not the admin's own session: none of cy's is current for bo.
    expect(listed[0]?.current).toBe(false);

    // A member may do neither to another user, and is refused before anything is read or changed.
    const forbidden = await asDee('DELETE', `${base}/users/${cy.id}/sessions`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toContain('application/problem+json');
    expect((await asDee('GET', `${base}/users/${cy.id}/sessions`)).status).toBe(403);
    expect((await client(hub, cyToken)('GET', base)).status).toBe(200);
    expect(signOutsOf(cy.email)).toEqual([]);
    // An API key has no sessions of its own.
    expect((await asOwner('GET', `${base}/me/sessions`)).status).toBe(403);
    // A malformed session id names nothing.
    expect((await asDee('DELETE', `${base}/me/sessions/not-a-session`)).status).toBe(404);

    expect((await asBo('DELETE', `${base}/users/${cy.id}/sessions`)).status).toBe(204);
    const refused = await eventually(async () => {
      const res = await client(hub, cyToken)('GET', base);
      return res.status === 401 ? res : undefined;
    });
    expect(refused.json.type).toBe('urn:integration-hub:problem:session-revoked');
    expect(signOutsOf(cy.email)).toHaveLength(1);
    expect((await asBo('GET', `${base}/users/${cy.id}/sessions`)).json.items).toEqual([]);
    // The admin's own session is untouched.
    expect((await asBo('GET', base)).status).toBe(200);

    const trail = await asOwner('GET', `${base}/audit-events?action=session.revoked`);
    expect(trail.status).toBe(200);
    expect(
      (trail.json.items as { orgId: string; targets: { type: string; id: string }[]; after: unknown }[]).map(
        (r) => [r.orgId, r.targets, r.after],
      ),
    ).toEqual([[org.id, [{ type: 'user', id: cy.id }], { scope: 'all', revokedBefore: expect.any(String) }]]);
  });
});
