import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';

let hub: RuntimeProcess;
beforeAll(async () => {
  hub = await startRuntime();
});
afterAll(async () => {
  await hub?.stop();
});

async function orgWithKeys(slug: string) {
  const admin = client(hub);
  const org = (await admin('POST', '/v1/orgs', { name: slug, slug })).json as { id: string };
  const key = async (role: string) => {
    const created = (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: role, role })).json;
    return { id: String(created.id), key: String(created.key) };
  };
  return { org, owner: await key('owner'), viewer: await key('viewer'), auditor: await key('auditor') };
}

type Audit = {
  action: string;
  outcome: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
};

describe('organisation administration', () => {
  it('lists every org for platform admins, page by page, and for no one else', async () => {
    const { owner } = await orgWithKeys('list-one');
    await orgWithKeys('list-two');
    const admin = client(hub);
    const first = await admin('GET', '/v1/orgs?limit=1');
    expect(first.status).toBe(200);
    expect(first.json.items).toHaveLength(1);
    const second = await admin('GET', `/v1/orgs?limit=1&cursor=${first.json.nextCursor}`);
    expect((second.json.items as { slug: string }[])[0]?.slug).not.toBe(
      (first.json.items as { slug: string }[])[0]?.slug,
    );
    expect((await client(hub, owner.key)('GET', '/v1/orgs')).status).toBe(403);
  });

  it('updates settings partially, audits before and after, and refuses invalid ones', async () => {
    const { org, owner, viewer } = await orgWithKeys('settings');
    const asOwner = client(hub, owner.key);
    const res = await asOwner('PATCH', `/v1/orgs/${org.id}`, {
      settings: { mfaRequired: true, sessionLifetimeMinutes: 60 },
    });
    expect(res.status).toBe(200);
    expect(res.json.settings).toMatchObject({
      mfaRequired: true,
      sessionLifetimeMinutes: 60,
      defaultRole: 'member',
    });
    const bad = await asOwner('PATCH', `/v1/orgs/${org.id}`, { settings: { ipAllowList: ['not-a-cidr'] } });
    expect(bad.status).toBe(400);
    expect((await asOwner('PATCH', `/v1/orgs/${org.id}`, {})).status).toBe(400);
    expect((await client(hub, viewer.key)('PATCH', `/v1/orgs/${org.id}`, { name: 'x' })).status).toBe(403);

    const trail = (await asOwner('GET', `/v1/orgs/${org.id}/audit-events?action=org.updated`)).json
      .items as Audit[];
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({
      outcome: 'success',
      before: { 'settings.mfaRequired': false, 'settings.sessionLifetimeMinutes': 480 },
      after: { 'settings.mfaRequired': true, 'settings.sessionLifetimeMinutes': 60 },
    });
  });

  it("answers only the org's allowed networks once an IP allow-list is set", async () => {
    const { org, owner } = await orgWithKeys('allow-list');
    const asOwner = client(hub, owner.key);
    expect(
      (await asOwner('PATCH', `/v1/orgs/${org.id}`, { settings: { ipAllowList: ['203.0.113.0/24'] } }))
        .status,
    ).toBe(200);
    const refused = await eventually(async () => {
      const res = await asOwner('GET', `/v1/orgs/${org.id}`);
      return res.status === 403 ? res : undefined;
    });
    expect(refused.json.detail).toMatch(/allow-list/);
    // The platform admin is not bound by an org's allow-list, and can lift it.
    expect(
      (
        await client(hub)('PATCH', `/v1/orgs/${org.id}`, {
          settings: { ipAllowList: ['127.0.0.0/8', '::1/128'] },
        })
      ).status,
    ).toBe(200);
    await eventually(async () =>
      (await asOwner('GET', `/v1/orgs/${org.id}`)).status === 200 ? true : undefined,
    );
  });

  it("stops a suspended org's keys within seconds, and restores them on reactivation", async () => {
    const { org, owner } = await orgWithKeys('suspended');
    const admin = client(hub);
    const asOwner = client(hub, owner.key);
    expect((await asOwner('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
    const suspended = await admin('POST', `/v1/orgs/${org.id}/suspend`);
    expect(suspended.status).toBe(200);
    expect(suspended.json.status).toBe('suspended');
    expect((await admin('POST', `/v1/orgs/${org.id}/suspend`)).status).toBe(409);
    await eventually(
      async () => ((await asOwner('GET', `/v1/orgs/${org.id}`)).status === 403 ? true : undefined),
      12_000,
    );
    expect((await client(hub, owner.key)('POST', `/v1/orgs/${org.id}/suspend`)).status).toBe(403);
    expect((await admin('POST', `/v1/orgs/${org.id}/reactivate`)).json.status).toBe('active');
    await eventually(
      async () => ((await asOwner('GET', `/v1/orgs/${org.id}`)).status === 200 ? true : undefined),
      12_000,
    );
  });

  it('lists keys without their secrets, and a revoked key stops working', async () => {
    const { org, owner, viewer } = await orgWithKeys('revoke');
    const asOwner = client(hub, owner.key);
    const listed = (await asOwner('GET', `/v1/orgs/${org.id}/api-keys`)).json.items as {
      id: string;
      display: string;
    }[];
    expect(listed.map((k) => k.id)).toContain(viewer.id);
    expect(JSON.stringify(listed)).not.toContain(viewer.key);
    expect(listed.find((k) => k.id === viewer.id)?.display).toBe(`hub_…${viewer.key.slice(-4)}`);

    expect((await client(hub, viewer.key)('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
    const adminKey = String(
      (await client(hub)('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'a', role: 'admin' })).json.key,
    );
    expect((await client(hub, adminKey)('DELETE', `/v1/orgs/${org.id}/api-keys/${owner.id}`)).status).toBe(
      403,
    );
    expect((await asOwner('DELETE', `/v1/orgs/${org.id}/api-keys/${viewer.id}`)).status).toBe(204);
    expect((await asOwner('DELETE', `/v1/orgs/${org.id}/api-keys/${viewer.id}`)).status).toBe(404);
    await eventually(
      async () =>
        (await client(hub, viewer.key)('GET', `/v1/orgs/${org.id}`)).status === 401 ? true : undefined,
      12_000,
    );
    const after = (await asOwner('GET', `/v1/orgs/${org.id}/api-keys`)).json.items as {
      id: string;
      status: string;
    }[];
    expect(after.find((k) => k.id === viewer.id)?.status).toBe('revoked');
  });

  it('rotates a key: the new one works at once, the old one until its overlap ends', async () => {
    const { org, owner, viewer } = await orgWithKeys('rotate');
    const asOwner = client(hub, owner.key);
    const kept = await asOwner('POST', `/v1/orgs/${org.id}/api-keys/${owner.id}/rotate`, {});
    expect(kept.status).toBe(201);
    expect((await client(hub, owner.key)('GET', `/v1/orgs/${org.id}`)).status).toBe(200);

    const rotated = await asOwner('POST', `/v1/orgs/${org.id}/api-keys/${viewer.id}/rotate`, {
      overlapSeconds: 0,
    });
    expect(rotated.status).toBe(201);
    expect(rotated.json).toMatchObject({ name: 'viewer', role: 'viewer', status: 'active' });
    const fresh = String(rotated.json.key);
    expect(fresh).not.toBe(viewer.key);
    expect((await client(hub, fresh)('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
    await eventually(
      async () =>
        (await client(hub, viewer.key)('GET', `/v1/orgs/${org.id}`)).status === 401 ? true : undefined,
      12_000,
    );
    expect((await asOwner('POST', `/v1/orgs/${org.id}/api-keys/${viewer.id}/rotate`, {})).status).toBe(404);
    expect(
      (await asOwner('POST', `/v1/orgs/${org.id}/api-keys/${rotated.json.id}/rotate`, { overlapSeconds: -1 }))
        .status,
    ).toBe(400);
    const listed = (await asOwner('GET', `/v1/orgs/${org.id}/api-keys`)).json.items as {
      id: string;
      rotatedTo?: string;
    }[];
    expect(listed.find((k) => k.id === viewer.id)?.rotatedTo).toBe(rotated.json.id);
  });

  it('shows when and from where each key was last used', async () => {
    const { org, owner, viewer } = await orgWithKeys('last-used');
    expect((await client(hub, viewer.key)('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
    const listed = (await client(hub, owner.key)('GET', `/v1/orgs/${org.id}/api-keys`)).json.items as {
      id: string;
      lastUsedAt?: string;
      lastUsedIp?: string;
    }[];
    const used = listed.find((k) => k.id === viewer.id);
    expect(used?.lastUsedIp).toBe('127.0.0.1');
    expect(Date.now() - Date.parse(String(used?.lastUsedAt))).toBeLessThan(60_000);
  });

  it('deletes an org at once, restores it within the grace period, and purges it after', async () => {
    const { org, owner } = await orgWithKeys('doomed');
    const admin = client(hub);
    const asOwner = client(hub, owner.key);
    const admin2 = String(
      (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'a', role: 'admin' })).json.key,
    );
    expect((await client(hub, admin2)('DELETE', `/v1/orgs/${org.id}`)).status).toBe(403);
    const con = (await asOwner('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'c' }))
      .json as {
      webhookUrl: string;
    };
    expect((await asOwner('DELETE', `/v1/orgs/${org.id}?graceDays=500`)).status).toBe(400);

    const deleted = await asOwner('DELETE', `/v1/orgs/${org.id}?graceDays=0`);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ status: 'deleted' });
    await eventually(
      async () => ((await asOwner('GET', `/v1/orgs/${org.id}`)).status === 403 ? true : undefined),
      12_000,
    );

    expect((await admin('POST', `/v1/orgs/${org.id}/restore`)).json.status).toBe('active');
    expect((await admin('POST', `/v1/orgs/${org.id}/restore`)).status).toBe(409);
    expect((await admin('DELETE', `/v1/orgs/${org.id}?graceDays=0`)).status).toBe(200);

    const run = await fetch(`${hub.url}/_local/schedules/purgeDeletedOrgs`, { method: 'POST' });
    const purged = (await run.json()) as { purged: { orgId: string; removed: Record<string, number> }[] };
    const report = purged.purged.find((p) => p.orgId === org.id);
    expect(report?.removed).toMatchObject({ org: 1, apiKeys: 4, connections: 1 });

    expect((await admin('GET', `/v1/orgs/${org.id}`)).status).toBe(404);
    expect(
      (await client(hub, '')('POST', con.webhookUrl, '{}', { 'content-type': 'application/json' })).status,
    ).toBe(404);
    expect((await admin('POST', '/v1/orgs', { name: 'Reborn', slug: 'doomed' })).status).toBe(201);
    const trail = (await admin('GET', `/v1/orgs/${org.id}/audit-events?action=org.purged`)).json
      .items as Audit[];
    expect(trail).toHaveLength(1);
    const again = (await (
      await fetch(`${hub.url}/_local/schedules/purgeDeletedOrgs`, { method: 'POST' })
    ).json()) as {
      purged: { orgId: string }[];
    };
    expect(again.purged.map((p) => p.orgId)).not.toContain(org.id);
  });

  it('provisions users, refuses a deactivated user at once, and shows their activity', async () => {
    const { org, owner } = await orgWithKeys('people');
    const asOwner = client(hub, owner.key);
    const created = await asOwner('POST', `/v1/orgs/${org.id}/users`, {
      email: 'Alice@Acme.test',
      name: 'Alice',
      role: 'admin',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ email: 'alice@acme.test', role: 'admin', status: 'active' });
    const userId = String(created.json.id);
    expect(
      (await asOwner('POST', `/v1/orgs/${org.id}/users`, { email: 'alice@acme.test', name: 'Again' })).status,
    ).toBe(409);
    expect(
      (await asOwner('POST', `/v1/orgs/${org.id}/users`, { email: 'not-an-email', name: 'X' })).status,
    ).toBe(400);

    const token = runCli(hub, [
      'token',
      'mint',
      '--sub',
      userId,
      '--org',
      org.id,
      '--role',
      'admin',
    ]).stdout.trim();
    const asAlice = client(hub, token);
    expect(
      (await asAlice('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'by-alice', role: 'viewer' })).status,
    ).toBe(201);
    expect(
      (
        await asAlice('POST', `/v1/orgs/${org.id}/users`, {
          email: 'eve@acme.test',
          name: 'Eve',
          role: 'owner',
        })
      ).status,
    ).toBe(403);

    expect((await asOwner('POST', `/v1/orgs/${org.id}/users/${userId}/deactivate`)).json.status).toBe(
      'deactivated',
    );
    expect((await asAlice('GET', `/v1/orgs/${org.id}`)).status).toBe(403);
    expect((await asOwner('POST', `/v1/orgs/${org.id}/users/${userId}/deactivate`)).status).toBe(409);
    expect((await asOwner('POST', `/v1/orgs/${org.id}/users/${userId}/reactivate`)).json.status).toBe(
      'active',
    );
    expect((await asAlice('GET', `/v1/orgs/${org.id}`)).status).toBe(200);

    const activity = (await asOwner('GET', `/v1/orgs/${org.id}/users/${userId}/activity`)).json
      .items as Audit[];
    expect(activity.map((r) => r.action)).toContain('api_key.created');
    const listed = (await asOwner('GET', `/v1/orgs/${org.id}/users`)).json.items as { id: string }[];
    expect(listed.map((u) => u.id)).toEqual([userId]);

    await asOwner('PATCH', `/v1/orgs/${org.id}`, { settings: { allowedEmailDomains: ['acme.test'] } });
    expect(
      (await asOwner('POST', `/v1/orgs/${org.id}/users`, { email: 'bob@elsewhere.test', name: 'Bob' }))
        .status,
    ).toBe(403);
    const bob = await asOwner('POST', `/v1/orgs/${org.id}/users`, { email: 'bob@acme.test', name: 'Bob' });
    expect(bob.json.role).toBe('member');
    expect((await asOwner('GET', `/v1/orgs/${org.id}/usage`)).json).toMatchObject({ usage: { users: 2 } });
  });

  it('builds a team hierarchy at most five deep, and grants below a team only to its maintainers', async () => {
    const { org, owner, viewer } = await orgWithKeys('teams');
    const asOwner = client(hub, owner.key);
    const ids: string[] = [];
    for (let depth = 1; depth <= 5; depth++) {
      const created = await asOwner('POST', `/v1/orgs/${org.id}/teams`, {
        name: `level ${depth}`,
        parentId: ids.at(-1),
      });
      expect(created.status).toBe(201);
      expect(created.json.depth).toBe(depth);
      ids.push(String(created.json.id));
    }
    const tooDeep = await asOwner('POST', `/v1/orgs/${org.id}/teams`, {
      name: 'level 6',
      parentId: ids.at(-1),
    });
    expect(tooDeep.status).toBe(400);
    expect(
      (
        await asOwner('POST', `/v1/orgs/${org.id}/teams`, {
          name: 'orphan',
          parentId: 'team_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
        })
      ).status,
    ).toBe(404);
    expect((await client(hub, viewer.key)('POST', `/v1/orgs/${org.id}/teams`, { name: 'x' })).status).toBe(
      403,
    );

    const ada = String(
      (await asOwner('POST', `/v1/orgs/${org.id}/users`, { email: 'ada@teams.test', name: 'Ada' })).json.id,
    );
    const bo = String(
      (await asOwner('POST', `/v1/orgs/${org.id}/users`, { email: 'bo@teams.test', name: 'Bo' })).json.id,
    );
    expect(
      (await asOwner('PUT', `/v1/orgs/${org.id}/teams/${ids[1]}/members/${ada}`, { role: 'maintainer' }))
        .status,
    ).toBe(200);
    expect(
      (await asOwner('PUT', `/v1/orgs/${org.id}/teams/${ids[1]}/members/${bo}`, { role: 'member' })).status,
    ).toBe(200);
    expect(
      (await asOwner('PUT', `/v1/orgs/${org.id}/teams/${ids[1]}/members/${bo}`, { role: 'king' })).status,
    ).toBe(400);
    expect(
      (
        await asOwner('PUT', `/v1/orgs/${org.id}/teams/${ids[1]}/members/usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2`, {
          role: 'member',
        })
      ).status,
    ).toBe(404);

    const adaTeams = (await asOwner('GET', `/v1/orgs/${org.id}/users/${ada}/teams`)).json.items as {
      teamId: string;
    }[];
    expect(adaTeams.map((t) => t.teamId).sort()).toEqual(ids.slice(1).sort());
    const boTeams = (await asOwner('GET', `/v1/orgs/${org.id}/users/${bo}/teams`)).json.items as {
      teamId: string;
    }[];
    expect(boTeams.map((t) => t.teamId)).toEqual([ids[1]]);
    const listed = (await client(hub, viewer.key)('GET', `/v1/orgs/${org.id}/teams`)).status;
    expect(listed).toBe(403);
    expect(((await asOwner('GET', `/v1/orgs/${org.id}/teams`)).json.items as unknown[]).length).toBe(5);
  });

  it('renames, moves and deletes teams, lists and removes members, and reports team analytics', async () => {
    const { org, owner, viewer } = await orgWithKeys('team-admin');
    const asOwner = client(hub, owner.key);
    const make = async (name: string, parentId?: string) =>
      String((await asOwner('POST', `/v1/orgs/${org.id}/teams`, { name, parentId })).json.id);
    const eng = await make('eng');
    const platform = await make('platform', eng);
    const storage = await make('storage', platform);
    const web = await make('web', eng);
    const teamPath = (id: string) => `/v1/orgs/${org.id}/teams/${id}`;

    const moved = await asOwner('PATCH', teamPath(platform), { parentId: web, name: 'platform-2' });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ parentId: web, depth: 3, name: 'platform-2' });
    const listed = (await asOwner('GET', `/v1/orgs/${org.id}/teams`)).json.items as {
      id: string;
      depth: number;
    }[];
    expect(listed.find((t) => t.id === storage)?.depth).toBe(4);
    const cycle = await asOwner('PATCH', teamPath(eng), { parentId: storage });
    expect(cycle.status).toBe(400);
    expect(cycle.headers.get('content-type')).toContain('application/problem+json');
    expect((await asOwner('PATCH', teamPath(eng), {})).status).toBe(400);

    const ada = String(
      (await asOwner('POST', `/v1/orgs/${org.id}/users`, { email: 'ada@ta.test', name: 'Ada' })).json.id,
    );
    const bo = String(
      (await asOwner('POST', `/v1/orgs/${org.id}/users`, { email: 'bo@ta.test', name: 'Bo' })).json.id,
    );
    await asOwner('PUT', `${teamPath(eng)}/members/${ada}`, { role: 'maintainer' });
    await asOwner('PUT', `${teamPath(storage)}/members/${bo}`, { role: 'member' });
    const members = (await asOwner('GET', `${teamPath(storage)}/members`)).json.items as {
      userId: string;
      via: string;
    }[];
    expect(members).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: bo, via: storage }),
        expect.objectContaining({ userId: ada, role: 'maintainer', via: eng }),
      ]),
    );

    // Bo acts (a dev token for Bo's user id), so the team shows activity today.
    const boToken = runCli(hub, [
      'token',
      'mint',
      '--sub',
      bo,
      '--org',
      org.id,
      '--role',
      'admin',
    ]).stdout.trim();
    expect((await client(hub, boToken)('PATCH', teamPath(web), { name: 'web-2' })).status).toBe(200);
    const analytics = await client(hub, viewer.key)('GET', `${teamPath(storage)}/analytics?days=7`);
    expect(analytics.status).toBe(403);
    const report = await asOwner('GET', `${teamPath(storage)}/analytics?days=7`);
    expect(report.status).toBe(200);
    expect(report.json.members).toEqual({ total: 2, maintainers: 1, direct: 1, inherited: 1, active: 1 });
    const days = report.json.activityByDay as { day: string; actions: number }[];
    expect(days).toHaveLength(7);
    expect(days.at(-1)).toEqual({ day: new Date().toISOString().slice(0, 10), actions: 1 });
    expect((await asOwner('GET', `${teamPath(storage)}/analytics?days=500`)).status).toBe(400);

    expect((await asOwner('DELETE', `${teamPath(storage)}/members/${bo}`)).status).toBe(204);
    expect((await asOwner('DELETE', `${teamPath(storage)}/members/${bo}`)).status).toBe(404);
    expect((await asOwner('GET', `/v1/orgs/${org.id}/users/${bo}/teams`)).json.items).toEqual([]);

    expect((await asOwner('DELETE', teamPath(eng))).status).toBe(409);
    expect((await asOwner('DELETE', teamPath(storage))).status).toBe(204);
    expect((await asOwner('GET', `${teamPath(storage)}/members`)).status).toBe(404);
    const usage = (await asOwner('GET', `/v1/orgs/${org.id}/usage`)).json as { usage: { teams: number } };
    expect(usage.usage.teams).toBe(3);
    const trail = (
      await asOwner('GET', `/v1/orgs/${org.id}/audit-events?targetType=team&targetId=${platform}`)
    ).json.items as Audit[];
    expect(trail.map((r) => r.action)).toEqual(['team.moved', 'team.created']);
  });

  it('lets auditors read a filtered trail that records denials and its own reads', async () => {
    const { org, viewer, auditor } = await orgWithKeys('audited');
    const denied = await client(hub, viewer.key)('GET', `/v1/orgs/${org.id}/audit-events`);
    expect(denied.status).toBe(403);

    const asAuditor = client(hub, auditor.key);
    const since = new Date(Date.now() - 60_000).toISOString();
    const denials = await asAuditor(
      'GET',
      `/v1/orgs/${org.id}/audit-events?outcome=denied&from=${encodeURIComponent(since)}`,
    );
    expect(denials.status).toBe(200);
    expect(denials.json.items).toEqual([
      expect.objectContaining({
        action: 'api.listAuditEvents',
        outcome: 'denied',
        actor: expect.objectContaining({ id: viewer.id }),
      }),
    ]);

    const created = await asAuditor(
      'GET',
      `/v1/orgs/${org.id}/audit-events?targetType=api_key&targetId=${viewer.id}`,
    );
    expect((created.json.items as Audit[]).map((r) => r.action)).toEqual(['api_key.created']);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await asAuditor('GET', `/v1/orgs/${org.id}/audit-events?from=${encodeURIComponent(future)}`);
    expect(none.json.items).toEqual([]);

    const reads = await asAuditor('GET', `/v1/orgs/${org.id}/audit-events?action=audit.read`);
    expect((reads.json.items as Audit[]).length).toBeGreaterThanOrEqual(4);

    expect((await asAuditor('GET', `/v1/orgs/${org.id}/audit-events?targetId=x`)).status).toBe(400);
    expect((await asAuditor('GET', `/v1/orgs/${org.id}/audit-events?outcome=maybe`)).status).toBe(400);
  });

  it("admits exactly the plan's number of connections under concurrency, and reports usage", async () => {
    const admin = client(hub);
    const org = (await admin('POST', '/v1/orgs', { name: 'Free', slug: 'free-plan', plan: 'free' })).json as {
      id: string;
    };
    const billing = String(
      (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'b', role: 'billing' })).json.key,
    );
    const owner = String(
      (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'o', role: 'owner' })).json.key,
    );
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client(hub, owner)('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: `c${i}` }),
      ),
    );
    const statuses = attempts.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
    expect(attempts.find((r) => r.status === 429)?.headers.get('content-type')).toBe(
      'application/problem+json',
    );

    const usage = await client(hub, billing)('GET', `/v1/orgs/${org.id}/usage`);
    expect(usage.status).toBe(200);
    expect(usage.json).toMatchObject({
      plan: 'free',
      limits: { connections: 3 },
      usage: { connections: 3, apiKeys: 2 },
    });
    expect((await client(hub, owner)('PATCH', `/v1/orgs/${org.id}`, { plan: 'enterprise' })).status).toBe(
      403,
    );
    expect((await admin('PATCH', `/v1/orgs/${org.id}`, { plan: 'team' })).json.plan).toBe('team');
  });

  it('admits exactly the per-minute API allowance of 200 concurrent requests, then answers 429 with Retry-After', async () => {
    const admin = client(hub);
    const org = (await admin('POST', '/v1/orgs', { name: 'Rate', slug: 'rate-plan', plan: 'free' })).json as {
      id: string;
    };
    const key = String(
      (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'r', role: 'viewer' })).json.key,
    );
    // Start early in a minute, so all 200 fall into one window.
    while (new Date().getUTCSeconds() > 40) await new Promise((r) => setTimeout(r, 1000));
    const results = await Promise.all(
      Array.from({ length: 200 }, () => client(hub, key)('GET', `/v1/orgs/${org.id}`)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(120);
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(80);
    expect(Number(refused[0]?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
