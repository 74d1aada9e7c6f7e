import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { Browser } from '../support/browser';
import type { TestOidcIdp } from '../support/oidc-idp';
import { startOidcIdp } from '../support/oidc-idp';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, runCli, startRuntime } from '../support/runtime-process';

/**
 * Enterprise sign-in end to end on the local runtime: a real OpenID Provider (`oidc-provider`) and
 * a real SAML IdP (samlify) on loopback, the hub verifying their answers itself, and the local user
 * pool issuing the session through the custom-auth triggers. The session then calls the API.
 */

// biome-ignore lint/suspicious/noExplicitAny: the tests read the hub's JSON freely
type Json = Record<string, any>;

const fixture = (name: string) => readFileSync(join(process.cwd(), 'test/fixtures/saml', name), 'utf8');
const SECRET = 'sign-in-client-secret';
const suffix = Math.random().toString(36).slice(2, 8);
const domain = `signin-${suffix}.example`;
const samlDomain = `saml-${suffix}.example`;

let hub: RuntimeProcess;
let admin: ReturnType<typeof client>;
let idp: TestOidcIdp;
let orgId: string;
let owner: ReturnType<typeof client>;
let connectionId: string;
let teamId: string;

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(String(jwt.split('.')[1]), 'base64url').toString()) as Json;

/** Walks a browser through the redirects from `start` until a page that is not one; that page's answer. */
async function follow(browser: Browser, start: string): Promise<{ status: number; json: Json; url: string }> {
  let url = start;
  for (let hop = 0; hop < 12; hop++) {
    const res = await browser.open(url);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).toString();
      continue;
    }
    const text = await res.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      json = { text };
    }
    return { status: res.status, json, url };
  }
  throw new Error('too many redirects');
}

async function verifiedOrg(name: string, claimed: string) {
  const org = (await admin('POST', '/v1/orgs', { name, slug: `${name}-${suffix}` })).json as Json;
  const key = (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'owner', role: 'owner' })).json;
  const as = client(hub, String(key.key));
  const added = (await as('POST', `/v1/orgs/${org.id}/domains`, { domain: claimed })).json as Json;
  await client(hub, '')('POST', '/_local/dns', {
    name: added.verificationRecord.name,
    txt: [added.verificationRecord.value],
  });
  expect((await as('POST', `/v1/orgs/${org.id}/domains/${claimed}/verify`)).status).toBe(200);
  return { id: String(org.id), as };
}

beforeAll(async () => {
  hub = await startRuntime();
  admin = client(hub);
  idp = await startOidcIdp([
    { clientId: 'hub', clientSecret: SECRET, redirectUri: `${hub.url}/sso/oidc/callback` },
  ]);
  const org = await verifiedOrg('signin', domain);
  orgId = org.id;
  owner = org.as;
  teamId = String((await owner('POST', `/v1/orgs/${orgId}/teams`, { name: 'Platform' })).json.id);
  const created = await owner('POST', `/v1/orgs/${orgId}/sso-connections`, {
    protocol: 'oidc',
    name: 'Corp IdP',
    issuer: idp.issuer,
    clientId: 'hub',
    clientSecret: SECRET,
    defaultRole: 'viewer',
    groupMappings: [{ group: 'platform-admins', role: 'admin', teamIds: [teamId] }],
  });
  expect(created.status).toBe(201);
  connectionId = String(created.json.id);
});
afterAll(async () => {
  await idp?.stop();
  await hub?.stop();
});

const startUrl = (email: string) => `${hub.url}/sso/start?email=${encodeURIComponent(email)}`;

describe('SSO sign-in through OIDC', () => {
  it('provisions a person at first sign-in, maps their groups, and the session calls the API', async () => {
    const email = `ada@${domain}`;
    idp.signInAs({ sub: 'idp-ada', email, name: 'Ada Lovelace', groups: ['platform-admins'] });
    const browser = new Browser();
    const first = await browser.open(startUrl(email));
    expect(first.status).toBe(302);
    const toIdp = new URL(String(first.headers.get('location')));
    expect(toIdp.origin).toBe(idp.issuer);
    expect(toIdp.searchParams.get('code_challenge_method')).toBe('S256');
    expect(toIdp.searchParams.get('state')).toMatch(new RegExp(`^${orgId}\\.`));
    expect(toIdp.searchParams.get('nonce')).toBeTruthy();

    const signedIn = await follow(browser, toIdp.toString());
    expect(signedIn.status).toBe(200);
    expect(signedIn.json).toMatchObject({ tokenType: 'Bearer', idToken: expect.any(String) });
    const claims = claimsOf(String(signedIn.json.idToken));
    expect(claims).toMatchObject({ 'custom:org_id': orgId, 'custom:role': 'admin' });

    // The API takes the ID token, as for every sign-in of the user pool.
    const asAda = client(hub, String(signedIn.json.idToken));
    expect((await asAda('GET', `/v1/orgs/${orgId}`)).status).toBe(200);
    const users = (await owner('GET', `/v1/orgs/${orgId}/users?limit=100`)).json.items as Json[];
    const ada = users.find((u) => u.email === email);
    expect(ada).toMatchObject({ name: 'Ada Lovelace', role: 'admin', status: 'active' });
    const members = (await owner('GET', `/v1/orgs/${orgId}/teams/${teamId}/members`)).json.items as Json[];
    expect(members.map((m) => m.userId)).toContain(ada?.id);
    const trail = (await owner('GET', `/v1/orgs/${orgId}/audit-events?limit=100`)).text;
    expect(trail).toContain('user.provisioned');
    expect(trail).toContain('sso.signed_in');
    expect(trail).not.toContain(SECRET);

    // The callback works once: the same state again is refused.
    const replay = await follow(new Browser(), signedIn.url);
    expect(replay.status).toBe(403);
    expect(replay.json.reason).toBe('oidc_state_unknown');
  });

  it('refuses a callback in another browser than the one that started the sign-in (login CSRF)', async () => {
    const email = `ada@${domain}`;
    idp.signInAs({ sub: 'idp-ada', email, groups: [] });
    // The attacker signs in as themself and stops short of the hub's callback…
    const attacker = new Browser();
    let url = startUrl(email);
    for (let hop = 0; hop < 12 && !url.startsWith(`${hub.url}/sso/oidc/callback`); hop++) {
      const res = await attacker.open(url);
      url = new URL(String(res.headers.get('location')), url).toString();
    }
    expect(url.startsWith(`${hub.url}/sso/oidc/callback?`)).toBe(true);
    // …and has the victim's browser open it: refused, no session.
    const victim = await follow(new Browser(), url);
    expect(victim.status).toBe(403);
    expect(victim.json.reason).toBe('oidc_browser_mismatch');
    expect(victim.json.idToken).toBeUndefined();
  });

  it('binds the IdP subject to the user: a changed email or another subject is refused until an admin resets it', async () => {
    const kay = `kay@${domain}`;
    idp.signInAs({ sub: 'idp-kay', email: kay, groups: [] });
    expect((await follow(new Browser(), startUrl(kay))).status).toBe(200);
    const users = async () => (await owner('GET', `/v1/orgs/${orgId}/users?limit=100`)).json.items as Json[];
    const kayId = String((await users()).find((u) => u.email === kay)?.id);

    // Kay's IdP account now carries another address of the domain: not a second user, not anyone else.
    idp.signInAs({ sub: 'idp-kay', email: `kay.renamed@${domain}`, groups: [] });
    const renamed = await follow(new Browser(), startUrl(`kay.renamed@${domain}`));
    expect({ status: renamed.status, reason: renamed.json.reason }).toEqual({
      status: 403,
      reason: 'subject_bound_to_other_user',
    });
    expect((await users()).some((u) => u.email === `kay.renamed@${domain}`)).toBe(false);
    // Another IdP account asserting Kay's address (an IdP admin's doing): refused.
    idp.signInAs({ sub: 'idp-impostor', email: kay, groups: [] });
    const impostor = await follow(new Browser(), startUrl(kay));
    expect({ status: impostor.status, reason: impostor.json.reason }).toEqual({
      status: 403,
      reason: 'subject_mismatch',
    });
    expect(impostor.json.idToken).toBeUndefined();
    const failures = (await owner('GET', `/v1/orgs/${orgId}/sso-connections/${connectionId}/failures`)).json
      .items as Json[];
    expect(failures.slice(0, 2).map((f) => f.reason)).toEqual([
      'subject_mismatch',
      'subject_bound_to_other_user',
    ]);

    const reset = `/v1/orgs/${orgId}/sso-connections/${connectionId}/subjects/${kayId}`;
    // Only with sso:manage, and only in the org's own connections.
    const member = (await admin('POST', `/v1/orgs/${orgId}/api-keys`, { name: 'member', role: 'member' }))
      .json;
    expect((await client(hub, String(member.key))('DELETE', reset)).status).toBe(403);
    const other = (await admin('POST', '/v1/orgs', { name: 'other', slug: `other-${suffix}` })).json as Json;
    const otherKey = (await admin('POST', `/v1/orgs/${other.id}/api-keys`, { name: 'owner', role: 'owner' }))
      .json;
    const asOther = client(hub, String(otherKey.key));
    expect([403, 404]).toContain((await asOther('DELETE', reset)).status);
    expect(
      (await asOther('DELETE', `/v1/orgs/${other.id}/sso-connections/${connectionId}/subjects/${kayId}`))
        .status,
    ).toBe(404);
    expect((await follow(new Browser(), startUrl(kay))).json.reason).toBe('subject_mismatch');

    // The admin resets Kay's binding (Kay's IdP account was replaced): the next sign-in binds afresh.
    const ownerKey = String(
      (await admin('POST', `/v1/orgs/${orgId}/api-keys`, { name: 'cli', role: 'owner' })).json.key,
    );
    const byCli = runCli(hub, ['sso-subjects', 'reset', orgId, connectionId, kayId], ownerKey);
    expect({ status: byCli.status, stderr: byCli.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(byCli.stdout)).toEqual({ reset: { ssoConnectionId: connectionId, userId: kayId } });
    const again = await owner('DELETE', reset);
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    const trail = (await owner('GET', `/v1/orgs/${orgId}/audit-events?limit=100`)).text;
    expect(trail).toContain('sso_subject.unbound');
    expect(trail).toContain('sso_subject.bound');
    expect(trail).not.toContain('idp-impostor');
    idp.signInAs({ sub: 'idp-impostor', email: kay, groups: [] });
    const rebound = await follow(new Browser(), startUrl(kay));
    expect(rebound.status).toBe(200);
    expect(claimsOf(String(rebound.json.idToken)).sub).toBeDefined();
    idp.signInAs({ sub: 'idp-kay', email: kay, groups: [] });
    expect((await follow(new Browser(), startUrl(kay))).json.reason).toBe('subject_mismatch');
  });

  it("refuses an address outside the org's verified domains, and the admin sees why", async () => {
    idp.signInAs({ sub: 'idp-eve', email: 'eve@elsewhere.example', groups: ['platform-admins'] });
    const browser = new Browser();
    const res = await follow(browser, startUrl(`eve@${domain}`));
    expect(res.status).toBe(403);
    expect(res.json.reason).toBe('email_outside_verified_domains');
    const users = (await owner('GET', `/v1/orgs/${orgId}/users?limit=100`)).json.items as Json[];
    expect(users.some((u) => u.email === 'eve@elsewhere.example')).toBe(false);
    const failures = await owner('GET', `/v1/orgs/${orgId}/sso-connections/${connectionId}/failures`);
    expect(failures.status).toBe(200);
    expect((failures.json as Json).items[0]).toMatchObject({
      connectionId,
      reason: 'email_outside_verified_domains',
    });
    expect(failures.text).not.toContain('eyJ');
  });

  it('refuses a sign-in without a second factor when the org requires one', async () => {
    const org = await verifiedOrg('signin-mfa', `mfa-${domain}`);
    await org.as('PATCH', `/v1/orgs/${org.id}`, { settings: { mfaRequired: true } });
    const made = await org.as('POST', `/v1/orgs/${org.id}/sso-connections`, {
      protocol: 'oidc',
      name: 'Corp IdP',
      issuer: idp.issuer,
      clientId: 'hub',
      clientSecret: SECRET,
    });
    expect(made.status).toBe(201);
    const email = `grace@mfa-${domain}`;
    idp.signInAs({ sub: 'idp-grace', email, amr: ['pwd'] });
    const without = await follow(new Browser(), startUrl(email));
    expect(without.status).toBe(403);
    expect(without.json.reason).toBe('mfa_required');
    idp.signInAs({ sub: 'idp-grace', email, amr: ['pwd', 'mfa'] });
    const withMfa = await follow(new Browser(), startUrl(email));
    expect({ status: withMfa.status, reason: withMfa.json.reason }).toEqual({
      status: 200,
      reason: undefined,
    });
    expect(claimsOf(String(withMfa.json.idToken))['custom:amr']).toBe('ext mfa');
    expect((await client(hub, String(withMfa.json.idToken))('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
  });

  it("never signs anyone in above the role of whoever set the connection up (an admin's IdP cannot be an owner)", async () => {
    const boss = `boss@${domain}`;
    expect(
      (await owner('POST', `/v1/orgs/${orgId}/users`, { email: boss, name: 'Boss', role: 'owner' })).status,
    ).toBe(201);
    const adminKey = (await admin('POST', `/v1/orgs/${orgId}/api-keys`, { name: 'admin', role: 'admin' }))
      .json;
    const byAdmin = await client(hub, String(adminKey.key))('POST', `/v1/orgs/${orgId}/sso-connections`, {
      protocol: 'oidc',
      name: "An admin's own IdP",
      issuer: idp.issuer,
      clientId: 'hub',
      clientSecret: SECRET,
      defaultRole: 'member',
    });
    expect(byAdmin.status).toBe(201);
    idp.signInAs({ sub: 'idp-mallory', email: boss, groups: [] });
    const res = await follow(new Browser(), `${startUrl(boss)}&connectionId=${String(byAdmin.json.id)}`);
    expect(res.status).toBe(403);
    expect(res.json.reason).toBe('user_outranks_connection');
    // The browser is told the reason, not the detail; the admins read the detail.
    expect(String(res.json.detail)).not.toContain('owner');
    const failures = (await owner('GET', `/v1/orgs/${orgId}/sso-connections/${byAdmin.json.id}/failures`))
      .json.items as Json[];
    expect(failures[0]).toMatchObject({
      reason: 'user_outranks_connection',
      message: expect.stringContaining('owner'),
    });
    // The owner-made connection still signs the owner in.
    const asOwner = await follow(new Browser(), `${startUrl(boss)}&connectionId=${connectionId}`);
    expect(asOwner.status).toBe(200);
  });

  it('answers an unknown domain and a bad address with problem+json', async () => {
    const unknown = await client(hub, '')(
      'GET',
      `/sso/start?email=${encodeURIComponent('x@nobody.example')}`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect((await client(hub, '')('GET', '/sso/start?email=not-an-address')).status).toBe(400);
    const forged = await client(hub, '')('GET', `/sso/oidc/callback?code=x&state=${orgId}.${'a'.repeat(43)}`);
    expect(forged.status).toBe(403);
  });
});

describe('SSO sign-in through SAML', () => {
  // biome-ignore lint/suspicious/noExplicitAny: samlify is loaded untyped (its types need the DOM)
  let samlify: any;
  let org: { id: string; as: ReturnType<typeof client> };
  const idpFor = (key = 'idp-key.pem', cert = 'idp-cert.pem') =>
    samlify.IdentityProvider({
      entityID: 'https://idp.saml.example',
      privateKey: fixture(key),
      signingCert: fixture(cert),
      singleSignOnService: [
        { Binding: samlify.Constants.namespace.binding.redirect, Location: 'https://idp.saml.example/sso' },
      ],
    });
  interface Sp {
    id: string;
    entityId: string;
    acsUrl: string;
    metadataUrl: string;
  }
  const connect = async (name: string, extra: Json = {}): Promise<Sp> => {
    const made = await org.as('POST', `/v1/orgs/${org.id}/sso-connections`, {
      protocol: 'saml',
      name,
      metadataXml: idpFor().getMetadata(),
      ...extra,
    });
    expect(made.status).toBe(201);
    return { id: String(made.json.id), ...(made.json as Json).saml.serviceProvider };
  };
  /** The IdP's signed answer for `email`: to the AuthnRequest `requestId`, or unsolicited. */
  const respond = async (sp: Sp, email: string, requestId?: string, key?: string, cert?: string) => {
    const serviceProvider = samlify.ServiceProvider({
      entityID: sp.entityId,
      wantAssertionsSigned: true,
      assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: sp.acsUrl }],
    });
    const info = requestId ? { extract: { request: { id: requestId } } } : {};
    return (await idpFor(key, cert).createLoginResponse(serviceProvider, info, 'post', { email }))
      .context as string;
  };
  /** Starts a sign-in in `browser`: the AuthnRequest's id (the browser keeps the hub's cookie). */
  const start = async (browser: Browser, email: string, connectionId: string) => {
    const res = await browser.open(`${startUrl(email)}&connectionId=${connectionId}`);
    expect(res.status).toBe(302);
    const location = new URL(String(res.headers.get('location')));
    expect(location.origin).toBe('https://idp.saml.example');
    const request = inflateRawSync(
      Buffer.from(String(location.searchParams.get('SAMLRequest')), 'base64'),
    ).toString();
    return String(/ID="([^"]+)"/.exec(request)?.[1]);
  };
  const post = async (browser: Browser, sp: Sp, samlResponse: string) => {
    const res = await browser.postForm(sp.acsUrl, { SAMLResponse: samlResponse, RelayState: '' });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const failuresOf = async (sp: Sp) =>
    (await org.as('GET', `/v1/orgs/${org.id}/sso-connections/${sp.id}/failures`)).json.items as Json[];

  beforeAll(async () => {
    const name = 'samlify';
    samlify = await import(name);
    samlify.setSchemaValidator({ validate: async () => 'skipped' });
    org = await verifiedOrg('signin-saml', samlDomain);
  });

  it('signs in with a response to its own AuthnRequest, once, signed by the configured certificate only', async () => {
    const sp = await connect('Entra');
    const metadata = await client(hub, '')('GET', new URL(sp.metadataUrl).pathname);
    expect(metadata.status).toBe(200);
    expect(metadata.text).toContain(sp.acsUrl);

    const email = `linus@${samlDomain}`;
    const browser = new Browser();
    const requestId = await start(browser, email, sp.id);
    // The binding cookie: HttpOnly, for the ACS alone, sent on the IdP's cross-site POST.
    expect(browser.cookies()).toEqual([
      expect.objectContaining({ path: new URL(sp.acsUrl).pathname, httpOnly: true, sameSite: 'None' }),
    ]);

    // Signed by another key, with its own certificate in the message: refused, the request still open.
    const forged = await post(
      browser,
      sp,
      await respond(sp, email, requestId, 'other-key.pem', 'other-cert.pem'),
    );
    expect(forged.status).toBe(403);
    expect(forged.json.reason).toBe('certificate_untrusted');

    const good = await respond(sp, email, requestId);
    const accepted = await post(browser, sp, good);
    expect({ status: accepted.status, reason: accepted.json.reason }).toEqual({
      status: 200,
      reason: undefined,
    });
    expect(claimsOf(String(accepted.json.idToken))['custom:org_id']).toBe(org.id);
    expect((await client(hub, String(accepted.json.idToken))('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
    // Its work done, the cookie is gone.
    expect(browser.cookies()).toEqual([]);
    const replayed = await post(browser, sp, good);
    expect(replayed.status).toBe(403);

    expect((await failuresOf(sp)).map((f) => f.reason)).toEqual(
      expect.arrayContaining(['certificate_untrusted']),
    );
  });

  it('refuses a response to a sign-in another browser started (login CSRF)', async () => {
    const sp = await connect('Okta');
    const email = `mallory@${samlDomain}`;
    // The attacker starts a sign-in as themself and gets the IdP's answer…
    const attacker = new Browser();
    const requestId = await start(attacker, email, sp.id);
    const response = await respond(sp, email, requestId);
    // …and has the victim's browser (which never started a sign-in) post it: refused, no session.
    const victim = new Browser();
    const forced = await post(victim, sp, response);
    expect(forced.status).toBe(403);
    expect(forced.json.reason).toBe('browser_mismatch');
    expect(forced.json.idToken).toBeUndefined();
    // A victim with a sign-in of their own under way fares no better: its cookie names another request.
    const victimWithOwn = new Browser();
    await start(victimWithOwn, `linus@${samlDomain}`, sp.id);
    const second = await start(attacker, email, sp.id);
    const forcedAgain = await post(victimWithOwn, sp, await respond(sp, email, second));
    expect(forcedAgain.json.reason).toBe('browser_mismatch');
    expect((await failuresOf(sp)).slice(0, 2)).toEqual([
      expect.objectContaining({
        reason: 'browser_mismatch',
        message: expect.stringContaining('browser_mismatch'),
      }),
      expect.objectContaining({ reason: 'browser_mismatch' }),
    ]);
  });

  it('signs in from the IdP (unsolicited response) when the connection allows it, once', async () => {
    const sp = await connect('IdP portal', { allowIdpInitiated: true });
    const email = `grace@${samlDomain}`;
    // Nobody started anything at the hub: the person clicked the app tile in the IdP's portal.
    const unsolicited = await respond(sp, email);
    const browser = new Browser();
    const accepted = await post(browser, sp, unsolicited);
    expect({ status: accepted.status, reason: accepted.json.reason }).toEqual({
      status: 200,
      reason: undefined,
    });
    expect(claimsOf(String(accepted.json.idToken))).toMatchObject({ 'custom:org_id': org.id });
    expect((await client(hub, String(accepted.json.idToken))('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
    // Posted again (a stolen copy, from anywhere): the assertion id was used.
    const replayed = await post(new Browser(), sp, unsolicited);
    expect(replayed.status).toBe(403);
    expect(replayed.json.reason).toBe('assertion_replayed');
    // Addressed to another connection's ACS (another audience and recipient): refused there.
    const other = await connect('IdP portal 2', { allowIdpInitiated: true });
    const misaddressed = await post(new Browser(), other, await respond(sp, email));
    expect(misaddressed.status).toBe(403);
    expect(['audience_mismatch', 'recipient_mismatch']).toContain(misaddressed.json.reason);
  });

  it('refuses an unsolicited response when the connection does not allow it (the default), and says why', async () => {
    const sp = await connect('SP-initiated only');
    const refused = await post(new Browser(), sp, await respond(sp, `grace@${samlDomain}`));
    expect(refused.status).toBe(403);
    expect(refused.json.reason).toBe('unsolicited_not_allowed');
    expect(refused.json.idToken).toBeUndefined();
    expect((await failuresOf(sp))[0]).toMatchObject({
      connectionId: sp.id,
      reason: 'unsolicited_not_allowed',
    });
  });
});
