import { DynamoDbConnectionStore } from '../../shared/adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import type { RequestContext } from '../../shared/audit/audit-record';
import { makeCreateConnection } from '../../shared/connectors/create-connection';
import { makeMarkNeedsAttention, makeSetConnectionStatus } from '../../shared/connectors/manage-connections';
import { PROVIDERS } from '../../shared/providers';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { platformAdmin } from '../support/api-events';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

const request: RequestContext = { requestId: 'r', ip: '127.0.0.1', userAgent: 'jest' };
const clock = { now: () => new Date() };
const cipher = { encrypt: async (p: string) => `enc:${p}`, decrypt: async (c: string) => c.slice(4) };

describe('a connection whose credentials the provider refused', () => {
  it('is marked as needing attention with the reason, keeps its webhook route, and an admin enables it again', async () => {
    const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
    const connections = new DynamoDbConnectionStore(aws.docs, aws.tables);
    const org = await makeCreateOrg({ orgs, clock })({ name: 'Att', slug: 'att-it' }, platformAdmin, request);
    const { connection } = await makeCreateConnection({
      orgs,
      connections,
      cipher,
      clock,
      providers: PROVIDERS,
    })(org.id, { provider: 'github', name: 'GitHub' }, platformAdmin, request);
    await makeMarkNeedsAttention({ connections, clock })(
      org.id,
      connection.id,
      'ProviderAuthError: 401 Bad credentials',
    );
    const marked = await connections.get(org.id, connection.id);
    expect(marked).toMatchObject({
      status: 'needs_attention',
      lastError: { message: 'ProviderAuthError: 401 Bad credentials' },
    });
    // Inbound webhooks still arrive: only outbound work waits for the fix.
    expect((await connections.findWebhookRoute(connection.id))?.status).toBe('active');
    const enabled = await makeSetConnectionStatus({ connections, clock })(
      org.id,
      connection.id,
      'active',
      platformAdmin,
      request,
    );
    expect(enabled).toMatchObject({ status: 'active', lastError: null });
  });
});
