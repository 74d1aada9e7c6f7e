import { looksLikeApiKey } from '../../../../shared/identity/api-key-format';
import {
  generateScimToken,
  hashScimToken,
  isWellFormedScimToken,
} from '../../../../shared/identity/scim-token-format';
import { ifMatchAdmits, versionOf } from '../../../../shared/scim/etag';
import { parseFilter } from '../../../../shared/scim/filter';
import { applyPatch, canonicalPath, normalisePatch } from '../../../../shared/scim/patch';
import { parseListQuery, project } from '../../../../shared/scim/query';
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_ATTRIBUTES,
  PATCH_OP_SCHEMA,
  ScimUserInput,
  USER_ATTRIBUTES,
} from '../../../../shared/scim/schema';
import { parseScimBody } from '../../../../shared/scim/scim-body';
import { ScimError, scimErrorResponse } from '../../../../shared/scim/scim-error';
import { hubIdentityOf, userResource } from '../../../../shared/scim/user-resource';

const patchBody = (...Operations: unknown[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations });
const userOps = (body: unknown) => normalisePatch(body, USER_ATTRIBUTES, true);

const ada = {
  userName: 'ada@acme.test',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [
    { value: 'ada@home.test', type: 'home' },
    { value: 'ada@acme.test', type: 'work', primary: true },
  ],
  active: true,
};

function scimErrorOf(run: () => unknown): ScimError {
  try {
    run();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError');
}

describe('SCIM tokens', () => {
  it('are hubscim_ tokens with a checksum, never taken for an API key', () => {
    const token = generateScimToken();
    expect(token).toMatch(/^hubscim_[0-9A-Za-z]{36}$/);
    expect(isWellFormedScimToken(token)).toBe(true);
    expect(looksLikeApiKey(token)).toBe(false);
    const typo = token.slice(0, 12) + (token[12] === 'a' ? 'b' : 'a') + token.slice(13);
    expect(isWellFormedScimToken(typo)).toBe(false);
    expect(hashScimToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('SCIM filters', () => {
  const users = [
    { ...ada, id: 'usr_1', userName: 'Ada@Acme.test', externalId: 'E-1' },
    {
      id: 'usr_2',
      userName: 'bo@acme.test',
      externalId: 'e-2',
      emails: [{ value: 'bo@other.test', type: 'work' }],
    },
  ];
  const matching = (text: string) =>
    users.filter(parseFilter(text, ['userName', 'externalId', 'id']).test).map((u) => u.id);

  it('compares userName case-insensitively and externalId exactly', () => {
    expect(matching('userName eq "ADA@acme.TEST"')).toEqual(['usr_1']);
    expect(matching('externalId eq "E-2"')).toEqual([]);
    expect(matching('externalId eq "e-2"')).toEqual(['usr_2']);
  });

  it('supports co, sw, pr, and, or and complex value paths', () => {
    expect(matching('emails[type eq "work"].value co "@acme"')).toEqual(['usr_1']);
    expect(matching('userName sw "bo"')).toEqual(['usr_2']);
    expect(matching('name pr')).toEqual(['usr_1']);
    expect(matching('userName sw "ada" or userName sw "bo"')).toEqual(['usr_1', 'usr_2']);
    expect(matching('userName sw "ada" and emails[type eq "work"].value ew "other.test"')).toEqual([]);
  });

  it('names an indexed equality so a store need not read every user', () => {
    expect(parseFilter('userName eq "a@b.c"', ['userName', 'externalId']).lookup).toEqual({
      attribute: 'userName',
      value: 'a@b.c',
    });
    expect(parseFilter('active eq true and externalId eq "x"', ['userName', 'externalId']).lookup).toEqual({
      attribute: 'externalId',
      value: 'x',
    });
    expect(parseFilter('userName co "a"', ['userName']).lookup).toBeNull();
  });

  it('refuses an unparsable filter with 400 invalidFilter', () => {
    const error = scimErrorOf(() => parseFilter('userName eq', ['userName']));
    expect([error.status, error.scimType]).toEqual([400, 'invalidFilter']);
    expect(scimErrorOf(() => parseFilter('__proto__ pr', [])).scimType).toBe('invalidFilter');
  });
});

describe('SCIM PATCH', () => {
  const doc = () => ScimUserInput.parse(ada) as Record<string, unknown>;

  it("applies Okta's path-less deactivation", () => {
    const ops = userOps(patchBody({ op: 'replace', value: { active: false } }));
    expect(applyPatch(doc(), ops).active).toBe(false);
  });

  it("applies Entra's capitalised ops, string booleans and dotted path-less keys", () => {
    const ops = userOps(
      patchBody(
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Replace', value: { 'name.givenName': 'Augusta', displayName: 'Augusta Ada' } },
        { op: 'Add', path: `${ENTERPRISE_USER_SCHEMA}:department`, value: 'Maths' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'augusta@acme.test' },
      ),
    );
    const patched = applyPatch(doc(), ops);
    expect(patched.active).toBe(false);
    expect(patched.name).toEqual({ givenName: 'Augusta', familyName: 'Lovelace' });
    expect(patched.displayName).toBe('Augusta Ada');
    expect(patched[ENTERPRISE_USER_SCHEMA]).toEqual({ department: 'Maths' });
    expect((patched.emails as { value: string }[]).map((e) => e.value)).toEqual([
      'ada@home.test',
      'augusta@acme.test',
    ]);
  });

  it('refuses an unknown attribute path with 400 invalidPath, never a silent success', () => {
    for (const path of ['favouriteColour', 'name.nickname', 'emails[type eq "work"].colour']) {
      const error = scimErrorOf(() => userOps(patchBody({ op: 'replace', path, value: 'x' })));
      expect([error.status, error.scimType]).toEqual([400, 'invalidPath']);
    }
    const pathless = scimErrorOf(() => userOps(patchBody({ op: 'replace', value: { shoeSize: 9 } })));
    expect(pathless.scimType).toBe('invalidPath');
  });

  it('answers 400 noTarget when a value filter matches nothing', () => {
    const ops = userOps(patchBody({ op: 'replace', path: 'emails[type eq "fax"].value', value: 'x@y.z' }));
    const error = scimErrorOf(() => applyPatch(doc(), ops));
    expect([error.status, error.scimType]).toEqual([400, 'noTarget']);
  });

  it('removes group members by value filter (Okta) and by value list (Entra)', () => {
    const group = {
      displayName: 'Eng',
      members: [{ value: 'usr_1' }, { value: 'usr_2' }, { value: 'usr_3' }],
    };
    const okta = normalisePatch(
      patchBody(
        { op: 'remove', path: 'members[value eq "usr_1"]' },
        { op: 'add', path: 'members', value: [{ value: 'usr_4' }] },
      ),
      GROUP_ATTRIBUTES,
      false,
    );
    const entra = normalisePatch(
      patchBody({ op: 'Remove', path: 'members', value: [{ value: 'usr_2' }] }),
      GROUP_ATTRIBUTES,
      false,
    );
    const members = (g: Record<string, unknown>) => (g.members as { value: string }[]).map((m) => m.value);
    expect(members(applyPatch(group, okta))).toEqual(['usr_2', 'usr_3', 'usr_4']);
    expect(members(applyPatch(group, entra))).toEqual(['usr_1', 'usr_3']);
  });

  it('refuses prototype-polluting keys and paths with 400', () => {
    expect(scimErrorOf(() => parseScimBody('{"__proto__": {"admin": true}}')).status).toBe(400);
    expect(scimErrorOf(() => parseScimBody('{"a": [{"constructor": {"prototype": {}}}]}')).status).toBe(400);
    for (const path of ['__proto__.polluted', 'name.constructor', 'prototype']) {
      expect(scimErrorOf(() => userOps(patchBody({ op: 'add', path, value: 1 }))).status).toBe(400);
    }
    const pathless = scimErrorOf(() =>
      userOps(patchBody({ op: 'add', value: JSON.parse('{"__proto__": {"polluted": 1}}') })),
    );
    expect(pathless.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a body that is not a PatchOp', () => {
    expect(scimErrorOf(() => userOps({ Operations: [] })).scimType).toBe('invalidSyntax');
    expect(scimErrorOf(() => userOps(patchBody({ op: 'move', path: 'active' }))).scimType).toBe(
      'invalidSyntax',
    );
  });

  it('spells known paths as the schema does', () => {
    expect(canonicalPath('NAME.GIVENNAME', USER_ATTRIBUTES)).toBe('name.givenName');
  });
});

describe('SCIM resources, versions and errors', () => {
  const stored = {
    userId: 'usr_1',
    orgId: 'org_1',
    profile: ScimUserInput.parse(ada),
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };

  it("shows the hub user's status as active, and versions change with it", () => {
    const on = userResource(stored, { id: 'usr_1', status: 'active' }, 'https://hub/scim/v2');
    const off = userResource(stored, { id: 'usr_1', status: 'deactivated' }, 'https://hub/scim/v2');
    expect([on.active, off.active]).toEqual([true, false]);
    expect(on.meta.version).not.toBe(off.meta.version);
    expect(on.meta.version).toBe(versionOf(on));
  });

  it('admits If-Match only for the current version (weak or strong), or *', () => {
    const version = 'W/"abc"';
    expect(ifMatchAdmits(undefined, version)).toBe(true);
    expect(ifMatchAdmits('*', version)).toBe(true);
    expect(ifMatchAdmits('"abc"', version)).toBe(true);
    expect(ifMatchAdmits('W/"old", W/"abc"', version)).toBe(true);
    expect(ifMatchAdmits('W/"old"', version)).toBe(false);
  });

  it("takes the hub user's email from the primary email, else the userName", () => {
    expect(hubIdentityOf(ScimUserInput.parse(ada))).toEqual({ email: 'ada@acme.test', name: 'Ada Lovelace' });
    expect(hubIdentityOf(ScimUserInput.parse({ userName: 'Bo@Acme.test' })).email).toBe('bo@acme.test');
    expect(scimErrorOf(() => hubIdentityOf(ScimUserInput.parse({ userName: 'bo' }))).scimType).toBe(
      'invalidValue',
    );
  });

  it('answers errors in SCIM error schema, status a string, as application/scim+json', () => {
    const response = scimErrorResponse(new ScimError(409, 'userName taken', 'uniqueness'));
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toBe('application/scim+json');
    expect(JSON.parse(response.body)).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '409',
      scimType: 'uniqueness',
      detail: 'userName taken',
    });
  });

  it('pages with startIndex from 1, count capped at 200, and projects attributes', () => {
    expect(parseListQuery({ startIndex: '0', count: '5000' })).toMatchObject({ startIndex: 1, count: 200 });
    expect(scimErrorOf(() => parseListQuery({ count: 'ten' })).status).toBe(400);
    const group = {
      schemas: ['g'],
      id: 'team_1',
      displayName: 'Eng',
      members: [{ value: 'usr_1' }],
      meta: {},
    };
    expect(project(group, null, ['members'])).toEqual({
      schemas: ['g'],
      id: 'team_1',
      displayName: 'Eng',
      meta: {},
    });
    expect(
      project(userResource(stored, { id: 'usr_1', status: 'active' }, ''), ['emails.value'], []),
    ).toMatchObject({
      id: 'usr_1',
      emails: [{ value: 'ada@home.test' }, { value: 'ada@acme.test' }],
    });
  });
});
