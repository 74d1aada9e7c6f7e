import { createHash } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { makeHandler } from '../../../functions/get-raw-event/handler';
import type { AuditRecord } from '../../../shared/audit/audit-record';
import { NotFoundError } from '../../../shared/errors';
import type { CanonicalEvent } from '../../../shared/events/canonical-event';
import { makeAuditedRawRead, makeReadRawDelivery } from '../../../shared/events/raw-delivery';
import type { Principal } from '../../../shared/identity/principal';
import type { HttpResult } from '../../support/api-events';
import { apiEvent, lambdaContext, member } from '../../support/api-events';

const ddb = mockClient(DynamoDBDocumentClient);
const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const OTHER = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const CON = 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E4';
const EVT = 'evt_01JD3Q4ZK8M7X2V9N6B5C4D3E5';
// Whitespace and key order as the provider sent them: the answer must keep both.
const body = '{ "action":"opened",\n  "issue": {"number": 1, "title": "Ünïcode"} }';
const sha256 = createHash('sha256').update(body).digest('hex');

const event = (contentType?: string): CanonicalEvent => ({
  id: EVT,
  type: 'work_item.created',
  source: { provider: 'test', connectionId: CON },
  tenantId: ORG,
  occurredAt: '2026-12-01T00:00:00.000Z',
  receivedAt: '2026-12-01T00:00:00.000Z',
  correlationId: 'c',
  data: {},
  raw: { deliveryId: 'd-42', sha256, ...(contentType ? { contentType } : {}) },
});

function setup(opts: { contentType?: string; kept?: boolean } = {}) {
  const trail: AuditRecord[] = [];
  const reads: string[] = [];
  const handler = makeHandler(
    makeAuditedRawRead({
      read: makeReadRawDelivery({
        events: {
          get: async (orgId, id) => (orgId === ORG && id === EVT ? event(opts.contentType) : undefined),
        },
        claims: {
          get: async (key) => {
            reads.push(key);
            if (opts.kept === false) throw new NotFoundError(`No ${key}`);
            return body;
          },
        },
      }),
      audit: { append: async (record) => void trail.push(record) },
      clock: { now: () => new Date('2026-12-01T10:00:00Z') },
    }),
  );
  const get = async (principal: Principal, orgId = ORG, eventId = EVT) =>
    (await handler(
      apiEvent({
        method: 'GET',
        path: `/v1/orgs/${orgId}/events/${eventId}/raw`,
        routePath: '/v1/orgs/{orgId}/events/{eventId}/raw',
        principal,
        pathParameters: { orgId, eventId },
      }),
      lambdaContext(),
    )) as HttpResult;
  return { get, trail, reads };
}

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  for (const id of [ORG, OTHER])
    ddb.on(GetCommand, { Key: { PK: `T#${id}#ORG`, SK: 'PROFILE' } }).resolves({
      Item: { id, name: 'Acme', slug: `acme-${id}`, status: 'active', createdAt: '2026-11-27T10:00:00.000Z' },
    });
});

describe('GET /v1/orgs/{orgId}/events/{eventId}/raw', () => {
  it("answers an admin the body byte for byte, with the provider's content type, delivery id and hash", async () => {
    const { get, reads } = setup({ contentType: 'application/x-www-form-urlencoded' });
    const res = await get(member(ORG, 'admin'));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(body);
    expect(res.headers).toMatchObject({
      'content-type': 'application/octet-stream',
      'x-original-content-type': 'application/x-www-form-urlencoded',
      'x-delivery-id': 'd-42',
      'x-content-sha256': sha256,
    });
    expect(reads).toEqual([`T#${ORG}/raw/${CON}/${sha256}.body`]);
  });

  it('says application/json was the type when the provider sent none', async () => {
    const res = await setup().get(member(ORG, 'owner'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-original-content-type']).toBe('application/json');
  });

  it('never answers a body as the page its sender declared it to be', async () => {
    const res = await setup({ contentType: 'text/html' }).get(member(ORG, 'admin'));
    expect(res.headers).toMatchObject({
      'content-type': 'application/octet-stream',
      'content-disposition': expect.stringMatching(/^attachment;/),
      'content-security-policy': "default-src 'none'; sandbox",
      'x-original-content-type': 'text/html',
    });
  });

  it('audits each read as event.raw_read, naming the event and hash, without the payload', async () => {
    const { get, trail } = setup();
    await get(member(ORG, 'admin'));
    await get(member(ORG, 'admin'));
    const reads = trail.filter((r) => r.action === 'event.raw_read');
    expect(reads).toHaveLength(2);
    expect(reads[0]).toMatchObject({
      orgId: ORG,
      actor: { id: 'key_MEMBER' },
      targets: [{ type: 'event', id: EVT }],
      after: { deliveryId: 'd-42', sha256 },
    });
    expect(JSON.stringify(trail)).not.toContain('Ünïcode');
  });

  it('refuses a member or viewer (events:read is not enough) with 403, reading nothing', async () => {
    for (const role of ['member', 'viewer'] as const) {
      const { get, reads } = setup();
      const res = await get(member(ORG, role));
      expect({ role, status: res.statusCode }).toEqual({ role, status: 403 });
      expect(reads).toEqual([]);
    }
  });

  it("refuses another org's admin, reading nothing of this org", async () => {
    const { get, reads } = setup();
    const res = await get(member(OTHER, 'admin'));
    expect([403, 404]).toContain(res.statusCode);
    expect(reads).toEqual([]);
  });

  it('answers 404 problem+json when the event is unknown, its raw delivery is not kept, or the id is malformed', async () => {
    const gone = await setup({ kept: false }).get(member(ORG, 'admin'));
    const unknown = await setup().get(member(ORG, 'admin'), ORG, 'evt_01JD3Q4ZK8M7X2V9N6B5C4D3E9');
    const { get, reads } = setup();
    const malformed = await get(member(ORG, 'admin'), ORG, '..%2Fetc');
    for (const res of [gone, unknown, malformed]) {
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toBe('application/problem+json');
    }
    expect(JSON.parse(gone.body).detail).toMatch(/not kept/);
    expect(reads).toEqual([]);
  });
});
