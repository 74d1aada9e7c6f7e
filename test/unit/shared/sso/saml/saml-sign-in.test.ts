import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIdpMetadata } from '../../../../../shared/sso/saml/idp-metadata';
import type {
  SamlAssertionLedger,
  SamlRequestCache,
  TakenSamlRequest,
} from '../../../../../shared/sso/saml/saml-caches';
import { SamlSignInRefusedError } from '../../../../../shared/sso/saml/saml-refusal';
import { makeSamlSignIn, samlServiceProviderFor } from '../../../../../shared/sso/saml/saml-sign-in';
import { bindableSubject } from '../../../../../shared/sso/subject-bindings';

const fixture = (name: string) => readFileSync(join(process.cwd(), 'test/fixtures/saml', name), 'utf8');
// samlify's published types pull the DOM library into the whole program, so it is loaded untyped.
interface Samlify {
  setSchemaValidator(v: { validate: () => Promise<string> }): void;
  IdentityProvider(o: object): {
    createLoginResponse(
      sp: unknown,
      info: object,
      binding: 'post',
      user: object,
    ): Promise<{ context: string }>;
    getMetadata(): string;
  };
  ServiceProvider(o: object): unknown;
  Constants: { namespace: { binding: { redirect: string; post: string } } };
}
let samlify: Samlify;
beforeAll(async () => {
  const name = 'samlify';
  samlify = (await import(name)) as Samlify;
  // The IdP's own schema check is not what these tests are about; the hub parses responses itself.
  samlify.setSchemaValidator({ validate: async () => 'skipped' });
});

const sp = samlServiceProviderFor('http://127.0.0.1:3000', 'sso_1');
const idpEntityId = 'http://idp.test/metadata';
const idp = (key: string, cert: string, nameIDFormat?: string) =>
  samlify.IdentityProvider({
    entityID: idpEntityId,
    ...(nameIDFormat ? { nameIDFormat: [nameIDFormat] } : {}),
    privateKey: fixture(key),
    signingCert: fixture(cert),
    singleSignOnService: [
      { Binding: samlify.Constants.namespace.binding.redirect, Location: 'http://idp.test/sso' },
    ],
  });
const spFor = (acs = sp.acsUrl, entityID = sp.spEntityId) =>
  samlify.ServiceProvider({
    entityID,
    wantAssertionsSigned: true,
    assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: acs }],
  });

function caches() {
  const pending = new Map<string, { used: boolean; browserHash: string }>();
  const seen = new Set<string>();
  const requests: SamlRequestCache = {
    remember: async (r) => void pending.set(r.requestId, { used: false, browserHash: r.browserHash }),
    take: async (_o, _c, id): Promise<TakenSamlRequest> => {
      const request = pending.get(id);
      if (!request) return { outcome: 'unknown' };
      if (request.used) return { outcome: 'reused' };
      request.used = true;
      return {
        outcome: 'taken',
        request: {
          orgId: 'org_1',
          connectionId: 'sso_1',
          requestId: id,
          browserHash: request.browserHash,
          expiresAt: new Date(),
        },
      };
    },
  };
  const assertions: SamlAssertionLedger = {
    claimOnce: async (_o, _c, id) => {
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    },
  };
  return { requests, assertions };
}

const connection = (allowIdpInitiated = false) => ({
  orgId: 'org_1',
  connectionId: 'sso_1',
  idpEntityId,
  ssoUrl: 'http://idp.test/sso',
  signingCertificates: [fixture('idp-cert.pem')],
  allowIdpInitiated,
});

async function respond(
  requestId: string | undefined,
  opts: { key?: string; cert?: string; acs?: string; audience?: string; nameIdFormat?: string } = {},
) {
  const i = idp(opts.key ?? 'idp-key.pem', opts.cert ?? 'idp-cert.pem', opts.nameIdFormat);
  const info = requestId ? { extract: { request: { id: requestId } } } : {};
  const { context } = await i.createLoginResponse(spFor(opts.acs, opts.audience), info, 'post', {
    email: 'ada@example.com',
  });
  return context as string;
}

/** What the browser sends back to the ACS: the cookie's name and value, without its attributes. */
const sent = (setCookie: string) => String(setCookie.split(';')[0]);

async function refusal(p: Promise<unknown>) {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return error instanceof SamlSignInRefusedError ? error.reason : error;
}

describe('SAML sign-in', () => {
  it('accepts a signed response to its own AuthnRequest, once', async () => {
    const signIn = makeSamlSignIn({ ...caches(), clock: { now: () => new Date() } });
    const { url, requestId, cookie } = await signIn.startSignIn(connection(), sp);
    expect(url.startsWith('http://idp.test/sso?SAMLRequest=')).toBe(true);
    const response = await respond(requestId);
    const identity = await signIn.verifyResponse(connection(), sp, response, sent(cookie));
    expect(identity.email).toBe('ada@example.com');
    expect(identity.idpInitiated).toBe(false);
    expect(identity.requestId).toBe(requestId);
    expect(await refusal(signIn.verifyResponse(connection(), sp, response, sent(cookie)))).toBe(
      'assertion_replayed',
    );
  });

  it('refuses a response signed by a certificate the connection does not trust', async () => {
    const signIn = makeSamlSignIn({ ...caches(), clock: { now: () => new Date() } });
    const { requestId } = await signIn.startSignIn(connection(), sp);
    const response = await respond(requestId, { key: 'other-key.pem', cert: 'other-cert.pem' });
    expect(await refusal(signIn.verifyResponse(connection(), sp, response))).toBe('certificate_untrusted');
  });

  it('refuses a response for another audience, another recipient, or that nobody asked for', async () => {
    const signIn = makeSamlSignIn({ ...caches(), clock: { now: () => new Date() } });
    const a = await signIn.startSignIn(connection(), sp);
    expect(
      await refusal(
        signIn.verifyResponse(
          connection(),
          sp,
          await respond(a.requestId, { audience: 'urn:other' }),
          sent(a.cookie),
        ),
      ),
    ).toBe('audience_mismatch');
    const b = await signIn.startSignIn(connection(), sp);
    expect(
      await refusal(
        signIn.verifyResponse(
          connection(),
          sp,
          await respond(b.requestId, { acs: 'http://evil.test/acs' }),
          sent(b.cookie),
        ),
      ),
    ).toBe('recipient_mismatch');
    expect(await refusal(signIn.verifyResponse(connection(), sp, await respond('_unknown')))).toBe(
      'request_unknown',
    );
    expect(await refusal(signIn.verifyResponse(connection(), sp, await respond(undefined)))).toBe(
      'unsolicited_not_allowed',
    );
  });

  it('binds an SP-initiated sign-in to the browser that started it (login CSRF)', async () => {
    const signIn = makeSamlSignIn({ ...caches(), clock: { now: () => new Date() } });
    const started = await signIn.startSignIn(connection(), sp);
    // HttpOnly, cross-site (the IdP posts from its own site), for the connection's ACS alone.
    expect(started.cookie).toMatch(/^hub-saml-[\w-]{16}=[\w-]{43}; /);
    expect(started.cookie).toContain('; Path=/sso/saml/sso_1/acs;');
    expect(started.cookie).toContain('; HttpOnly');
    expect(started.cookie).toContain('; SameSite=None');
    expect(started.cookie).not.toContain('Secure');
    const httpsSp = samlServiceProviderFor('https://hub.example.com', 'sso_1');
    expect((await signIn.startSignIn(connection(), httpsSp)).cookie).toMatch(/; SameSite=None; Secure$/);

    // No cookie: the attacker's response, forced on a victim's browser.
    const response = await respond(started.requestId);
    expect(await refusal(signIn.verifyResponse(connection(), sp, response))).toBe('browser_mismatch');
    // The request is spent by that attempt: not even the right browser can use it afterwards.
    expect(
      await refusal(
        signIn.verifyResponse(connection(), sp, await respond(started.requestId), sent(started.cookie)),
      ),
    ).toBe('request_reused');

    // Another sign-in's cookie (of the same name, another value) is no better than none.
    const other = await signIn.startSignIn(connection(), sp);
    const forged = `${sent(other.cookie).split('=')[0]}=${'A'.repeat(43)}`;
    expect(
      await refusal(signIn.verifyResponse(connection(), sp, await respond(other.requestId), forged)),
    ).toBe('browser_mismatch');
    // A cookie of another request of the same browser does not stand in for this one's.
    const third = await signIn.startSignIn(connection(), sp);
    expect(
      await refusal(
        signIn.verifyResponse(connection(), sp, await respond(third.requestId), sent(started.cookie)),
      ),
    ).toBe('browser_mismatch');
  });

  it('accepts an unsolicited response only when the connection allows it, once and fresh', async () => {
    const signIn = makeSamlSignIn({ ...caches(), clock: { now: () => new Date() } });
    const unsolicited = await respond(undefined);
    expect(await refusal(signIn.verifyResponse(connection(false), sp, unsolicited))).toBe(
      'unsolicited_not_allowed',
    );
    const identity = await signIn.verifyResponse(connection(true), sp, unsolicited);
    expect(identity).toMatchObject({ email: 'ada@example.com', idpInitiated: true });
    expect(identity.requestId).toBeUndefined();
    expect(await refusal(signIn.verifyResponse(connection(true), sp, unsolicited))).toBe(
      'assertion_replayed',
    );
    // Its audience and recipient are checked as any response's.
    expect(
      await refusal(
        signIn.verifyResponse(connection(true), sp, await respond(undefined, { audience: 'urn:x' })),
      ),
    ).toBe('audience_mismatch');
    expect(
      await refusal(
        signIn.verifyResponse(
          connection(true),
          sp,
          await respond(undefined, { acs: 'http://evil.test/acs' }),
        ),
      ),
    ).toBe('recipient_mismatch');
  });

  it('holds an unsolicited response to a shorter life than its NotOnOrAfter allows', async () => {
    // 4½ minutes on: the IdP's 5-minute NotOnOrAfter still holds, the unsolicited limit (2 + skew) does not.
    const later = makeSamlSignIn({ ...caches(), clock: { now: () => new Date(Date.now() + 270_000) } });
    expect(await refusal(later.verifyResponse(connection(true), sp, await respond(undefined)))).toBe(
      'assertion_expired',
    );
    const started = await later.startSignIn(connection(true), sp);
    const solicited = await later.verifyResponse(
      connection(true),
      sp,
      await respond(started.requestId),
      sent(started.cookie),
    );
    expect(solicited.idpInitiated).toBe(false);
  });

  it('hands over the NameID and its format: what a sign-in binds the user to (a transient one, nothing)', async () => {
    const signIn = makeSamlSignIn({ ...caches(), clock: { now: () => new Date() } });
    const persistent = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
    const a = await signIn.verifyResponse(
      connection(true),
      sp,
      await respond(undefined, { nameIdFormat: persistent }),
    );
    expect({ subject: a.subject, format: a.nameIdFormat }).toEqual({
      subject: 'ada@example.com',
      format: persistent,
    });
    expect(bindableSubject(a)).toBe('ada@example.com');
    const transient = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
    const b = await signIn.verifyResponse(
      connection(true),
      sp,
      await respond(undefined, { nameIdFormat: transient }),
    );
    expect(b.nameIdFormat).toBe(transient);
    expect(bindableSubject(b)).toBeNull();
  });

  it('refuses an expired response', async () => {
    const signIn = makeSamlSignIn({ ...caches(), clock: { now: () => new Date(Date.now() + 3_600_000) } });
    expect(await refusal(signIn.verifyResponse(connection(true), sp, await respond(undefined)))).toBe(
      'assertion_expired',
    );
  });

  it('reads IdP metadata and refuses a DTD', () => {
    const xml = idp('idp-key.pem', 'idp-cert.pem').getMetadata();
    const meta = parseIdpMetadata(xml);
    expect(meta.entityId).toBe(idpEntityId);
    expect(meta.ssoUrlRedirect).toBe('http://idp.test/sso');
    expect(meta.signingCertificates).toHaveLength(1);
    expect(() => parseIdpMetadata(`<!DOCTYPE x [<!ENTITY a "b">]>${xml}`)).toThrow(/document type/);
  });
});

describe('single-factor contexts a connection may not count as a second factor', () => {
  it('knows a password, PasswordProtectedTransport and unspecified, and lets MFA classes through', async () => {
    const { isSingleFactorContext } = await import('../../../../../shared/sso/saml/mfa-context');
    for (const v of [
      'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
      'urn:oasis:names:tc:SAML:2.0:ac:classes:Password',
      'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
      'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password',
    ]) {
      expect(isSingleFactorContext(v)).toBe(true);
    }
    for (const v of ['urn:okta:acme:mfa', 'http://schemas.microsoft.com/claims/multipleauthn']) {
      expect(isSingleFactorContext(v)).toBe(false);
    }
  });
});
