import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/manage-platform-keys/handler';
import type { Principal } from '../../../shared/identity/principal';
import { apiEvent, lambdaContext, member, parse, platformAdmin } from '../../support/api-events';

const ddb = mockClient(DynamoDBDocumentClient);
const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';

const call = async (method: string, path: string, routePath: string, principal: Principal, body?: unknown) =>
  parse(
    await handler(
      apiEvent({
        method,
        path,
        routePath,
        principal,
        body,
        ...(routePath.includes('{keyId}') ? { pathParameters: { keyId: path.split('/').pop() ?? '' } } : {}),
      }),
      lambdaContext(),
    ),
  );

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { PK: `T#${ORG}#ORG`, SK: 'PROFILE' } }).resolves({
    Item: { id: ORG, name: 'Acme', slug: 'acme', status: 'active', createdAt: '2026-11-27T10:00:00.000Z' },
  });
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(TransactWriteCommand).resolves({});
});

describe('/v1/platform/api-keys', () => {
  it('issues a platform key to a platform admin, once, with a 90-day expiry and no-store', async () => {
    const res = await call('POST', '/v1/platform/api-keys', '/v1/platform/api-keys', platformAdmin, {
      name: 'ops',
    });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json).toMatchObject({ name: 'ops', status: 'active', createdBy: platformAdmin.id });
    expect(typeof res.json.key).toBe('string');
    const days = (new Date(String(res.json.expiresAt)).getTime() - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(90);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('refuses an org owner, and writes nothing', async () => {
    for (const [method, path, routePath] of [
      ['GET', '/v1/platform/api-keys', '/v1/platform/api-keys'],
      ['POST', '/v1/platform/api-keys', '/v1/platform/api-keys'],
      ['DELETE', '/v1/platform/api-keys/key_01JD3Q4ZK8M7X2V9N6B5C4D3E2', '/v1/platform/api-keys/{keyId}'],
    ] as const) {
      const res = await call(
        method,
        path,
        routePath,
        member(ORG, 'owner'),
        method === 'POST' ? { name: 'x' } : undefined,
      );
      expect(res.status).toBe(403);
    }
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('answers 404 for a malformed key id (it names nothing) and for a key that is not active', async () => {
    const bad = await call(
      'DELETE',
      `/v1/platform/api-keys/${'k'.repeat(2000)}`,
      '/v1/platform/api-keys/{keyId}',
      platformAdmin,
    );
    expect(bad.status).toBe(404);
    const missing = await call(
      'DELETE',
      '/v1/platform/api-keys/key_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
      '/v1/platform/api-keys/{keyId}',
      platformAdmin,
    );
    expect(missing.status).toBe(404);
  });
});
