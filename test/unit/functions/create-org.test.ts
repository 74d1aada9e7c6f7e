import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/create-org/handler';
import { apiEvent, lambdaContext, member, parse, platformAdmin } from '../../support/api-events';

const ddb = mockClient(DynamoDBDocumentClient);
const createOrg = (body: unknown, principal = platformAdmin, headers?: Record<string, string>) =>
  handler(
    apiEvent({ method: 'POST', path: '/v1/orgs', routePath: '/v1/orgs', principal, body, headers }),
    lambdaContext(),
  );

beforeEach(() => ddb.reset());

describe('POST /v1/orgs', () => {
  it('creates the org, claims its slug and writes the audit record in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const res = parse(await createOrg({ name: 'Acme', slug: 'acme' }));
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ name: 'Acme', slug: 'acme', status: 'active' });
    expect(res.json.id).toMatch(/^org_[0-9A-Z]{26}$/);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    // Profile, slug claim, platform directory entry, audit record.
    expect(items.map((i) => i.Put?.TableName)).toEqual([
      'hub-domain',
      'hub-domain',
      'hub-domain',
      'hub-audit',
    ]);
    expect(items[0]?.Put?.Item?.PK).toBe(`T#${res.json.id}#ORG`);
    expect(items[3]?.Put?.Item).toMatchObject({
      action: 'org.created',
      orgId: res.json.id,
      outcome: 'success',
      actor: { type: 'api_key', id: 'key_ADMIN' },
      context: { ip: '203.0.113.9', userAgent: 'jest' },
    });
  });

  it('answers 409 problem+json when the slug is taken', async () => {
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );
    const res = parse(await createOrg({ name: 'Acme', slug: 'acme' }));
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json).toMatchObject({
      status: 409,
      type: 'urn:integration-hub:problem:conflict',
      instance: '/v1/orgs',
    });
  });

  it('refuses an org member: creating orgs is for platform admins', async () => {
    const res = parse(
      await createOrg({ name: 'Acme', slug: 'acme' }, member('org_01JD3Q4ZK8M7X2V9N6B5C4D3E2', 'owner')),
    );
    expect(res.status).toBe(403);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
  });

  it('answers 401 when the authorizer resolved no principal', async () => {
    const res = parse(await createOrg({ name: 'Acme', slug: 'acme' }, null as never));
    expect(res.status).toBe(401);
  });

  it('lists every invalid field', async () => {
    const res = parse(await createOrg({ name: '', slug: 'Not A Slug', extra: 1 }));
    expect(res.status).toBe(400);
    const paths = (res.json.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['name', 'slug']));
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
  });

  it('answers 400 to malformed JSON and 415 to a body that is not JSON', async () => {
    const malformed = await handler(
      apiEvent({
        method: 'POST',
        path: '/v1/orgs',
        routePath: '/v1/orgs',
        principal: platformAdmin,
        rawBody: '{"name":',
      }),
      lambdaContext(),
    );
    expect(parse(malformed).status).toBe(400);
    const form = parse(
      await createOrg({ name: 'Acme', slug: 'acme' }, platformAdmin, { 'content-type': 'text/plain' }),
    );
    expect(form.status).toBe(415);
  });

  it('answers 500 without details when the store fails unexpectedly', async () => {
    ddb.on(TransactWriteCommand).rejects(new Error('socket hang up: secret internals'));
    const res = parse(await createOrg({ name: 'Acme', slug: 'acme' }));
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.json)).not.toContain('secret internals');
    expect(res.json.detail).toContain('req-1');
  });
});
