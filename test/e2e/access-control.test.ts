import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';

let hub: RuntimeProcess;
beforeAll(async () => {
  hub = await startRuntime();
});
afterAll(async () => {
  await hub?.stop();
});

async function orgWithOwner(slug: string) {
  const admin = client(hub);
  const org = (await admin('POST', '/v1/orgs', { name: slug, slug })).json as { id: string };
  const owner = (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'owner', role: 'owner' })).json;
  return { org, owner: String(owner.key), asOwner: client(hub, String(owner.key)) };
}

const mint = (sub: string, orgId: string, role: string, mfa = false) =>
  runCli(hub, [
    'token',
    'mint',
    '--sub',
    sub,
    '--org',
    orgId,
    '--role',
    role,
    ...(mfa ? ['--mfa'] : []),
  ]).stdout.trim();

describe('custom roles and Cedar policies over HTTP', () => {
  it('grants exactly what a custom role lists, follows its changes within seconds, and nothing once deleted', async () => {
    const { org, asOwner } = await orgWithOwner('custom-roles');
    const base = `/v1/orgs/${org.id}`;
    const created = await asOwner('POST', `${base}/roles`, {
      name: 'Key reader',
      permissions: ['org:read', 'api_keys:read'],
    });
    expect(created.status).toBe(201);
    const roleId = String(created.json.id);
    expect(
      (await asOwner('POST', `${base}/roles`, { name: 'key READER', permissions: ['org:read'] })).status,
    ).toBe(409);
    expect(
      (await asOwner('POST', `${base}/roles`, { name: 'owner', permissions: ['org:read'] })).status,
    ).toBe(400);
    expect(
      (await asOwner('POST', `${base}/roles`, { name: 'x', permissions: ['platform:orgs:create'] })).status,
    ).toBe(400);

    const key = await asOwner('POST', `${base}/api-keys`, { name: 'reader', role: roleId });
    expect(key.status).toBe(201);
    const asReader = client(hub, String(key.json.key));
    expect((await asReader('GET', `${base}/api-keys`)).status).toBe(200);
    expect((await asReader('GET', `${base}/users`)).status).toBe(403);
    // A custom role cannot hand out more than it holds.
    expect((await asReader('POST', `${base}/api-keys`, { name: 'x', role: 'viewer' })).status).toBe(403);

    expect(
      (
        await asOwner('PATCH', `${base}/roles/${roleId}`, {
          permissions: ['org:read', 'api_keys:read', 'users:read'],
        })
      ).status,
    ).toBe(200);
    await eventually(async () =>
      (await asReader('GET', `${base}/users`)).status === 200 ? true : undefined,
    );

    const admin = await asOwner('POST', `${base}/api-keys`, { name: 'admin', role: 'admin' });
    const asAdmin = client(hub, String(admin.json.key));
    const stronger = await asAdmin('POST', `${base}/roles`, { name: 'deleter', permissions: ['org:delete'] });
    expect(stronger.status).toBe(403);
    expect(
      (await asOwner('POST', `${base}/api-keys`, { name: 'ghost', role: 'role_01JD3Q4ZK8M7X2V9N6B5C4D3E2' }))
        .status,
    ).toBe(400);

    const listed = (await asReader('GET', `${base}/roles`)).json as {
      builtIn: unknown[];
      custom: { id: string }[];
    };
    expect(listed.builtIn).toHaveLength(6);
    expect(listed.custom.map((r) => r.id)).toEqual([roleId]);

    expect((await asOwner('DELETE', `${base}/roles/${roleId}`)).status).toBe(204);
    await eventually(async () =>
      (await asReader('GET', `${base}/api-keys`)).status === 403 ? true : undefined,
    );
    const trail = (await asOwner('GET', `${base}/audit-events?limit=100&targetType=role&targetId=${roleId}`))
      .json.items as {
      action: string;
    }[];
    expect(trail.map((r) => r.action)).toEqual(['role.deleted', 'role.updated', 'role.created']);
  });

  it('validates policies on write, then narrows and widens roles with them', async () => {
    const { org, asOwner } = await orgWithOwner('policies');
    const base = `/v1/orgs/${org.id}`;
    const invalid = await asOwner('PUT', `${base}/policies/bad`, {
      statement: 'forbid (principal, action, resource) when { context.weather == "rain" };',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(invalid.json.errors)).toContain('weather');
    expect(
      (
        await asOwner('PUT', `${base}/policies/has%20space`, {
          statement: 'permit (principal, action, resource);',
        })
      ).status,
    ).toBe(400);

    const put = await asOwner('PUT', `${base}/policies/mfa-to-revoke`, {
      description: 'Revoking a key needs a second factor',
      statement:
        'forbid (principal is Hub::User, action == Hub::Action::"api_keys:revoke", resource) unless { context.mfa };',
    });
    expect(put.status).toBe(201);
    const listed = (await asOwner('GET', `${base}/policies`)).json;
    expect(listed.schema).toContain('namespace Hub');
    expect((listed.items as { id: string }[]).map((p) => p.id)).toEqual(['mfa-to-revoke']);

    const victim = async () =>
      String((await asOwner('POST', `${base}/api-keys`, { name: 'victim', role: 'viewer' })).json.id);
    const pat = String(
      (await asOwner('POST', `${base}/users`, { email: 'pat@policies.test', name: 'Pat', role: 'owner' }))
        .json.id,
    );
    const without = client(hub, mint(pat, org.id, 'owner'));
    const keyId = await victim();
    const denied = await eventually(async () => {
      const res = await without('DELETE', `${base}/api-keys/${keyId}`);
      return res.status === 403 ? res : undefined;
    });
    expect(denied.json.detail).toContain('mfa-to-revoke');
    // Step-up: a second factor counts only while recent (the org's stepUpMinutes, 15 by default).
    const staleMfa = runCli(hub, [
      ...['token', 'mint', '--sub', pat, '--org', org.id, '--role', 'owner', '--mfa'],
      ...['--auth-age', String(20 * 60)],
    ]).stdout.trim();
    const stale = await client(hub, staleMfa)('DELETE', `${base}/api-keys/${keyId}`);
    expect(stale.status).toBe(403);
    expect(stale.json.detail).toContain('mfa-to-revoke');
    const withMfa = client(hub, mint(pat, org.id, 'owner', true));
    expect((await withMfa('DELETE', `${base}/api-keys/${keyId}`)).status).toBe(204);
    const denials = (await asOwner('GET', `${base}/audit-events?outcome=denied&action=api.revokeApiKey`)).json
      .items;
    expect((denials as unknown[]).length).toBeGreaterThan(0);

    // Widening: a viewer may manage the teams of the team they belong to, and no others.
    const eng = String((await asOwner('POST', `${base}/teams`, { name: 'eng' })).json.id);
    const platform = String(
      (await asOwner('POST', `${base}/teams`, { name: 'platform', parentId: eng })).json.id,
    );
    const web = String((await asOwner('POST', `${base}/teams`, { name: 'web' })).json.id);
    const cy = String(
      (await asOwner('POST', `${base}/users`, { email: 'cy@policies.test', name: 'Cy', role: 'viewer' })).json
        .id,
    );
    await asOwner('PUT', `${base}/teams/${eng}/members/${cy}`, { role: 'member' });
    const statement = `permit (principal, action == Hub::Action::"teams:manage", resource) when { principal in Hub::Team::"${eng}" && resource in Hub::Team::"${eng}" };`;
    expect((await asOwner('PUT', `${base}/policies/eng-manages-eng`, { statement })).status).toBe(201);
    const asCy = client(hub, mint(cy, org.id, 'viewer'));
    await eventually(async () =>
      (await asCy('PATCH', `${base}/teams/${platform}`, { name: 'platform-renamed' })).status === 200
        ? true
        : undefined,
    );
    expect((await asCy('PATCH', `${base}/teams/${web}`, { name: 'nope' })).status).toBe(403);

    // Platform admins are not subject to an org's policies: an org cannot lock itself out for good.
    await asOwner('PUT', `${base}/policies/lockdown`, { statement: 'forbid (principal, action, resource);' });
    await eventually(async () =>
      (await asOwner('GET', `${base}/policies`)).status === 403 ? true : undefined,
    );
    expect((await client(hub)('DELETE', `${base}/policies/lockdown`)).status).toBe(204);
    await eventually(async () =>
      (await asOwner('GET', `${base}/policies`)).status === 200 ? true : undefined,
    );
  });

  it("refuses a user's personal key while the user is deactivated, and keeps org keys working", async () => {
    const { org, asOwner } = await orgWithOwner('personal-keys');
    const base = `/v1/orgs/${org.id}`;
    const dee = String(
      (await asOwner('POST', `${base}/users`, { email: 'dee@personal.test', name: 'Dee', role: 'admin' }))
        .json.id,
    );
    const asDee = client(hub, mint(dee, org.id, 'admin'));
    const personal = await asDee('POST', `${base}/api-keys`, { name: 'laptop', role: 'viewer', owner: 'me' });
    expect(personal.status).toBe(201);
    expect(personal.json.ownerUserId).toBe(dee);
    const orgKey = await asDee('POST', `${base}/api-keys`, { name: 'ci', role: 'viewer' });
    expect(orgKey.json.ownerUserId).toBeNull();
    expect(
      (await asOwner('POST', `${base}/api-keys`, { name: 'x', role: 'viewer', owner: 'me' })).status,
    ).toBe(400);

    const withPersonal = client(hub, String(personal.json.key));
    const withOrgKey = client(hub, String(orgKey.json.key));
    expect((await withPersonal('GET', base)).status).toBe(200);
    expect((await asOwner('POST', `${base}/users/${dee}/deactivate`)).status).toBe(200);
    const refused = await withPersonal('GET', base);
    expect(refused.status).toBe(403);
    expect(refused.json.detail).toContain("key's user is deactivated");
    expect((await withOrgKey('GET', base)).status).toBe(200);
    expect((await asOwner('POST', `${base}/users/${dee}/reactivate`)).status).toBe(200);
    expect((await withPersonal('GET', base)).status).toBe(200);
  });

  it('manages roles and policies from the CLI', async () => {
    const { org, owner } = await orgWithOwner('cli-access');
    const created = runCli(
      hub,
      [
        'roles',
        'create',
        org.id,
        '--name',
        'auditors-plus',
        '--permissions',
        'org:read,audit:read,usage:read',
      ],
      owner,
    );
    expect(created.status).toBe(0);
    expect(JSON.parse(created.stdout).permissions).toEqual(['org:read', 'audit:read', 'usage:read']);
    expect(
      runCli(hub, ['roles', 'create', org.id, '--name', 'x', '--permissions', 'root'], owner).status,
    ).not.toBe(0);
    const put = runCli(
      hub,
      [
        'policies',
        'put',
        org.id,
        'no-keys-by-keys',
        '--statement',
        'forbid (principal is Hub::ApiKey, action == Hub::Action::"api_keys:create", resource);',
      ],
      owner,
    );
    expect(put.status).toBe(0);
    expect(JSON.parse(runCli(hub, ['policies', 'list', org.id], owner).stdout).items).toHaveLength(1);
    expect(runCli(hub, ['policies', 'delete', org.id, 'no-keys-by-keys'], owner).status).toBe(0);
  });
});
