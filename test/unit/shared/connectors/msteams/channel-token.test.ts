import { makeTeamsApp } from '../../../../../shared/connectors/msteams/app';
import { makeChannelTokenVerifier } from '../../../../../shared/connectors/msteams/channel-token';
import { UnauthenticatedError } from '../../../../../shared/errors';
import type { FakeIssuer } from '../../../../fakes/msteams/issuer';
import { makeFakeIssuer } from '../../../../fakes/msteams/issuer';
import { eventsRequest, teamsDeps } from './harness';

const appId = 'fake-teams-app-id';
const origin = 'https://issuer.test';
const serviceUrl = 'https://smba.trafficmanager.net/amer/';
let issuer: FakeIssuer;
/** The issuer's metadata and keys served without a socket: the verifier fetches both through this. */
const fetched: string[] = [];
const issuerFetch = (async (input: string | URL) => {
  const url = String(input);
  fetched.push(url);
  if (url === `${origin}/v1/.well-known/openidconfiguration`) return Response.json(issuer.metadata(origin));
  if (url === `${origin}/v1/.well-known/keys`) return Response.json(issuer.jwks());
  return new Response('not found', { status: 404 });
}) as typeof fetch;
const settings = {
  appId,
  clientSecret: 'secret',
  openIdMetadataUrl: `${origin}/v1/.well-known/openidconfiguration`,
  tokenUrl: `${origin}/token`,
};

beforeAll(async () => {
  issuer = await makeFakeIssuer(appId);
});
beforeEach(() => {
  fetched.length = 0;
});

const activity = {
  type: 'message',
  id: 'act-1',
  channelId: 'msteams',
  serviceUrl,
  from: { id: '29:person', aadObjectId: '6f1c2d3e-0000-4000-8000-00000000a001' },
  recipient: { id: `28:${appId}` },
  conversation: { id: '19:general@thread.tacv2', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
  channelData: { tenant: { id: '72f988bf-86f1-41af-91ab-2d7cd011db47' } },
  text: 'status WEB-12',
};

async function answerTo(token: string | undefined, body = JSON.stringify(activity)) {
  const h = teamsDeps(settings, issuerFetch);
  const app = makeTeamsApp(h.deps);
  const reply = await app.handle(
    eventsRequest({ headers: token ? { Authorization: `Bearer ${token}` } : {}, body }),
  );
  return { reply, looked: h.looked };
}

describe('the Teams messaging endpoint verifies the Bot Framework token before reading the activity', () => {
  it('accepts a token signed by the channel for this bot and this service URL', async () => {
    const { reply, looked } = await answerTo(await issuer.sign({ serviceUrl }));
    expect(reply.status).toBe(200);
    // Read, and looked up: the tenant is not bound, so nothing is queued.
    expect(looked).toEqual(['msteams|72f988bf-86f1-41af-91ab-2d7cd011db47']);
  });

  it.each([
    ['made for another bot (audience)', { audience: 'another-bot' }],
    ['from another issuer', { issuer: 'https://sts.windows.net/evil/' }],
    ['expired beyond the 5-minute skew', { expiresIn: -301 }],
    ['not yet valid beyond the 5-minute skew', { notBefore: 301 }],
    ['naming a key the JWKS does not hold', { kid: 'unknown-kid' }],
    ['signed with another key under a published key id', { foreignKey: true }],
  ])('refuses a token %s with 401, reading nothing', async (_, wrong) => {
    const { reply, looked } = await answerTo(await issuer.sign({ serviceUrl, ...wrong }), 'not even JSON');
    expect(reply.status).toBe(401);
    expect(reply.work ?? []).toEqual([]);
    expect(looked).toEqual([]);
  });

  it('refuses an activity whose serviceUrl is not the one its token vouches for', async () => {
    const token = await issuer.sign({ serviceUrl: 'https://smba.trafficmanager.net/emea/' });
    const { reply, looked } = await answerTo(token);
    expect(reply.status).toBe(401);
    expect(reply.work ?? []).toEqual([]);
    expect(looked).toEqual([]);
  });

  it('refuses an activity without an Authorization header, or with another scheme', async () => {
    for (const header of [undefined, 'Basic Zm9vOmJhcg==']) {
      const h = teamsDeps(settings, issuerFetch);
      const reply = await makeTeamsApp(h.deps).handle(
        eventsRequest({ headers: header ? { authorization: header } : {}, body: JSON.stringify(activity) }),
      );
      expect(reply.status).toBe(401);
      expect(h.looked).toEqual([]);
    }
    expect(fetched).toEqual([]);
  });

  it('accepts tokens 5 minutes past their expiry (the channel’s skew) and no later', async () => {
    expect((await answerTo(await issuer.sign({ serviceUrl, expiresIn: -240 }))).reply.status).toBe(200);
  });
});

describe('the signing keys', () => {
  const verifierAt = (now: { t: number }) =>
    makeChannelTokenVerifier({
      fetch: issuerFetch,
      clock: { now: () => new Date(now.t) },
      metadataUrl: settings.openIdMetadataUrl,
      appId,
      cacheMs: 60_000,
      cooldownMs: 30_000,
    });
  const keyFetches = () => fetched.filter((u) => u.endsWith('/keys')).length;

  it('are cached for a bounded time, then fetched again', async () => {
    const now = { t: Date.now() };
    const verify = verifierAt(now);
    const token = `Bearer ${await issuer.sign({ serviceUrl })}`;
    await verify(token);
    await verify(token);
    expect(keyFetches()).toBe(1);
    now.t += 61_000;
    await verify(token);
    expect(keyFetches()).toBe(2);
  });

  it('are fetched again for an unknown key id (a rotation), at most once per cooldown', async () => {
    const now = { t: Date.now() };
    const verify = verifierAt(now);
    await verify(`Bearer ${await issuer.sign({ serviceUrl })}`);
    const stranger = `Bearer ${await issuer.sign({ serviceUrl, kid: 'never-published' })}`;
    await expect(verify(stranger)).rejects.toThrow(UnauthenticatedError);
    await expect(verify(stranger)).rejects.toThrow(UnauthenticatedError);
    expect(keyFetches()).toBe(2);
    await issuer.rotate();
    now.t += 31_000;
    const rotated = await verify(`Bearer ${await issuer.sign({ serviceUrl })}`);
    expect(rotated.serviceUrl).toBe(serviceUrl);
    expect(keyFetches()).toBe(3);
  });
});
