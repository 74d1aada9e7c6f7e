import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { Browser } from '../test/support/browser';
import { startOidcIdp } from '../test/support/oidc-idp';
import type { RuntimeProcess } from '../test/support/runtime-process';
import { client } from '../test/support/runtime-process';
import type { Summary } from './stats';
import { ms, summarise, timeSequential } from './stats';

const N = Number(process.env.BENCH_SSO_N ?? 100);
const WARMUP = 5;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/saml', name), 'utf8');
const SECRET = 'bench-sso-client-secret';

type Api = ReturnType<typeof client>;

/** An enterprise org (its request rate is not what is measured) with an owner key and a verified domain. */
async function verifiedOrg(hub: RuntimeProcess, slug: string, domain: string) {
  const admin = client(hub);
  const org = (await admin('POST', '/v1/orgs', { name: slug, slug, plan: 'enterprise' })).json as {
    id: string;
  };
  const key = String(
    (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'owner', role: 'owner' })).json.key,
  );
  const owner = client(hub, key);
  const added = (await owner('POST', `/v1/orgs/${org.id}/domains`, { domain })).json as {
    verificationRecord: { name: string; value: string };
  };
  // The local stand-in for DNS: the TXT record the org was asked to publish.
  await client(hub, '')('POST', '/_local/dns', {
    name: added.verificationRecord.name,
    txt: [added.verificationRecord.value],
  });
  const verified = await owner('POST', `/v1/orgs/${org.id}/domains/${domain}/verify`);
  if (verified.status !== 200) throw new Error(`domain not verified: ${verified.status} ${verified.text}`);
  return { id: org.id, owner };
}

/** `n` samples of what `fn` measures (it times its own part), after `warmup` untimed runs. */
async function sample(n: number, fn: () => Promise<number[]>, warmup = WARMUP): Promise<number[][]> {
  for (let i = 0; i < warmup; i++) await fn();
  const columns: number[][] = [];
  for (let i = 0; i < n; i++) {
    const parts = await fn();
    parts.forEach((v, c) => {
      columns[c] ??= [];
      columns[c]?.push(v);
    });
  }
  return columns;
}

async function sessionOf(res: Response, what: string): Promise<string> {
  const body = (await res.json()) as { idToken?: string; reason?: string };
  if (res.status !== 200 || !body.idToken)
    throw new Error(`${what} answered ${res.status}: ${body.reason ?? 'no session'}`);
  return body.idToken;
}

/**
 * SSO sign-in on one machine, against the local runtime: the hub verifying a real OpenID
 * Provider's answer (`oidc-provider` on loopback; the hub exchanges the code, checks state, nonce,
 * PKCE and the ID token) and a samlify IdP's freshly signed SAML response (signature, audience,
 * recipient, InResponseTo, replay), then having the local user pool issue the session through the
 * custom-auth triggers. Each sign-in is a returning user's (for OIDC, also a newcomer's, provisioned
 * just in time), in a browser of its own; the IdP's leg is done untimed before the hub's is timed
 * (and the whole OIDC round trip reported besides).
 * The baseline, in the same run: an authenticated `GET /v1/orgs/{orgId}`.
 */
export async function measureSso(
  hub: RuntimeProcess,
  report: (label: string, s: Summary) => void,
  lines: string[],
): Promise<void> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const idp = await startOidcIdp([
    { clientId: 'hub', clientSecret: SECRET, redirectUri: `${hub.url}/sso/oidc/callback` },
  ]);
  try {
    const oidcDomain = `oidc-${suffix}.bench.example`;
    const oidcOrg = await verifiedOrg(hub, `sso-bench-oidc-${suffix}`, oidcDomain);
    const made = await oidcOrg.owner('POST', `/v1/orgs/${oidcOrg.id}/sso-connections`, {
      protocol: 'oidc',
      name: 'Bench IdP',
      issuer: idp.issuer,
      clientId: 'hub',
      clientSecret: SECRET,
      defaultRole: 'member',
    });
    if (made.status !== 201) throw new Error(`OIDC connection: ${made.status} ${made.text}`);
    const startUrl = (address: string) => `${hub.url}/sso/start?email=${encodeURIComponent(address)}`;

    /** One OIDC sign-in as `email` in a fresh browser: [callback → session, /sso/start → session]. */
    const signIn = async (email: string): Promise<[number, number, string]> => {
      const browser = new Browser();
      const start = performance.now();
      let url = startUrl(email);
      // The browser's way to the IdP and back, up to the hub's callback (the IdP's leg).
      for (let hop = 0; !url.startsWith(`${hub.url}/sso/oidc/callback`); hop++) {
        if (hop > 12) throw new Error('the OIDC sign-in did not come back to the callback');
        const res = await browser.open(url);
        const location = res.headers.get('location');
        if (!location) throw new Error(`${url} answered ${res.status} without a redirect`);
        await res.body?.cancel();
        url = new URL(location, url).toString();
      }
      const arrived = performance.now();
      const idToken = await sessionOf(await browser.open(url), 'the OIDC callback');
      const done = performance.now();
      return [done - arrived, done - start, idToken];
    };

    const email = `ada@${oidcDomain}`;
    idp.signInAs({ sub: 'idp-ada', email, name: 'Ada Bench', groups: [] });
    let session = '';
    const [callback = [], roundTrip = []] = await sample(N, async () => {
      const [toSession, whole, idToken] = await signIn(email);
      session = idToken;
      return [toSession, whole];
    });
    const oidcCallback = summarise(callback);
    report('SSO OIDC: callback with code → hub session', oidcCallback);
    const oidcRoundTrip = summarise(roundTrip);
    report('SSO OIDC: /sso/start → IdP → hub session', oidcRoundTrip);
    // A first sign-in: the person is provisioned just in time (hub user, pool user, audit) as well.
    let newcomer = 0;
    const [firstCallback = []] = await sample(
      Math.max(1, Math.floor(N / 2)),
      async () => {
        const address = `new-${newcomer}@${oidcDomain}`;
        idp.signInAs({ sub: `idp-new-${newcomer++}`, email: address, name: 'New Bench', groups: [] });
        return (await signIn(address)).slice(0, 1) as number[];
      },
      1,
    );
    const oidcFirst = summarise(firstCallback);
    report('SSO OIDC: callback → session, first sign-in (JIT provisioning)', oidcFirst);

    // SAML: SP-initiated, HTTP-POST binding, each response signed fresh for its own AuthnRequest.
    const samlDomain = `saml-${suffix}.bench.example`;
    const samlOrg = await verifiedOrg(hub, `sso-bench-saml-${suffix}`, samlDomain);
    const name = 'samlify';
    // biome-ignore lint/suspicious/noExplicitAny: samlify is loaded untyped (its types need the DOM)
    const samlify: any = await import(name);
    samlify.setSchemaValidator({ validate: async () => 'skipped' });
    const samlIdp = samlify.IdentityProvider({
      entityID: `https://idp-${suffix}.saml.example`,
      privateKey: fixture('idp-key.pem'),
      signingCert: fixture('idp-cert.pem'),
      singleSignOnService: [
        {
          Binding: samlify.Constants.namespace.binding.redirect,
          Location: `https://idp-${suffix}.saml.example/sso`,
        },
      ],
    });
    const samlMade = await samlOrg.owner('POST', `/v1/orgs/${samlOrg.id}/sso-connections`, {
      protocol: 'saml',
      name: 'Bench SAML IdP',
      metadataXml: samlIdp.getMetadata(),
    });
    if (samlMade.status !== 201) throw new Error(`SAML connection: ${samlMade.status} ${samlMade.text}`);
    const sp = (samlMade.json as { saml: { serviceProvider: { entityId: string; acsUrl: string } } }).saml
      .serviceProvider;
    const serviceProvider = samlify.ServiceProvider({
      entityID: sp.entityId,
      wantAssertionsSigned: true,
      assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: sp.acsUrl }],
    });
    const samlEmail = `linus@${samlDomain}`;
    let samlSession = '';
    const [acs = []] = await sample(N, async () => {
      const start = await new Browser().open(startUrl(samlEmail));
      const location = start.headers.get('location');
      if (start.status !== 302 || !location) throw new Error(`SAML /sso/start answered ${start.status}`);
      const request = inflateRawSync(
        Buffer.from(String(new URL(location).searchParams.get('SAMLRequest')), 'base64'),
      ).toString();
      const requestId = /ID="([^"]+)"/.exec(request)?.[1];
      if (!requestId) throw new Error('no AuthnRequest ID');
      const response = (
        await samlIdp.createLoginResponse(
          serviceProvider,
          { extract: { request: { id: requestId } } },
          'post',
          { email: samlEmail },
        )
      ).context as string;
      const body = new URLSearchParams({ SAMLResponse: response, RelayState: '' }).toString();
      const posted = performance.now();
      const res = await fetch(sp.acsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      samlSession = await sessionOf(res, 'the SAML ACS');
      return [performance.now() - posted];
    });
    const samlAcs = summarise(acs);
    report('SSO SAML: POST signed response to ACS → hub session', samlAcs);

    // The baseline: an authenticated read on the same runtime, by API key and by the sessions issued.
    const read = (api: Api, orgId: string) => async () => {
      const res = await api('GET', `/v1/orgs/${orgId}`);
      if (res.status !== 200) throw new Error(`GET org answered ${res.status}: ${res.text}`);
    };
    const baseline = await timeSequential(N, read(oidcOrg.owner, oidcOrg.id));
    report('SSO baseline: GET /v1/orgs/{orgId}, API key', baseline);
    report(
      'SSO baseline: GET /v1/orgs/{orgId}, the OIDC session',
      await timeSequential(N, read(client(hub, session), oidcOrg.id)),
    );
    report(
      'SSO baseline: GET /v1/orgs/{orgId}, the SAML session',
      await timeSequential(N, read(client(hub, samlSession), samlOrg.id)),
    );
    const ratio = (s: Summary) =>
      `p50 ${ms(s.p50)}, p99 ${ms(s.p99)} — ${(s.p50 / baseline.p50).toFixed(1)}× the p50 of GET /v1/orgs/{orgId} (${ms(baseline.p50)})`;
    lines.push(
      `OIDC sign-in, callback → session: ${ratio(oidcCallback)}`,
      `OIDC sign-in, whole round trip from /sso/start: ${ratio(oidcRoundTrip)}`,
      `OIDC first sign-in (provisioned just in time), callback → session: ${ratio(oidcFirst)}`,
      `SAML sign-in, ACS POST → session: ${ratio(samlAcs)}`,
      `${N} sign-ins of each kind (after ${WARMUP} untimed), each in a fresh browser, one returning user each; ${Math.max(1, Math.floor(N / 2))} first sign-ins of new people`,
    );
  } finally {
    await idp.stop();
  }
}
