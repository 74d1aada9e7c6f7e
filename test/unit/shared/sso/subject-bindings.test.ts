import type { AuditRecord } from '../../../../shared/audit/audit-record';
import { NotFoundError } from '../../../../shared/errors';
import type { Principal } from '../../../../shared/identity/principal';
import type { CompleteSignInDeps, SsoIdentity } from '../../../../shared/sso/complete-sign-in';
import { makeCompleteSignIn } from '../../../../shared/sso/complete-sign-in';
import type { SsoConnection } from '../../../../shared/sso/connections';
import { SignInRefusedError } from '../../../../shared/sso/sign-in-failures';
import type { SubjectBinding, SubjectBindingStore } from '../../../../shared/sso/subject-bindings';
import { makeSubjectBindings, subjectHashOf } from '../../../../shared/sso/subject-bindings';
import type { User } from '../../../../shared/tenancy/user';

const ORG = 'org_01M8F79MGRCMY1JDM07R52VC06';
const connection: SsoConnection = {
  id: 'sso_01M8F79MGRCMY1JDM07R52VC06',
  orgId: ORG,
  protocol: 'oidc',
  name: 'Corp IdP',
  enabled: true,
  defaultRole: 'member',
  groupMappings: [],
  configuredByRole: 'owner',
  saml: null,
  oidc: { issuer: 'https://idp.example', clientId: 'hub', scopes: ['openid'], groupsClaim: 'groups' },
  encryptedSecret: 'sealed',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const request = { requestId: 'req-1', ip: '127.0.0.1', userAgent: 'test' };
const admin: Principal = {
  kind: 'org_member',
  type: 'api_key',
  id: 'key_1',
  name: 'admin',
  orgId: ORG,
  role: 'admin',
} as unknown as Principal;

/** Subject bindings as the DynamoDB store keeps them: one subject per user, one user per subject. */
function memoryBindings() {
  const bySubject = new Map<string, SubjectBinding>();
  const byUser = new Map<string, SubjectBinding>();
  const audits: AuditRecord[] = [];
  const store: SubjectBindingStore = {
    bySubject: async (_o, c, h) => bySubject.get(`${c}#${h}`) ?? null,
    ofUser: async (_o, c, u) => byUser.get(`${c}#${u}`) ?? null,
    bind: async (b, audit) => {
      if (bySubject.has(`${b.connectionId}#${b.subjectHash}`) || byUser.has(`${b.connectionId}#${b.userId}`))
        return false;
      bySubject.set(`${b.connectionId}#${b.subjectHash}`, b);
      byUser.set(`${b.connectionId}#${b.userId}`, b);
      audits.push(audit);
      return true;
    },
    unbind: async (_o, c, u, audit) => {
      const b = byUser.get(`${c}#${u}`);
      if (!b) return false;
      byUser.delete(`${c}#${u}`);
      bySubject.delete(`${c}#${b.subjectHash}`);
      audits.push(audit);
      return true;
    },
    forgetConnection: async (_o, c) => {
      for (const [k, b] of byUser) if (b.connectionId === c) byUser.delete(k);
      for (const [k, b] of bySubject) if (b.connectionId === c) bySubject.delete(k);
    },
  };
  return { store, byUser, audits };
}

function world() {
  const users = new Map<string, User>();
  const bindings = memoryBindings();
  const failures: string[] = [];
  const issued: string[] = [];
  let n = 0;
  const deps: CompleteSignInDeps = {
    orgs: {
      get: async () =>
        ({ id: ORG, status: 'active', plan: 'enterprise', settings: { mfaRequired: false } }) as never,
    },
    domains: { orgOf: async (d) => (d === 'corp.example' ? ORG : null) },
    users: {
      get: async (_o, id) => users.get(id) ?? null,
      findByEmail: async (_o, email) => [...users.values()].find((u) => u.email === email) ?? null,
      create: async (user) => void users.set(user.id, user),
      setRole: async (user) => void users.set(user.id, user),
    },
    teams: { membershipsOf: async () => [], putMember: async () => undefined, get: async () => null },
    access: { get: async () => ({ value: {} }) as never },
    sessions: {
      issue: async (s) => {
        issued.push(s.userId);
        return {
          idToken: `id-${++n}`,
          accessToken: 'a',
          refreshToken: null,
          expiresIn: 3600,
          tokenType: 'Bearer',
        };
      },
    },
    subjects: bindings.store,
    failures: { record: async (_o, f) => void failures.push(f.reason), list: async () => [] },
    audit: { append: async () => undefined },
    clock: { now: () => new Date('2026-06-01T12:00:00Z') },
  };
  const userByEmail = (email: string) => [...users.values()].find((u) => u.email === email);
  return { deps, users, bindings, failures, issued, userByEmail, complete: makeCompleteSignIn(deps) };
}

const as = (subject: string, email: string, extra: Partial<SsoIdentity> = {}): SsoIdentity => ({
  subject,
  email,
  groups: [],
  mfa: false,
  ...extra,
});

async function reasonOf(p: Promise<unknown>) {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return error instanceof SignInRefusedError ? error.reason : error;
}

describe('subject binding per SSO connection', () => {
  it("binds the IdP's subject to the user at their first sign-in, and signs them in with it afterwards", async () => {
    const w = world();
    await w.complete(connection, as('idp-ada', 'ada@corp.example'), request);
    const ada = w.userByEmail('ada@corp.example');
    expect(w.bindings.byUser.get(`${connection.id}#${ada?.id}`)).toMatchObject({
      userId: ada?.id,
      subjectHash: subjectHashOf('idp-ada'),
    });
    expect(w.bindings.audits.map((a) => a.action)).toEqual(['sso_subject.bound']);
    // The audit record names the user and never the IdP's subject.
    expect(JSON.stringify(w.bindings.audits)).not.toContain('idp-ada');
    await w.complete(connection, as('idp-ada', 'ada@corp.example'), request);
    expect(w.issued).toEqual([ada?.id, ada?.id]);
    expect(w.bindings.audits).toHaveLength(1);
  });

  it("refuses another subject with a bound user's email (an IdP asserting someone else's address)", async () => {
    const w = world();
    await w.complete(connection, as('idp-ada', 'ada@corp.example'), request);
    expect(await reasonOf(w.complete(connection, as('idp-mallory', 'ada@corp.example'), request))).toBe(
      'subject_mismatch',
    );
    expect(w.failures).toEqual(['subject_mismatch']);
    expect(w.issued).toHaveLength(1);
  });

  it('refuses a bound subject that now comes with another email, and provisions no one for it', async () => {
    const w = world();
    await w.complete(connection, as('idp-ada', 'ada@corp.example'), request);
    await w.complete(connection, as('idp-bob', 'bob@corp.example'), request);
    // Ada's IdP account now says bob's address: not bob.
    expect(await reasonOf(w.complete(connection, as('idp-ada', 'bob@corp.example'), request))).toBe(
      'subject_bound_to_other_user',
    );
    // Nor a new address of the domain: no second user for one person.
    expect(await reasonOf(w.complete(connection, as('idp-ada', 'ada.l@corp.example'), request))).toBe(
      'subject_bound_to_other_user',
    );
    expect(w.userByEmail('ada.l@corp.example')).toBeUndefined();
    expect(w.issued).toHaveLength(2);
  });

  it('lets an admin reset a binding: the next sign-in binds afresh (audited)', async () => {
    const w = world();
    await w.complete(connection, as('idp-ada', 'ada@corp.example'), request);
    const ada = w.userByEmail('ada@corp.example') as User;
    const subjects = makeSubjectBindings({ store: w.bindings.store, clock: w.deps.clock });
    await subjects.reset(ORG, connection.id, ada.id, admin, request);
    expect(w.bindings.audits.at(-1)).toMatchObject({
      action: 'sso_subject.unbound',
      actor: { id: 'key_1' },
      targets: [
        { type: 'sso_connection', id: connection.id },
        { type: 'user', id: ada.id },
      ],
    });
    await expect(subjects.reset(ORG, connection.id, ada.id, admin, request)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await w.complete(connection, as('idp-ada-new', 'ada@corp.example'), request);
    expect(w.bindings.byUser.get(`${connection.id}#${ada.id}`)?.subjectHash).toBe(
      subjectHashOf('idp-ada-new'),
    );
    expect(await reasonOf(w.complete(connection, as('idp-ada', 'ada@corp.example'), request))).toBe(
      'subject_mismatch',
    );
  });

  it('binds per connection: another connection of the org binds its own subject', async () => {
    const w = world();
    await w.complete(connection, as('idp-ada', 'ada@corp.example'), request);
    const other = { ...connection, id: 'sso_01M8F79P3R3K1638C8KPHEN332' };
    await w.complete(other, as('okta-00u1', 'ada@corp.example'), request);
    expect(w.issued).toHaveLength(2);
  });

  it('drops the binding of a user who is gone, so a new user of that address can sign in', async () => {
    const w = world();
    await w.complete(connection, as('idp-ada', 'ada@corp.example'), request);
    const ada = w.userByEmail('ada@corp.example') as User;
    w.users.delete(ada.id);
    await w.complete(connection, as('idp-ada', 'ada@corp.example'), request);
    const again = w.userByEmail('ada@corp.example') as User;
    expect(again.id).not.toBe(ada.id);
    expect(w.bindings.byUser.get(`${connection.id}#${again.id}`)).toBeDefined();
    expect(w.bindings.byUser.get(`${connection.id}#${ada.id}`)).toBeUndefined();
  });

  it('binds nothing to a transient SAML NameID (it names one session only)', async () => {
    const w = world();
    const transient = { nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' };
    const saml = { ...connection, protocol: 'saml' as const };
    await w.complete(saml, as('_t1', 'ada@corp.example', transient), request);
    await w.complete(saml, as('_t2', 'ada@corp.example', transient), request);
    expect(w.issued).toHaveLength(2);
    expect(w.bindings.byUser.size).toBe(0);
    // A persistent one binds.
    const persistent = { nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' };
    await w.complete(saml, as('p-ada', 'ada@corp.example', persistent), request);
    expect(w.bindings.byUser.size).toBe(1);
  });

  it('refuses when a sign-in side by side bound the subject to another user first', async () => {
    const w = world();
    await w.complete(connection, as('idp-bob', 'bob@corp.example'), request);
    const bob = w.userByEmail('bob@corp.example') as User;
    // The race: this sign-in read no binding, then another bound the subject to bob before it wrote.
    const store = { ...w.bindings.store };
    let first = true;
    const racing: SubjectBindingStore = {
      ...store,
      bySubject: async (o, c, h) => {
        if (first) {
          first = false;
          return null;
        }
        return store.bySubject(o, c, h);
      },
    };
    await store.unbind(ORG, connection.id, bob.id, {} as AuditRecord);
    await store.bind(
      {
        orgId: ORG,
        connectionId: connection.id,
        userId: bob.id,
        subjectHash: subjectHashOf('idp-x'),
        boundAt: '',
      },
      {} as AuditRecord,
    );
    const complete = makeCompleteSignIn({ ...w.deps, subjects: racing });
    expect(await reasonOf(complete(connection, as('idp-x', 'ada@corp.example'), request))).toBe(
      'subject_bound_to_other_user',
    );
    expect(w.issued).toEqual([bob.id]);
  });
});
