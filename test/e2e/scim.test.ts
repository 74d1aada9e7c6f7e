import type { RuntimeProcess } from '../support/runtime-process';
import { client, runCli, startRuntime } from '../support/runtime-process';

/**
 * The org's SCIM 2.0 service over HTTP, played as Okta and Microsoft Entra ID call it (their
 * documented request sequences): test connection, look up by userName, create, deprovision, groups
 * with members, Entra's `members[value eq "…"]` removal, uniqueness, ETags, and the boundaries:
 * SCIM tokens open /scim/v2 alone, and only theirs, and one org's token sees no other org.
 */

// biome-ignore lint/suspicious/noExplicitAny: the tests read the hub's JSON freely
type Json = Record<string, any>;

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let hub: RuntimeProcess;
let admin: ReturnType<typeof client>;
const suffix = Math.random().toString(36).slice(2, 8);

interface ScimOrg {
  id: string;
  ownerKey: string;
  token: string;
  tokenId: string;
  scim: (
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<{
    status: number;
    headers: Headers;
    json: Json;
    text: string;
  }>;
}

async function org(name: string): Promise<ScimOrg> {
  const created = (await admin('POST', '/v1/orgs', { name, slug: `${name}-${suffix}`, plan: 'enterprise' }))
    .json as Json;
  const ownerKey = String(
    (await admin('POST', `/v1/orgs/${created.id}/api-keys`, { name: 'owner', role: 'owner' })).json.key,
  );
  const issued = await client(hub, ownerKey)('POST', `/v1/orgs/${created.id}/scim-tokens`, { name: 'IdP' });
  expect(issued.status).toBe(201);
  const token = String(issued.json.token);
  const as = client(hub, token);
  return {
    id: String(created.id),
    ownerKey,
    token,
    tokenId: String(issued.json.id),
    // IdPs send application/scim+json (Okta) or application/json (Entra): the first here.
    scim: (method, path, body, headers = {}) =>
      as(method, `/scim/v2${path}`, body, {
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json; charset=utf-8' }),
        ...headers,
      }),
  };
}

const expectScimError = (
  res: { status: number; headers: Headers; json: Json },
  status: number,
  scimType?: string,
) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/scim+json');
  expect(res.json.schemas).toEqual([ERROR]);
  expect(res.json.status).toBe(String(status));
  if (scimType) expect(res.json.scimType).toBe(scimType);
};

/** The hub user behind a SCIM user, as the org's owner reads it through /v1. */
async function hubUserOf(org: ScimOrg, userId: string): Promise<Json | undefined> {
  const listed = await client(hub, org.ownerKey)('GET', `/v1/orgs/${org.id}/users?limit=100`);
  return ((listed.json as Json).items as Json[]).find((u) => u.id === userId);
}

const filter = (expression: string) => `filter=${encodeURIComponent(expression)}`;

let a: ScimOrg;
let b: ScimOrg;

beforeAll(async () => {
  hub = await startRuntime();
  admin = client(hub);
  [a, b] = await Promise.all([org('scim-a'), org('scim-b')]);
});
afterAll(async () => {
  await hub?.stop();
});

describe('SCIM tokens', () => {
  it('are shown once, listed masked, and audited', async () => {
    const owner = client(hub, a.ownerKey);
    const listed = await owner('GET', `/v1/orgs/${a.id}/scim-tokens`);
    expect(listed.status).toBe(200);
    expect(listed.json.items).toEqual([
      expect.objectContaining({
        id: a.tokenId,
        name: 'IdP',
        status: 'active',
        display: `hubscim_…${a.token.slice(-4)}`,
      }),
    ]);
    expect(listed.text).not.toContain(a.token);
    expect(listed.text).not.toContain('tokenHash');
    const trail = await owner('GET', `/v1/orgs/${a.id}/audit-events?action=scim_token.created`);
    expect((trail.json as Json).items).toEqual([expect.objectContaining({ action: 'scim_token.created' })]);
    expect(trail.text).not.toContain(a.token);
  });
});

describe('SCIM as Okta calls it', () => {
  let userId: string;
  const userName = `okta.user-${suffix}@scim-a.test`;

  it("answers Okta's test connection and discovery", async () => {
    const probe = await a.scim('GET', '/Users?startIndex=1&count=2');
    expect(probe.status).toBe(200);
    expect(probe.headers.get('content-type')).toBe('application/scim+json');
    expect(probe.json).toMatchObject({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0 });
    const config = await a.scim('GET', '/ServiceProviderConfig');
    expect(config.json).toMatchObject({
      patch: { supported: true },
      etag: { supported: true },
      bulk: { supported: false },
    });
    const types = await a.scim('GET', '/ResourceTypes');
    expect(types.json.Resources.map((r: Json) => r.name)).toEqual(['User', 'Group']);
    const schemas = await a.scim('GET', '/Schemas');
    expect(schemas.json.Resources.map((r: Json) => r.id)).toEqual([USER, ENTERPRISE, GROUP]);
    // Each by its id (RFC 7644 §4), a URN with its colons in the path included.
    const userType = await a.scim('GET', '/ResourceTypes/User');
    expect(userType.status).toBe(200);
    expect(userType.json).toMatchObject({ id: 'User', endpoint: '/Users', schema: USER });
    const userSchema = await a.scim('GET', `/Schemas/${USER}`);
    expect(userSchema.status).toBe(200);
    expect(userSchema.json).toMatchObject({ id: USER, name: 'User' });
    expect(userSchema.json.attributes.find((x: Json) => x.name === 'groups')).toMatchObject({
      mutability: 'readOnly',
    });
    expectScimError(await a.scim('GET', '/ResourceTypes/Device'), 404);
    expectScimError(await a.scim('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:Device'), 404);
  });

  it('looks the user up by userName, creates them, finds them, and refuses a duplicate with uniqueness', async () => {
    const lookup = await a.scim(
      'GET',
      `/Users?${filter(`userName eq "${userName}"`)}&startIndex=1&count=100`,
    );
    expect(lookup.json).toMatchObject({ totalResults: 0, Resources: [] });
    const body = {
      schemas: [USER],
      userName,
      name: { givenName: 'Okta', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Okta User',
      locale: 'en-US',
      externalId: '00u1okta',
      groups: [],
      password: 'never-kept-1!',
      active: true,
    };
    const created = await a.scim('POST', '/Users', body);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ schemas: [USER], userName, active: true, externalId: '00u1okta' });
    expect(created.text).not.toContain('never-kept');
    userId = String(created.json.id);
    expect(userId).toMatch(/^usr_/);
    expect(created.headers.get('etag')).toBe(created.json.meta.version);
    expect(created.headers.get('location')).toBe(created.json.meta.location);
    expect(created.json.meta.location).toMatch(new RegExp(`/scim/v2/Users/${userId}$`));

    // The hub user exists, in the org's default role.
    expect(await hubUserOf(a, userId)).toMatchObject({ email: userName, status: 'active', role: 'member' });

    // userName is case-insensitive, as RFC 7643 says.
    const found = await a.scim('GET', `/Users?${filter(`userName eq "${userName.toUpperCase()}"`)}`);
    expect(found.json).toMatchObject({ totalResults: 1, itemsPerPage: 1 });
    expect(found.json.Resources[0]).toMatchObject({ id: userId, userName });

    const again = await a.scim('POST', '/Users', { ...body, externalId: '00u2okta' });
    expectScimError(again, 409, 'uniqueness');
  });

  it('filters with a real parser: co, sw, pr, and, or, value paths; pages with integer totals; projects attributes', async () => {
    const second = await a.scim('POST', '/Users', {
      schemas: [USER],
      userName: `second-${suffix}@scim-a.test`,
      emails: [
        { value: `home-${suffix}@elsewhere.test`, type: 'home' },
        { value: `second-${suffix}@scim-a.test`, type: 'work' },
      ],
      title: 'Engineer',
    });
    expect(second.status).toBe(201);
    const count = async (expression: string) =>
      (await a.scim('GET', `/Users?${filter(expression)}`)).json.totalResults as number;
    expect(await count(`emails[type eq "work"].value co "scim-a.test"`)).toBe(2);
    expect(await count(`emails[type eq "home"].value co "elsewhere"`)).toBe(1);
    expect(await count(`userName sw "OKTA.USER-${suffix}"`)).toBe(1);
    expect(await count('title pr')).toBe(1);
    expect(await count(`title eq "Engineer" and userName sw "second"`)).toBe(1);
    expect(await count(`title eq "Engineer" or externalId eq "00u1okta"`)).toBe(2);
    const bad = await a.scim('GET', `/Users?${filter('userName eq')}`);
    expectScimError(bad, 400, 'invalidFilter');

    const page = await a.scim('GET', '/Users?startIndex=2&count=1&attributes=userName');
    expect(page.json).toMatchObject({ totalResults: 2, startIndex: 2, itemsPerPage: 1 });
    expect(Number.isInteger(page.json.totalResults)).toBe(true);
    expect(Object.keys(page.json.Resources[0]).sort()).toEqual(['id', 'meta', 'schemas', 'userName']);
    const excluded = await a.scim('GET', `/Users/${userId}?excludedAttributes=emails,name`);
    expect(excluded.json).toMatchObject({ id: userId, userName });
    expect(excluded.json.emails).toBeUndefined();
    expect(excluded.json.name).toBeUndefined();
  });

  it('refuses a change made against an old version (If-Match) with 412, and takes one made against the current', async () => {
    const current = await a.scim('GET', `/Users/${userId}`);
    const stale = await a.scim(
      'PATCH',
      `/Users/${userId}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Stale' }] },
      { 'if-match': 'W/"not-the-version"' },
    );
    expectScimError(stale, 412);
    const fresh = await a.scim(
      'PATCH',
      `/Users/${userId}`,
      {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', value: { title: 'Lead', 'name.givenName': 'Okta2' } }],
      },
      { 'if-match': String(current.headers.get('etag')) },
    );
    expect(fresh.status).toBe(200);
    expect(fresh.json).toMatchObject({ title: 'Lead', name: { givenName: 'Okta2', familyName: 'User' } });
    expect(fresh.json.meta.version).not.toBe(current.json.meta.version);
  });

  it("applies Okta's full PUT that changes the address: the hub user's email follows, and a taken one is 409", async () => {
    const renamed = `okta.renamed-${suffix}@scim-a.test`;
    const current = await a.scim('GET', `/Users/${userId}`);
    const put = await a.scim(
      'PUT',
      `/Users/${userId}`,
      {
        schemas: [USER],
        id: userId,
        userName: renamed,
        name: { givenName: 'Okta', familyName: 'Renamed' },
        emails: [{ primary: true, value: renamed, type: 'work' }],
        displayName: 'Okta Renamed',
        externalId: '00u1okta',
        groups: [],
        active: true,
      },
      { 'if-match': String(current.headers.get('etag')) },
    );
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ userName: renamed, emails: [{ value: renamed }], active: true });
    expect(await hubUserOf(a, userId)).toMatchObject({ email: renamed, name: 'Okta Renamed' });
    const byNew = await a.scim('GET', `/Users?${filter(`userName eq "${renamed}"`)}`);
    expect(byNew.json.Resources.map((r: Json) => r.id)).toEqual([userId]);
    expect((await a.scim('GET', `/Users?${filter(`userName eq "${userName}"`)}`)).json.totalResults).toBe(0);
    // The address another user holds is refused, and nothing of the PUT is kept.
    const clash = await a.scim('PUT', `/Users/${userId}`, {
      schemas: [USER],
      userName: renamed,
      displayName: 'Not kept',
      emails: [{ primary: true, value: `second-${suffix}@scim-a.test`, type: 'work' }],
    });
    expectScimError(clash, 409, 'uniqueness');
    expect(await hubUserOf(a, userId)).toMatchObject({ email: renamed, name: 'Okta Renamed' });
    const taken = await a.scim('PUT', `/Users/${userId}`, {
      schemas: [USER],
      userName: `SECOND-${suffix}@scim-a.test`,
      emails: [{ primary: true, value: renamed, type: 'work' }],
    });
    expectScimError(taken, 409, 'uniqueness');
  });

  it('gives no one the old pool account of an address SCIM moved: its password no longer signs anyone in', async () => {
    const PASSWORD = 'Correct-horse-battery-9';
    const old = `reuse-${suffix}@scim-a.test`;
    const userBody = (address: string, externalId: string) => ({
      schemas: [USER],
      userName: address,
      emails: [{ primary: true, value: address, type: 'work' }],
      displayName: 'Reused Address',
      externalId,
      active: true,
    });
    const login = (email: string) =>
      runCli(hub, ['login', '--email', email], undefined, { HUB_PASSWORD: PASSWORD });
    const userOf = (jwt: string) =>
      JSON.parse(Buffer.from(String(jwt.split('.')[1]), 'base64url').toString('utf8'))['custom:user_id'];

    const leaver = await a.scim('POST', '/Users', userBody(old, '00u1leaver'));
    expect(leaver.status).toBe(201);
    // An operator gave the leaver a password at the pool; it signs them in as themselves.
    const set = runCli(hub, ['pool', 'set-password', '--email', old, '--org', a.id], undefined, {
      HUB_PASSWORD: PASSWORD,
    });
    expect(set.stderr).toBe('');
    const first = login(old);
    expect(first.stderr).toBe('');
    expect(userOf(JSON.parse(first.stdout).idToken)).toBe(leaver.json.id);

    // The IdP moves the leaver to another address and gives the old one to a new starter.
    const moved = `reuse-moved-${suffix}@scim-a.test`;
    expect((await a.scim('PUT', `/Users/${leaver.json.id}`, userBody(moved, '00u1leaver'))).status).toBe(200);
    const starter = await a.scim('POST', '/Users', userBody(old, '00u2starter'));
    expect(starter.status).toBe(201);

    // The old account's password finds the starter by email, but the account is the leaver's: refused.
    const reused = login(old);
    expect(reused.stdout).toBe('');
    expect(reused.stderr).toMatch(/made for another hub user/);
    expect(reused.stderr).not.toContain(PASSWORD);
  });

  it("deprovisions with Okta's PATCH active false: the user's token is refused at once", async () => {
    const jwt = runCli(hub, [
      'token',
      'mint',
      '--sub',
      userId,
      '--org',
      a.id,
      '--role',
      'member',
    ]).stdout.trim();
    expect((await client(hub, jwt)('GET', `/v1/orgs/${a.id}`)).status).toBe(200);
    const off = await a.scim('PATCH', `/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(off.status).toBe(200);
    expect(off.json.active).toBe(false);
    const refused = await client(hub, jwt)('GET', `/v1/orgs/${a.id}`);
    expect(refused.status).toBe(403);
    expect(refused.json.detail).toBe('The user is deactivated');
    expect((await hubUserOf(a, userId))?.status).toBe('deactivated');
    const trail = await client(hub, a.ownerKey)(
      'GET',
      `/v1/orgs/${a.id}/audit-events?action=user.deactivated`,
    );
    expect((trail.json as Json).items[0]).toMatchObject({
      action: 'user.deactivated',
      channel: 'scim',
      actor: { type: 'api_key', id: a.tokenId },
      targets: [{ type: 'user', id: userId }],
    });
  });
});

describe('SCIM as Microsoft Entra ID calls it', () => {
  const upn = `entra.user-${suffix}@scim-a.test`;
  let userId: string;
  let otherId: string;
  let groupId: string;

  it('probes with a random userName, then creates the user with the enterprise extension', async () => {
    const probe = await a.scim(
      'GET',
      `/Users?${filter('userName eq "ed3b2a61-0f4c-4b52-9a4e-7d1f0c2b9e11"')}`,
    );
    expect(probe.json).toMatchObject({ schemas: [LIST], totalResults: 0, Resources: [] });
    const created = await a.scim('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: upn,
      active: true,
      emails: [{ primary: true, type: 'work', value: upn }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Entra User', familyName: 'User', givenName: 'Entra' },
      roles: [],
      [ENTERPRISE]: { department: 'Engineering', employeeNumber: '42' },
    });
    expect(created.status).toBe(201);
    expect(created.json.schemas).toEqual([USER, ENTERPRISE]);
    expect(created.json[ENTERPRISE]).toEqual({ department: 'Engineering', employeeNumber: '42' });
    userId = String(created.json.id);
    const other = await a.scim('POST', '/Users', {
      schemas: [USER],
      userName: `other-${suffix}@scim-a.test`,
    });
    otherId = String(other.json.id);
  });

  it("applies Entra's PATCH forms: capitalised ops, value filters, enterprise paths", async () => {
    const patched = await a.scim('PATCH', `/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'displayName', value: 'Entra U.' },
        { op: 'Add', path: 'emails[type eq "work"].value', value: upn },
        { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Platform' },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ displayName: 'Entra U.', [ENTERPRISE]: { department: 'Platform' } });
    const badPath = await a.scim('PATCH', `/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'nosuch', value: 'x' }],
    });
    expectScimError(badPath, 400, 'invalidPath');
  });

  it('creates a group with members: a hub team with them as its members', async () => {
    const created = await a.scim('POST', '/Groups', {
      schemas: [GROUP],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: `Entra Group ${suffix}`,
      members: [{ value: userId }],
    });
    expect(created.status).toBe(201);
    groupId = String(created.json.id);
    expect(groupId).toMatch(/^team_/);
    expect(created.json.externalId).toBe('8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159');
    expect(created.json.members).toEqual([expect.objectContaining({ value: userId, display: 'Entra U.' })]);
    const byExternalId = await a.scim(
      'GET',
      `/Groups?${filter('externalId eq "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"')}`,
    );
    expect(byExternalId.json.Resources.map((r: Json) => r.id)).toEqual([groupId]);
    const member = await a.scim('GET', `/Users/${userId}`);
    expect(member.json.groups).toEqual([
      {
        value: groupId,
        display: `Entra Group ${suffix}`,
        $ref: expect.stringMatching(`/scim/v2/Groups/${groupId}$`),
        type: 'direct',
      },
    ]);
    const members = await client(hub, a.ownerKey)('GET', `/v1/orgs/${a.id}/teams/${groupId}/members`);
    expect(members.json.items).toEqual([{ userId, role: 'member', via: groupId }]);
    const byName = await a.scim(
      'GET',
      `/Groups?${filter(`displayName eq "Entra Group ${suffix}"`)}&excludedAttributes=members`,
    );
    expect(byName.json.totalResults).toBe(1);
    expect(byName.json.Resources[0].members).toBeUndefined();
  });

  it('adds and removes members by PATCH, Entra\'s `members[value eq "…"]` removal included', async () => {
    const added = await a.scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Add', path: 'members', value: [{ value: otherId }] }],
    });
    expect(added.status).toBe(200);
    expect(added.json.members.map((m: Json) => m.value).sort()).toEqual([userId, otherId].sort());
    const removed = await a.scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Remove', path: `members[value eq "${userId}"]` }],
    });
    expect(removed.status).toBe(200);
    expect(removed.json.members.map((m: Json) => m.value)).toEqual([otherId]);
    // Okta's form: a remove with the members as its value.
    const oktaRemove = await a.scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: 'members', value: [{ value: otherId }] }],
    });
    expect(oktaRemove.json.members ?? []).toEqual([]);
    const members = await client(hub, a.ownerKey)('GET', `/v1/orgs/${a.id}/teams/${groupId}/members`);
    expect(members.json.items).toEqual([]);
    const trail = await client(hub, a.ownerKey)(
      'GET',
      `/v1/orgs/${a.id}/audit-events?action=team.member_removed`,
    );
    expect((trail.json as Json).items.length).toBeGreaterThanOrEqual(2);
    expect((trail.json as Json).items.every((r: Json) => r.channel === 'scim')).toBe(true);
    const unknown = await a.scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Add', path: 'members', value: [{ value: b.tokenId }] }],
    });
    expectScimError(unknown, 400, 'invalidValue');
  });

  it('deprovisions with Entra\'s `"False"`, and DELETE deactivates and forgets the user', async () => {
    const off = await a.scim('PATCH', `/Users/${otherId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(off.json.active).toBe(false);
    const deleted = await a.scim('DELETE', `/Users/${userId}`);
    expect(deleted.status).toBe(204);
    expectScimError(await a.scim('GET', `/Users/${userId}`), 404);
    expect((await hubUserOf(a, userId))?.status).toBe('deactivated');
    expect((await a.scim('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expectScimError(await a.scim('GET', `/Groups/${groupId}`), 404);
  });
});

describe('SCIM boundaries', () => {
  it('refuses a SCIM token on /v1, and an API key, a JWT or nothing on /scim/v2, in SCIM’s schema', async () => {
    const onApi = await client(hub, a.token)('GET', `/v1/orgs/${a.id}`);
    expect(onApi.status).toBe(401);
    expect(onApi.headers.get('content-type')).toContain('application/problem+json');
    expect(onApi.json.detail).toBe('A SCIM token is accepted only by the SCIM service at /scim/v2');

    const withKey = await client(hub, a.ownerKey)('GET', '/scim/v2/Users');
    expectScimError(withKey, 401);
    expect(withKey.json.detail).toContain('API key');
    expect(withKey.headers.get('www-authenticate')).toContain('Bearer');
    expectScimError(await client(hub, '')('GET', '/scim/v2/Users'), 401);
    expectScimError(await client(hub, `hubscim_${'A'.repeat(36)}`)('GET', '/scim/v2/Users'), 401);
    expectScimError(await a.scim('GET', '/Bulk'), 404);
    expectScimError(await a.scim('POST', '/Users', 'not json'), 400, 'invalidSyntax');
  });

  it("keeps each org to its own: another org's token sees none of this org's users or groups", async () => {
    const mine = await a.scim('GET', '/Users');
    expect(mine.json.totalResults).toBeGreaterThan(0);
    const theirs = await b.scim('GET', '/Users');
    expect(theirs.json).toMatchObject({ totalResults: 0, Resources: [] });
    const someone = String(mine.json.Resources[0].id);
    expectScimError(await b.scim('GET', `/Users/${someone}`), 404);
    expectScimError(
      await b.scim('PATCH', `/Users/${someone}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      }),
      404,
    );
    expectScimError(await b.scim('DELETE', `/Users/${someone}`), 404);
    const stillThere = await a.scim('GET', `/Users/${someone}`);
    expect(stillThere.status).toBe(200);
  });

  it('leaves owners to the hub, and is issued only by a caller holding what an admin holds', async () => {
    const owner = client(hub, b.ownerKey);
    const boss = `boss-${suffix}@b.example`;
    expect(
      (await owner('POST', `/v1/orgs/${b.id}/users`, { email: boss, name: 'Boss', role: 'owner' })).status,
    ).toBe(201);
    // Provisioning over an owner (and so deactivating them) is refused in SCIM's schema.
    expectScimError(
      await b.scim('POST', '/Users', {
        schemas: [USER],
        userName: boss,
        active: false,
        emails: [{ value: boss, type: 'work', primary: true }],
        name: { givenName: 'Boss', familyName: 'B' },
      }),
      403,
    );
    const users = (await owner('GET', `/v1/orgs/${b.id}/users?limit=100`)).json.items as Json[];
    expect(users.find((u) => u.email === boss)).toMatchObject({ role: 'owner', status: 'active' });

    const role = await owner('POST', `/v1/orgs/${b.id}/roles`, {
      name: 'SCIM only',
      permissions: ['org:read', 'scim_tokens:manage'],
    });
    expect(role.status).toBe(201);
    const narrow = await owner('POST', `/v1/orgs/${b.id}/api-keys`, {
      name: 'narrow',
      role: String(role.json.id),
    });
    const issued = await client(hub, String(narrow.json.key))('POST', `/v1/orgs/${b.id}/scim-tokens`, {
      name: 'x',
    });
    expect(issued.status).toBe(403);
  });

  it('refuses a revoked token from the next request on', async () => {
    const owner = client(hub, b.ownerKey);
    expect((await owner('DELETE', `/v1/orgs/${b.id}/scim-tokens/${b.tokenId}`)).status).toBe(204);
    expectScimError(await b.scim('GET', '/Users'), 401);
    const listed = await owner('GET', `/v1/orgs/${b.id}/scim-tokens`);
    expect((listed.json as Json).items[0]).toMatchObject({ id: b.tokenId, status: 'revoked' });
  });
});
