import { DynamoDbConnectionStore } from '../../shared/adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import type { RequestContext } from '../../shared/audit/audit-record';
import { makeCreateConnection } from '../../shared/connectors/create-connection';
import {
  makeSetConnectionCredentials,
  makeUpdateConnection,
} from '../../shared/connectors/manage-connections';
import type { Identity, WorkItemConnector } from '../../shared/connectors/work-items';
import { PROVIDERS } from '../../shared/providers';
import { makeSyncProviders } from '../../shared/sync/providers';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { platformAdmin } from '../support/api-events';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

/**
 * The hub's identity on a connection, recorded by the sync worker on the connection's webhook
 * route (which the endpoint reads anyway), for the credentials it was learnt with alone.
 */
let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

const request: RequestContext = { requestId: 'req-id', ip: '127.0.0.1', userAgent: 'jest' };
const clock = { now: () => new Date() };
const cipher = { encrypt: async (p: string) => `enc:${p}`, decrypt: async (c: string) => c.slice(4) };

async function aJiraConnection(slug: string) {
  const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
  const connections = new DynamoDbConnectionStore(aws.docs, aws.tables);
  const org = await makeCreateOrg({ orgs, clock })({ name: slug, slug }, platformAdmin, request);
  const { connection: con } = await makeCreateConnection({
    orgs,
    connections,
    cipher,
    clock,
    providers: PROVIDERS,
  })(
    org.id,
    { provider: 'jira', name: 'Jira', config: { baseUrl: 'https://acme.atlassian.net' } },
    platformAdmin,
    request,
  );
  const setCredentials = (apiToken: string) =>
    makeSetConnectionCredentials({ connections, cipher, clock, providers: PROVIDERS })(
      org.id,
      con.id,
      { kind: 'jira_api_token', email: 'bot@acme.test', apiToken },
      platformAdmin,
      request,
    );
  await setCredentials('first');
  // A sync part whose client says who the hub is, as Jira's `myself` would.
  let actor = 'acct-bot-1';
  const identities: Identity[] = [];
  const connector = {
    ...PROVIDERS.syncConnectors.jira,
    open: () => ({
      identity: async () => {
        const identity = { actor, creator: actor };
        identities.push(identity);
        return identity;
      },
    }),
  } as unknown as WorkItemConnector;
  const providers = () =>
    makeSyncProviders({ connections, cipher, connectors: { jira: connector } as never });
  const route = () => connections.findWebhookRoute(con.id);
  return {
    orgId: org.id,
    con,
    connections,
    setCredentials,
    providers,
    route,
    actAs: (a: string) => {
      actor = a;
    },
  };
}

describe("the hub's identity on a connection's webhook route", () => {
  it('is recorded once the sync worker learns it, and cleared when the credentials change', async () => {
    const c = await aJiraConnection('identity-creds');
    expect((await c.route())?.hubActor).toBeUndefined();
    await c.providers().identity(c.orgId, c.con.id, 'tracker');
    expect((await c.route())?.hubActor).toBe('acct-bot-1');

    await c.setCredentials('second');
    expect((await c.route())?.hubActor).toBeUndefined();
    // The route itself is intact: the endpoint still takes deliveries.
    expect(await c.route()).toMatchObject({ orgId: c.orgId, status: 'active', provider: 'jira' });

    c.actAs('acct-bot-2');
    await c.providers().identity(c.orgId, c.con.id, 'tracker');
    expect((await c.route())?.hubActor).toBe('acct-bot-2');
  });

  it('is cleared when the base URL changes (the credentials go with it)', async () => {
    const c = await aJiraConnection('identity-moved');
    await c.providers().identity(c.orgId, c.con.id, 'tracker');
    expect((await c.route())?.hubActor).toBe('acct-bot-1');
    await makeUpdateConnection({ connections: c.connections, clock, providers: PROVIDERS })(
      c.orgId,
      c.con.id,
      { config: { baseUrl: 'https://other.atlassian.net' } },
      platformAdmin,
      request,
    );
    expect((await c.route())?.hubActor).toBeUndefined();
  });

  it('is not recorded for credentials replaced while it was being learnt', async () => {
    const c = await aJiraConnection('identity-race');
    const found = await c.connections.withCredentials(c.orgId, c.con.id);
    await c.setCredentials('replaced-meanwhile');
    expect(
      await c.connections.recordHubActor(c.orgId, c.con.id, 'acct-old', String(found?.encryptedCredentials)),
    ).toBe(false);
    expect((await c.route())?.hubActor).toBeUndefined();
  });

  it("is not recorded on another org's connection", async () => {
    const c = await aJiraConnection('identity-mine');
    const other = await aJiraConnection('identity-theirs');
    const found = await other.connections.withCredentials(other.orgId, other.con.id);
    expect(
      await c.connections.recordHubActor(
        c.orgId,
        other.con.id,
        'acct-x',
        String(found?.encryptedCredentials),
      ),
    ).toBe(false);
    expect((await other.route())?.hubActor).toBeUndefined();
  });
});
