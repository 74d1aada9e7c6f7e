import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { Browser } from '../support/browser';
import type { TestOidcIdp } from '../support/oidc-idp';
import { startOidcIdp } from '../support/oidc-idp';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, startRuntime } from '../support/runtime-process';

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
    expect(claimsOf(String(withMfa.json.idToken)).amr).toContain('mfa');
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
  it('signs in with a response to its own AuthnRequest, once, signed by the configured certificate only', async () => {
    const org = await verifiedOrg('signin-saml', samlDomain);
    const name = 'samlify';
    // biome-ignore lint/suspicious/noExplicitAny: samlify is loaded untyped (its types need the DOM)
    const samlify: any = await import(name);
    samlify.setSchemaValidator({ validate: async () => 'skipped' });
    const idpFor = (key: string, cert: string) =>
      samlify.IdentityProvider({
        entityID: 'https://idp.saml.example',
        privateKey: fixture(key),
        signingCert: fixture(cert),
        singleSignOnService: [
          { Binding: samlify.Constants.namespace.binding.redirect, Location: 'https://idp.saml.example/sso' },
        ],
      });
    const made = await org.as('POST', `/v1/orgs/${org.id}/sso-connections`, {
      protocol: 'saml',
      name: 'Entra',
      metadataXml: idpFor('idp-key.pem', 'idp-cert.pem').getMetadata(),
    });
    expect(made.status).toBe(201);
    const sp = (made.json as Json).saml.serviceProvider as {
      entityId: string;
      acsUrl: string;
      metadataUrl: string;
    };
    const metadata = await client(hub, '')('GET', new URL(sp.metadataUrl).pathname);
    expect(metadata.status).toBe(200);
    expect(metadata.text).toContain(sp.acsUrl);

    const email = `linus@${samlDomain}`;
    const start = await new Browser().open(startUrl(email));
    expect(start.status).toBe(302);
    const location = new URL(String(start.headers.get('location')));
    expect(location.origin).toBe('https://idp.saml.example');
    const request = inflateRawSync(
      Buffer.from(String(location.searchParams.get('SAMLRequest')), 'base64'),
    ).toString();
    const requestId = String(/ID="([^"]+)"/.exec(request)?.[1]);
    const serviceProvider = samlify.ServiceProvider({
      entityID: sp.entityId,
      wantAssertionsSigned: true,
      assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: sp.acsUrl }],
    });
    const respond = async (key = 'idp-key.pem', cert = 'idp-cert.pem') =>
      (
        await idpFor(key, cert).createLoginResponse(
          serviceProvider,
          { extract: { request: { id: requestId } } },
          'post',
          { email },
        )
      ).context as string;
    const post = (samlResponse: string) =>
      fetch(sp.acsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: '' }).toString(),
      });

    // Signed by another key, with its own certificate in the message: refused, the request still open.
    const forged = await post(await respond('other-key.pem', 'other-cert.pem'));
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as Json).reason).toBe('certificate_untrusted');

    const good = await respond();
    const accepted = await post(good);
    const session = (await accepted.json()) as Json;
    expect({ status: accepted.status, reason: session.reason }).toEqual({ status: 200, reason: undefined });
    expect(claimsOf(String(session.idToken))['custom:org_id']).toBe(org.id);
    expect((await client(hub, String(session.idToken))('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
    const replayed = await post(good);
    expect(replayed.status).toBe(403);

    const failures = (await org.as('GET', `/v1/orgs/${org.id}/sso-connections/${made.json.id}/failures`)).json
      .items as Json[];
    expect(failures.map((f) => f.reason)).toEqual(expect.arrayContaining(['certificate_untrusted']));
  });
});
