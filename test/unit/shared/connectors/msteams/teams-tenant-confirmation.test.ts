import { makeTeamsApp } from '../../../../../shared/connectors/msteams/app';
import { teamsBotRuntime } from '../../../../../shared/connectors/msteams/client';
import { teamsBot } from '../../../../../shared/connectors/msteams/settings';
import { adminRoleOf } from '../../../../../shared/connectors/msteams/tenant-confirmation';
import type { FakeTeams } from '../../../../fakes/msteams/fake-teams';
import { startFakeTeams, TEAMS_PERSON, TEAMS_TENANT } from '../../../../fakes/msteams/fake-teams';
import { Browser } from '../../../../support/browser';
import type { IdpAccount, TestOidcIdp } from '../../../../support/oidc-idp';
import {
  confirmationLinkIn,
  confirmInBrowser,
  eventsRequest,
  HUB_URL,
  pressConfirm,
  ROLES,
  startEntra,
  teamsDeps,
  workOf,
} from './harness';

let fake: FakeTeams;
let entra: TestOidcIdp;
const channel = { id: '19:confirm@thread.tacv2' };
const orgId = 'org_01JTEAMSCONFIRM';
const connectionId = 'con_01JTEAMSCONFIRM';
const OTHER_TENANT = 'b5e2c1d0-0000-4000-8000-0000000000ff';
const admin = (over: Partial<IdpAccount> = {}): IdpAccount => ({
  sub: 'entra-admin',
  email: 'admin@contoso.test',
  tid: TEAMS_TENANT,
  oid: '00000000-0000-4000-8000-00000000ad01',
  wids: [ROLES.globalAdministrator],
  ...over,
});

beforeAll(async () => {
  fake = await startFakeTeams();
  fake.addChannel(channel.id);
  entra = await startEntra(fake.settings);
});
afterAll(async () => Promise.all([fake.stop(), entra.stop()]));

const lastSaid = () => [...(fake.conversations.get(channel.id)?.activities.values() ?? [])].at(-1);
const textOf = (said: unknown) => JSON.stringify(said ?? null);

/** The app with the tenant's binding pending: `connect <code>` sent, the confirmation link the bot gave. */
async function pending() {
  const h = teamsDeps({ ...fake.settings, entraAuthority: entra.issuer });
  await h.connection(orgId, connectionId, { kind: 'teams_bot', tenantId: TEAMS_TENANT });
  const app = makeTeamsApp(h.deps, teamsBotRuntime(h.deps));
  const reply = await app.handle(
    eventsRequest(
      await fake.signed(
        fake.activities.message(channel, `connect ${h.bindCode(orgId, connectionId, TEAMS_TENANT)}`),
      ),
    ),
  );
  const link = confirmationLinkIn(lastSaid());
  if (!link) throw new Error(`no confirmation link in ${textOf(lastSaid())}`);
  return { h, app, reply, link };
}

const refusals = (h: ReturnType<typeof teamsDeps>) =>
  h.audit.filter((r) => r.action === 'chat.installation_refused').map((r) => r.after?.reason);

describe('a Teams tenant claimed with a bind code', () => {
  it('stays pending — nothing bound, remembered or queued — until a Microsoft admin of the tenant confirms', async () => {
    const { h, app, reply, link } = await pending();
    expect(h.bindings.size).toBe(0);
    expect(h.conversations.size).toBe(0);
    expect(workOf(reply)).toEqual([]);
    expect(textOf(lastSaid())).toMatch(/a Microsoft admin of this tenant confirms/);
    expect(h.audit.map((r) => r.action)).toEqual(['chat.installation_pending']);
    // Still pending: a command from the tenant is not the org's yet.
    const asked = await app.handle(
      eventsRequest(await fake.signed(fake.activities.message(channel, 'status WEB-12'))),
    );
    expect(workOf(asked)).toEqual([]);
    expect(textOf(lastSaid())).toMatch(/not connected/);

    const done = await confirmInBrowser(app, entra, link, admin());
    expect(done.status).toBe(200);
    expect(done.body).toMatch(/The Teams tenant is connected/);
    expect(h.bindings.get(`msteams|${TEAMS_TENANT}`)).toEqual({ orgId, connectionId });
    expect(await h.deps.conversations?.recall(orgId, 'msteams', channel.id)).toMatchObject({
      installationId: TEAMS_TENANT,
    });
    expect(workOf(done)).toEqual([
      expect.objectContaining({
        orgId,
        connectionId,
        request: expect.objectContaining({ kind: 'installed' }),
      }),
    ]);
    expect(h.audit.at(-1)).toMatchObject({
      action: 'chat.installation_bound',
      after: {
        via: 'bind_code+entra_admin',
        requestedBy: TEAMS_PERSON.aadObjectId,
        adminRole: ROLES.globalAdministrator,
      },
    });
    // The conversation that asked is told.
    expect(textOf(lastSaid())).toMatch(/A Microsoft admin of the tenant confirmed/);
  });

  it('sends the admin to the tenant’s own Entra issuer with PKCE (S256), a nonce and the state, and sets an HttpOnly cookie for the callback only', async () => {
    const h = teamsDeps({
      ...fake.settings,
      entraAuthority: 'https://login.microsoftonline.com/{tenantId}/v2.0',
    });
    const seen: string[] = [];
    const app = makeTeamsApp(h.deps, teamsBotRuntime(h.deps), {
      authorizationUrl: async (issuer, client, params) => {
        seen.push(issuer, client.clientId);
        return `${issuer}/authorize?state=${params.state}&code_challenge=${params.codeChallenge}&nonce=${params.nonce}&redirect_uri=${params.redirectUri}&prompt=${params.prompt}`;
      },
      exchange: async () => ({}),
    });
    await h.connection(orgId, connectionId, { kind: 'teams_bot', tenantId: TEAMS_TENANT });
    await app.handle(
      eventsRequest(
        await fake.signed(
          fake.activities.message(channel, `connect ${h.bindCode(orgId, connectionId, TEAMS_TENANT)}`),
        ),
      ),
    );
    const link = new URL(String(confirmationLinkIn(lastSaid())));
    const browser = new Browser();
    const shown = await app.handle({
      method: 'GET',
      inbound: 'install',
      headers: {},
      query: Object.fromEntries(link.searchParams),
      body: '',
      receivedAt: new Date(),
    });
    // First a page saying what confirming does, with a button; Entra is not asked yet.
    expect(shown.status).toBe(200);
    expect(seen).toEqual([]);
    browser.take(link, shown.cookies ?? []);
    const start = await app.handle(pressConfirm(link.toString(), browser));
    expect(start.status).toBe(302);
    expect(seen).toEqual([`https://login.microsoftonline.com/${TEAMS_TENANT}/v2.0`, fake.settings.appId]);
    const location = String(start.headers?.location);
    expect(location).toContain(`state=${link.searchParams.get('state')}`);
    expect(location).toMatch(/code_challenge=[\w-]{43}&nonce=[\w-]{43}/);
    expect(location).toContain(`redirect_uri=${HUB_URL}/msteams/oauth/callback`);
    // Signed in at Microsoft already, the admin signs in again.
    expect(location).toContain('prompt=login');
    // The page's cookie is done with; the callback's is set.
    expect(start.cookies?.[0]).toMatch(
      /^hub-install-msteams-confirm-[0-9a-f]{16}=; Max-Age=0;.*Path=\/msteams\/install;/,
    );
    expect(start.cookies?.[1]).toMatch(
      /^hub-install-msteams-[0-9a-f]{16}=[\w-]+; Max-Age=\d+; Path=\/msteams\/oauth\/callback; HttpOnly; SameSite=Lax$/,
    );
  });

  it('shows the admin which hub organisation and tenant they confirm, never framed, and goes on only from its own button in its browser', async () => {
    const { h, app, link } = await pending();
    const browser = new Browser();
    const shown = await app.handle({
      method: 'GET',
      inbound: 'install',
      headers: {},
      query: Object.fromEntries(new URL(link).searchParams),
      body: '',
      receivedAt: new Date(),
    });
    expect(shown.status).toBe(200);
    expect(shown.body).toContain(`Teams tenant: ${TEAMS_TENANT}`);
    expect(shown.body).toContain(orgId);
    expect(shown.body).toMatch(/<form method="post" action="http:\/\/[^"]+\/msteams\/install">/);
    const csp = String(shown.headers?.['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`form-action 'self' ${new URL(entra.issuer).origin}`);
    expect(shown.headers?.['x-frame-options']).toBe('DENY');
    expect(shown.cookies?.[0]).toMatch(
      /^hub-install-msteams-confirm-[0-9a-f]{16}=[\w-]+; Max-Age=\d+; Path=\/msteams\/install; HttpOnly; SameSite=Lax$/,
    );
    browser.take(link, shown.cookies ?? []);
    // A page elsewhere posting the form (its browser sends no Lax cookie cross-site), or another
    // browser pressing it: refused, nothing used up and Entra not asked.
    const forged = await app.handle(pressConfirm(link, new Browser()));
    expect(forged.status).toBe(403);
    expect(forged.headers?.location).toBeUndefined();
    // Not a form, or a state that is not this page's: refused too.
    const notForm = await app.handle({
      ...pressConfirm(link, browser),
      headers: { 'content-type': 'application/json', cookie: browser.cookieHeader(link) },
    });
    expect(notForm.status).toBe(400);
    const otherState = await app.handle(pressConfirm(link, browser, 'eyJ.forged'));
    expect(otherState.status).toBe(403);
    expect(h.installStates.states.size).toBe(1);
    // The button, in the page's browser: on to Entra.
    const pressed = await app.handle(pressConfirm(link, browser));
    expect(pressed.status).toBe(302);
  });

  it('refuses, audited with its reason, a member of the tenant who holds no admin role', async () => {
    const { h, app, link } = await pending();
    const done = await confirmInBrowser(app, entra, link, admin({ wids: [ROLES.userAdministrator] }));
    expect(done.status).toBe(403);
    expect(done.body).toMatch(/Only a Microsoft admin of the tenant can confirm/);
    expect(h.bindings.size).toBe(0);
    expect(h.conversations.size).toBe(0);
    expect(refusals(h)).toEqual(['not_tenant_admin']);
    const none = await pending();
    expect((await confirmInBrowser(none.app, entra, none.link, admin({ wids: undefined }))).status).toBe(403);
    expect(refusals(none.h)).toEqual(['not_tenant_admin']);
  });

  it('refuses an admin of another Microsoft tenant', async () => {
    const { h, app, link } = await pending();
    const done = await confirmInBrowser(app, entra, link, admin({ tid: OTHER_TENANT }));
    expect(done.status).toBe(403);
    expect(done.body).toMatch(/another Microsoft tenant/);
    expect(h.bindings.size).toBe(0);
    expect(refusals(h)).toEqual(['tenant_mismatch']);
  });

  it('refuses a callback in another browser than the one that opened the link, using nothing up', async () => {
    const { h, app, link } = await pending();
    let callback: URL | null = null;
    const elsewhere = await confirmInBrowser(app, entra, link, admin(), {
      callbackBrowser: new Browser(),
      onCallback: (url) => {
        callback = url;
      },
    });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toMatch(/started in another browser/);
    expect(h.bindings.size).toBe(0);
    // Nothing was used up: the admin's own browser still finishes it (a fresh sign-in, same state).
    expect(h.installStates.states.size).toBe(1);
    expect(callback).not.toBeNull();
    const own = await confirmInBrowser(app, entra, link, admin());
    expect(own.status).toBe(200);
    expect(h.bindings.size).toBe(1);
  });

  it('uses a confirmation once: its callback replayed, or a forged state, binds nothing', async () => {
    const { h, app, link } = await pending();
    const browser = new Browser();
    let callback: URL | null = null;
    const first = await confirmInBrowser(app, entra, link, admin(), {
      browser,
      onCallback: (url) => {
        callback = url;
      },
    });
    expect(first.status).toBe(200);
    await h.deps.installations.unbind('msteams', TEAMS_TENANT);
    // The same browser, the same callback again (its cookie set afresh by the page's button).
    const again = await app.handle({
      method: 'GET',
      inbound: 'install',
      headers: {},
      query: Object.fromEntries(new URL(link).searchParams),
      body: '',
      receivedAt: new Date(),
    });
    browser.take(link, again.cookies ?? []);
    const pressedAgain = await app.handle(pressConfirm(link, browser));
    browser.take(link, pressedAgain.cookies ?? []);
    const url = callback as unknown as URL;
    const replay = await app.handle({
      method: 'GET',
      inbound: 'oauth/callback',
      headers: { cookie: browser.cookieHeader(url) },
      query: Object.fromEntries(url.searchParams),
      body: '',
      receivedAt: new Date(),
    });
    expect(replay.status).toBe(400);
    expect(h.bindings.size).toBe(0);
    const forged = new URL(link);
    forged.searchParams.set('state', `${forged.searchParams.get('state')?.split('.')[0]}.forged`);
    const start = await app.handle({
      method: 'GET',
      inbound: 'install',
      headers: {},
      query: Object.fromEntries(forged.searchParams),
      body: '',
      receivedAt: new Date(),
    });
    expect(start.status).toBe(400);
  });

  it('answers a page, using nothing up, when Entra cannot be reached to start the sign-in', async () => {
    const h = teamsDeps({ ...fake.settings, entraAuthority: 'http://127.0.0.1:9/{tenantId}/v2.0' });
    await h.connection(orgId, connectionId, { kind: 'teams_bot', tenantId: TEAMS_TENANT });
    const app = makeTeamsApp(h.deps, teamsBotRuntime(h.deps));
    await app.handle(
      eventsRequest(
        await fake.signed(
          fake.activities.message(channel, `connect ${h.bindCode(orgId, connectionId, TEAMS_TENANT)}`),
        ),
      ),
    );
    const link = new URL(String(confirmationLinkIn(lastSaid())));
    const browser = new Browser();
    const shown = await app.handle({
      method: 'GET',
      inbound: 'install',
      headers: {},
      query: Object.fromEntries(link.searchParams),
      body: '',
      receivedAt: new Date(),
    });
    browser.take(link, shown.cookies ?? []);
    const start = await app.handle(pressConfirm(link.toString(), browser));
    expect(start.status).toBe(502);
    expect(start.body).toMatch(/Microsoft sign-in is not reachable/);
    expect(start.cookies).toBeUndefined();
    expect(h.installStates.states.size).toBe(1);
  });
});

describe('the admin roles that may confirm', () => {
  const bot = (adminRoleIds?: string) =>
    teamsBot({ ...TEAMS_APP_SETTINGS, ...(adminRoleIds ? { adminRoleIds } : {}) });
  const TEAMS_APP_SETTINGS = { appId: 'a', clientSecret: 's' };

  it('are Global Administrator and Teams Administrator unless the settings say otherwise', () => {
    expect(adminRoleOf(bot(), { wids: [ROLES.userAdministrator, ROLES.teamsAdministrator] })).toBe(
      ROLES.teamsAdministrator,
    );
    expect(adminRoleOf(bot(), { wids: [ROLES.globalAdministrator.toUpperCase()] })).toBe(
      ROLES.globalAdministrator,
    );
    expect(adminRoleOf(bot(), { wids: [ROLES.userAdministrator] })).toBeNull();
    expect(adminRoleOf(bot(), { wids: ROLES.globalAdministrator })).toBeNull();
    expect(adminRoleOf(bot(ROLES.userAdministrator), { wids: [ROLES.globalAdministrator] })).toBeNull();
    expect(() => bot('global-admin')).toThrow(/adminRoleIds/);
  });
});
