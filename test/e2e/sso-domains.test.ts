import type { RuntimeProcess } from '../support/runtime-process';
import { client, runCli, startRuntime } from '../support/runtime-process';

/**
 * An org proves an email domain by a DNS TXT record, over HTTP and the CLI, with the local
 * runtime's stand-in DNS (`POST /_local/dns`, `hub dns set`) in place of a public zone.
 */

// biome-ignore lint/suspicious/noExplicitAny: the tests read the hub's JSON freely
type Json = Record<string, any>;

let hub: RuntimeProcess;
let admin: ReturnType<typeof client>;
const suffix = Math.random().toString(36).slice(2, 8);
const domain = `corp-${suffix}.example`;

async function org(name: string) {
  const created = (await admin('POST', '/v1/orgs', { name, slug: `${name}-${suffix}` })).json as Json;
  const key = (await admin('POST', `/v1/orgs/${created.id}/api-keys`, { name: 'owner', role: 'owner' })).json;
  return { id: String(created.id), as: client(hub, String(key.key)) };
}
const domainsOf = (orgId: string) => `/v1/orgs/${orgId}/domains`;

beforeAll(async () => {
  hub = await startRuntime();
  admin = client(hub);
});
afterAll(async () => {
  await hub?.stop();
});

describe('verified email domains', () => {
  it('claims a domain once its TXT record holds the proof, for one org only, until it is removed', async () => {
    const a = await org('domains-a');
    const b = await org('domains-b');

    const added = await a.as('POST', domainsOf(a.id), { domain: ` ${domain.toUpperCase()}. ` });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({
      domain,
      status: 'pending',
      verificationRecord: {
        type: 'TXT',
        name: `_integration-hub-challenge.${domain}`,
        value: expect.stringMatching(/^integration-hub-domain-verification=[\w-]{32}$/),
      },
      verifiedAt: null,
    });
    const record = added.json.verificationRecord as { name: string; value: string };
    expect((await a.as('POST', domainsOf(a.id), { domain })).status).toBe(409);

    // Nothing published yet: a 400 that says so, recorded on the domain.
    const early = await a.as('POST', `${domainsOf(a.id)}/${domain}/verify`);
    expect(early.status).toBe(400);
    expect(early.headers.get('content-type')).toContain('application/problem+json');
    expect(early.json.detail).toContain(`No TXT record at ${record.name}`);
    expect((await a.as('GET', `${domainsOf(a.id)}/${domain}`)).json).toMatchObject({
      status: 'pending',
      lastCheckError: `No TXT record at ${record.name}`,
    });

    // A record with another value proves nothing.
    const wrong = runCli(hub, ['dns', 'set', record.name, 'integration-hub-domain-verification=not-it']);
    expect(wrong.status).toBe(0);
    const mismatch = await a.as('POST', `${domainsOf(a.id)}/${domain}/verify`);
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.detail).toContain('do not hold');

    // B claims the same domain and publishes its own record beside A's.
    const bAdded = await b.as('POST', domainsOf(b.id), { domain });
    expect(bAdded.status).toBe(201);
    const bValue = String((bAdded.json as Json).verificationRecord.value);
    expect(bValue).not.toBe(record.value);

    expect(runCli(hub, ['dns', 'set', record.name, 'v=spf1 -all', record.value, bValue]).status).toBe(0);
    const verified = runCli(hub, ['domains', 'verify', a.id, domain]);
    expect(verified.status).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ domain, status: 'verified', lastCheckError: null });

    // B's proof is as good as A's, but A holds the claim.
    const taken = await b.as('POST', `${domainsOf(b.id)}/${domain}/verify`);
    expect(taken.status).toBe(409);
    expect(taken.json.detail).toContain('Another organisation has verified');
    expect((await b.as('GET', `${domainsOf(b.id)}/${domain}`)).json.status).toBe('pending');

    // A verified domain stays verified when checked again, whatever DNS says now.
    expect(runCli(hub, ['dns', 'set', record.name]).status).toBe(0);
    expect((await a.as('POST', `${domainsOf(a.id)}/${domain}/verify`)).json.status).toBe('verified');

    const listed = JSON.parse(runCli(hub, ['domains', 'list', a.id]).stdout) as Json;
    expect(listed.items).toEqual([expect.objectContaining({ domain, status: 'verified' })]);

    // A gives it up: the claim is released, and B's proof now holds.
    expect((await a.as('DELETE', `${domainsOf(a.id)}/${domain}`)).status).toBe(204);
    expect((await a.as('GET', `${domainsOf(a.id)}/${domain}`)).status).toBe(404);
    expect(runCli(hub, ['dns', 'set', record.name, bValue]).status).toBe(0);
    const claimed = await b.as('POST', `${domainsOf(b.id)}/${domain}/verify`);
    expect(claimed.status).toBe(200);
    expect(claimed.json.status).toBe('verified');

    const trail = async (orgId: string, action: string) =>
      ((await admin('GET', `/v1/orgs/${orgId}/audit-events?action=${action}`)).json.items as Json[]).map(
        (r) => r.targets[0].id,
      );
    expect(await trail(a.id, 'sso_domain.added')).toEqual([domain]);
    expect(await trail(a.id, 'sso_domain.verified')).toEqual([domain]);
    expect(await trail(a.id, 'sso_domain.removed')).toEqual([domain]);
    expect(await trail(b.id, 'sso_domain.verified')).toEqual([domain]);
  });

  it('refuses bad domains, unknown ones and callers without sso:manage', async () => {
    const a = await org('domains-c');
    for (const bad of ['localhost', '10.0.0.1', 'exa mple.com', '-x.example', `${'a'.repeat(64)}.example`]) {
      const res = await a.as('POST', domainsOf(a.id), { domain: bad });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await a.as('POST', domainsOf(a.id), { domain: 'ok.example', extra: 1 })).status).toBe(400);
    expect((await a.as('GET', `${domainsOf(a.id)}/not..a.domain`)).status).toBe(404);
    expect((await a.as('GET', `${domainsOf(a.id)}/absent.example`)).status).toBe(404);
    expect((await a.as('POST', `${domainsOf(a.id)}/absent.example/verify`)).status).toBe(404);

    const member = (await admin('POST', `/v1/orgs/${a.id}/api-keys`, { name: 'm', role: 'member' })).json;
    const asMember = client(hub, String(member.key));
    expect((await asMember('POST', domainsOf(a.id), { domain: 'member.example' })).status).toBe(403);
    expect((await asMember('GET', domainsOf(a.id))).status).toBe(403);
    const adminKey = (await admin('POST', `/v1/orgs/${a.id}/api-keys`, { name: 'a', role: 'admin' })).json;
    expect(
      (await client(hub, String(adminKey.key))('POST', domainsOf(a.id), { domain: 'admin.example' })).status,
    ).toBe(201);
  });

  it('answers the local DNS endpoint with problem+json for a bad record', async () => {
    const res = await client(hub, '')('POST', '/_local/dns', { name: 'bad name', txt: ['x'] });
    expect(res.status).toBe(400);
    expect(res.json.detail).toContain('"name"');
  });
});
