import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestOidcIdp } from '../support/oidc-idp';
import { startOidcIdp } from '../support/oidc-idp';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, startRuntime } from '../support/runtime-process';

/**
 * SSO connections over HTTP: SAML IdPs from metadata (a document, or a URL the hub fetches) or
 * by hand, OIDC IdPs checked against their discovery document (a real `oidc-provider`), secrets
 * sealed and never shown, roles bounded by the caller's own.
 */

// biome-ignore lint/suspicious/noExplicitAny: the tests read the hub's JSON freely
type Json = Record<string, any>;

const fixture = (name: string) => readFileSync(join(process.cwd(), 'test/fixtures/saml', name), 'utf8');
const SECRET = 'oidc-client-secret-never-shown';

let hub: RuntimeProcess;
let admin: ReturnType<typeof client>;
let idp: TestOidcIdp;
let metadataServer: Server;
let metadataUrl: string;
let metadataXml: string;
const suffix = Math.random().toString(36).slice(2, 8);

async function samlMetadata(): Promise<string> {
  const name = 'samlify';
  const samlify = (await import(name)) as {
    IdentityProvider(o: object): { getMetadata(): string };
    Constants: { namespace: { binding: { redirect: string } } };
  };
  return samlify
    .IdentityProvider({
      entityID: 'https://idp.example/saml',
      signingCert: fixture('idp-cert.pem'),
      privateKey: fixture('idp-key.pem'),
      singleSignOnService: [
        { Binding: samlify.Constants.namespace.binding.redirect, Location: 'https://idp.example/sso' },
      ],
    })
    .getMetadata();
}

async function org(name: string) {
  const created = (await admin('POST', '/v1/orgs', { name, slug: `${name}-${suffix}` })).json as Json;
  const key = (await admin('POST', `/v1/orgs/${created.id}/api-keys`, { name: 'owner', role: 'owner' })).json;
  return { id: String(created.id), as: client(hub, String(key.key)) };
}
const connectionsOf = (orgId: string) => `/v1/orgs/${orgId}/sso-connections`;

beforeAll(async () => {
  hub = await startRuntime();
  admin = client(hub);
  idp = await startOidcIdp([
    { clientId: 'hub', clientSecret: SECRET, redirectUri: `${hub.url}/sso/oidc/callback` },
  ]);
  metadataXml = await samlMetadata();
  metadataServer = createServer((req, res) => {
    if (req.url === '/metadata') res.writeHead(200, { 'content-type': 'application/xml' }).end(metadataXml);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => metadataServer.listen(0, '127.0.0.1', r));
  metadataUrl = `http://127.0.0.1:${(metadataServer.address() as AddressInfo).port}/metadata`;
});
afterAll(async () => {
  await idp?.stop();
  await new Promise((r) => metadataServer?.close(r));
  await hub?.stop();
});

describe('SSO connections', () => {
  it('connects an OIDC IdP by its discovery document, keeping the client secret sealed', async () => {
    const a = await org('sso-oidc');
    const created = await a.as('POST', connectionsOf(a.id), {
      protocol: 'oidc',
      name: 'Okta',
      issuer: idp.issuer,
      clientId: 'hub',
      clientSecret: SECRET,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: expect.stringMatching(/^sso_/),
      protocol: 'oidc',
      enabled: true,
      defaultRole: 'member',
      saml: null,
      oidc: {
        issuer: idp.issuer,
        clientId: 'hub',
        scopes: ['openid', 'email', 'profile'],
        hasClientSecret: true,
        redirectUri: `${hub.url}/sso/oidc/callback`,
      },
    });
    expect(created.text).not.toContain(SECRET);
    const id = String(created.json.id);

    // A replace that leaves the secret out keeps it; the protocol cannot change.
    const renamed = await a.as('PUT', `${connectionsOf(a.id)}/${id}`, {
      protocol: 'oidc',
      name: 'Okta (prod)',
      issuer: idp.issuer,
      clientId: 'hub',
    });
    expect(renamed.status).toBe(200);
    expect((renamed.json as Json).oidc.hasClientSecret).toBe(true);
    expect(renamed.json.name).toBe('Okta (prod)');
    // A secret goes only to the server it was entered for: another issuer or client needs it again.
    const moved = await a.as('PUT', `${connectionsOf(a.id)}/${id}`, {
      protocol: 'oidc',
      name: 'Okta (prod)',
      issuer: idp.issuer,
      clientId: 'someone-else',
    });
    expect(moved.status).toBe(400);
    expect(moved.json.detail).toContain('clientSecret');
    const switched = await a.as('PUT', `${connectionsOf(a.id)}/${id}`, {
      protocol: 'saml',
      name: 'x',
      metadataXml,
    });
    expect(switched.status).toBe(409);

    // No secret in the audit trail either.
    const trail = (await admin('GET', `/v1/orgs/${a.id}/audit-events?limit=100`)).text;
    expect(trail).toContain('sso_connection.created');
    expect(trail).toContain('sso_connection.updated');
    expect(trail).not.toContain(SECRET);

    // An issuer whose discovery fails, or a new OIDC connection without its secret: 400.
    const unreachable = await a.as('POST', connectionsOf(a.id), {
      protocol: 'oidc',
      name: 'Nowhere',
      issuer: `${metadataUrl.replace('/metadata', '')}/not-an-issuer`,
      clientId: 'hub',
      clientSecret: 'x',
    });
    expect(unreachable.status).toBe(400);
    expect(unreachable.json.detail).toContain('discovery document');
    const secretless = await a.as('POST', connectionsOf(a.id), {
      protocol: 'oidc',
      name: 'No secret',
      issuer: idp.issuer,
      clientId: 'hub',
    });
    expect(secretless.status).toBe(400);

    expect((await a.as('DELETE', `${connectionsOf(a.id)}/${id}`)).status).toBe(204);
    expect((await a.as('GET', `${connectionsOf(a.id)}/${id}`)).status).toBe(404);
    expect((await a.as('GET', connectionsOf(a.id))).json.items).toEqual([]);
  });

  it('connects SAML IdPs from a metadata document, a metadata URL or by hand', async () => {
    const a = await org('sso-saml');
    const fromXml = await a.as('POST', connectionsOf(a.id), { protocol: 'saml', name: 'Entra', metadataXml });
    expect(fromXml.status).toBe(201);
    const id = String(fromXml.json.id);
    expect(fromXml.json.saml).toMatchObject({
      idpEntityId: 'https://idp.example/saml',
      ssoUrl: 'https://idp.example/sso',
      allowIdpInitiated: false,
      signingCertificates: [
        expect.objectContaining({ fingerprint256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) }),
      ],
      serviceProvider: {
        entityId: `${hub.url}/sso/saml/${id}/metadata`,
        acsUrl: `${hub.url}/sso/saml/${id}/acs`,
        metadataUrl: `${hub.url}/sso/saml/${id}/metadata`,
      },
    });
    // The certificates' details are shown, never their bodies.
    expect(fromXml.text).not.toContain('BEGIN CERTIFICATE');

    const fromUrl = await a.as('POST', connectionsOf(a.id), {
      protocol: 'saml',
      name: 'By URL',
      metadataUrl,
    });
    expect(fromUrl.status).toBe(201);
    expect((fromUrl.json as Json).saml.idpEntityId).toBe('https://idp.example/saml');

    const byHand = await a.as('POST', connectionsOf(a.id), {
      protocol: 'saml',
      name: 'By hand',
      idpEntityId: 'https://other.example',
      ssoUrl: 'https://other.example/sso',
      signingCertificates: [fixture('other-cert.pem')],
      allowIdpInitiated: true,
      // Okta's way to say MFA: a context class its admin maps, counted beside the standard ones.
      mfaContextClasses: ['urn:okta:acme:mfa'],
    });
    expect(byHand.status).toBe(201);
    expect((byHand.json as Json).saml).toMatchObject({
      allowIdpInitiated: true,
      mfaContextClasses: ['urn:okta:acme:mfa'],
    });

    const bad = async (body: Json) => {
      const res = await a.as('POST', connectionsOf(a.id), { protocol: 'saml', name: 'Bad', ...body });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      return res.json;
    };
    await bad({
      idpEntityId: 'x',
      ssoUrl: 'https://x.example/sso',
      signingCertificates: ['not a certificate'],
    });
    await bad({ metadataXml, idpEntityId: 'x' });
    await bad({
      idpEntityId: 'x',
      ssoUrl: 'http://x.example/sso',
      signingCertificates: [fixture('idp-cert.pem')],
    });
    expect((await bad({ metadataXml: `<!DOCTYPE x [<!ENTITY a "b">]>${metadataXml}` })).detail).toContain(
      'cannot be used',
    );
    expect((await bad({ metadataUrl: metadataUrl.replace('/metadata', '/missing') })).detail).toContain(
      'HTTP 404',
    );
    await bad({ protocol: 'ldap' });
    await bad({ metadataXml, mfaContextClasses: ['has spaces in it'] });
    // A password-only context counted as a second factor would pass mfaRequired for everyone.
    await bad({
      metadataXml,
      mfaContextClasses: ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'],
    });

    const listed = (await a.as('GET', connectionsOf(a.id))).json.items as Json[];
    expect(listed.map((c) => c.name).sort()).toEqual(['By URL', 'By hand', 'Entra']);
  });

  it('lets only callers who could grant its roles set them, and refuses members', async () => {
    const a = await org('sso-roles');
    const adminKey = (await admin('POST', `/v1/orgs/${a.id}/api-keys`, { name: 'a', role: 'admin' })).json;
    const asAdmin = client(hub, String(adminKey.key));
    const body = { protocol: 'saml', name: 'Entra', metadataXml };
    expect((await asAdmin('POST', connectionsOf(a.id), { ...body, defaultRole: 'owner' })).status).toBe(403);
    expect(
      (
        await asAdmin('POST', connectionsOf(a.id), {
          ...body,
          groupMappings: [{ group: 'founders', role: 'owner' }],
        })
      ).status,
    ).toBe(403);
    expect((await asAdmin('POST', connectionsOf(a.id), { ...body, defaultRole: 'viewer' })).status).toBe(201);
    expect((await a.as('POST', connectionsOf(a.id), { ...body, defaultRole: 'owner' })).status).toBe(201);

    const member = (await admin('POST', `/v1/orgs/${a.id}/api-keys`, { name: 'm', role: 'member' })).json;
    const asMember = client(hub, String(member.key));
    expect((await asMember('GET', connectionsOf(a.id))).status).toBe(403);
    expect((await asMember('POST', connectionsOf(a.id), body)).status).toBe(403);
  });
});
