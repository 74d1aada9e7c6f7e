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
const idp = (key: string, cert: string) =>
  samlify.IdentityProvider({
    entityID: idpEntityId,
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
  const pending = new Map<string, boolean>();
  const seen = new Set<string>();
  const requests: SamlRequestCache = {
    remember: async (r) => void pending.set(r.requestId, false),
    take: async (_o, _c, id): Promise<TakenSamlRequest> => {
      if (!pending.has(id)) return { outcome: 'unknown' };
      if (pending.get(id)) return { outcome: 'reused' };
      pending.set(id, true);
      return {
        outcome: 'taken',
        request: { orgId: 'org_1', connectionId: 'sso_1', requestId: id, expiresAt: new Date() },
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
  opts: { key?: string; cert?: string; acs?: string; audience?: string } = {},
) {
  const i = idp(opts.key ?? 'idp-key.pem', opts.cert ?? 'idp-cert.pem');
  const info = requestId ? { extract: { request: { id: requestId } } } : {};
  const { context } = await i.createLoginResponse(spFor(opts.acs, opts.audience), info, 'post', {
    email: 'ada@example.com',
  });
  return context as string;
}

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
    const { url, requestId } = await signIn.startSignIn(connection(), sp);
    expect(url.startsWith('http://idp.test/sso?SAMLRequest=')).toBe(true);
    const response = await respond(requestId);
    const identity = await signIn.verifyResponse(connection(), sp, response);
    expect(identity.email).toBe('ada@example.com');
    expect(identity.idpInitiated).toBe(false);
    expect(await refusal(signIn.verifyResponse(connection(), sp, response))).toBe('assertion_replayed');
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
        signIn.verifyResponse(connection(), sp, await respond(a.requestId, { audience: 'urn:other' })),
      ),
    ).toBe('audience_mismatch');
    const b = await signIn.startSignIn(connection(), sp);
    expect(
      await refusal(
        signIn.verifyResponse(connection(), sp, await respond(b.requestId, { acs: 'http://evil.test/acs' })),
      ),
    ).toBe('recipient_mismatch');
    expect(await refusal(signIn.verifyResponse(connection(), sp, await respond('_unknown')))).toBe(
      'request_unknown',
    );
    expect(await refusal(signIn.verifyResponse(connection(), sp, await respond(undefined)))).toBe(
      'unsolicited_not_allowed',
    );
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
