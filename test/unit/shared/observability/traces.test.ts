import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { makeHandler as makeCreateApiKeyHandler } from '../../../../functions/create-api-key/handler';
import type { makeCreateApiKey } from '../../../../shared/identity/create-api-key';
import { instrumented } from '../../../../shared/observability/instrumented';
import { tracer } from '../../../../shared/observability/observability';
import { apiEvent, lambdaContext, member } from '../../../support/api-events';

/** A segment as X-Ray's SDK keeps it, recording what the tracer puts on it. */
class RecordingSegment {
  readonly metadata: Record<string, unknown> = {};
  readonly annotations: Record<string, unknown> = {};
  readonly subsegments: RecordingSegment[] = [];
  constructor(readonly name: string) {}
  addNewSubsegment(name: string) {
    const sub = new RecordingSegment(name);
    this.subsegments.push(sub);
    return sub;
  }
  addAnnotation(key: string, value: unknown) {
    this.annotations[key] = value;
  }
  addMetadata(key: string, value: unknown, namespace = 'default') {
    this.metadata[`${namespace}.${key}`] = value;
  }
  addError() {}
  addErrorFlag() {}
  close() {}
}

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const SECRET = 'ihk_live_0123456789abcdefghijklmnopqrstuv';
const ddb = mockClient(DynamoDBDocumentClient);
let lambdaSegment: RecordingSegment;

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { PK: `T#${ORG}#ORG`, SK: 'PROFILE' } }).resolves({
    Item: { id: ORG, name: 'Acme', slug: 'acme', status: 'active', createdAt: '2026-11-27T10:00:00.000Z' },
  });
  // Tracing as it is inside a Lambda with X-Ray active: the middleware opens its subsegment here.
  lambdaSegment = new RecordingSegment('facade');
  let current: unknown = lambdaSegment;
  jest.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
  const provider = tracer.provider as unknown as Record<
    'getSegment' | 'setSegment',
    (s?: unknown) => unknown
  >;
  jest.spyOn(provider, 'getSegment').mockImplementation(() => current);
  jest.spyOn(provider, 'setSegment').mockImplementation((segment) => {
    current = segment;
  });
});

afterEach(() => jest.restoreAllMocks());

const handlerSubsegment = () => {
  expect(lambdaSegment.subsegments).toHaveLength(1);
  return lambdaSegment.subsegments[0] as RecordingSegment;
};

describe('traces', () => {
  it('never copy an API route’s response (a new API key) into the trace', async () => {
    const createApiKey = (async () => ({
      apiKey: { id: 'key_1', orgId: ORG, name: 'ci', role: 'member' },
      key: SECRET,
    })) as unknown as ReturnType<typeof makeCreateApiKey>;
    const result = await makeCreateApiKeyHandler(createApiKey)(
      apiEvent({
        method: 'POST',
        path: `/v1/orgs/${ORG}/api-keys`,
        routePath: '/v1/orgs/{orgId}/api-keys',
        principal: member(ORG, 'admin'),
        pathParameters: { orgId: ORG },
        body: { name: 'ci', role: 'member' },
      }),
      lambdaContext(),
    );
    expect(JSON.stringify(result)).toContain(SECRET);
    const traced = handlerSubsegment();
    expect(traced.annotations.ColdStart).toBeDefined();
    expect(JSON.stringify(traced.metadata)).not.toContain(SECRET);
    expect(Object.keys(traced.metadata).filter((k) => k.endsWith(' response'))).toEqual([]);
  });

  it("never copy a worker's result into the trace", async () => {
    const handler = instrumented(async () => ({ webhookSecret: SECRET }));
    await expect(handler({}, lambdaContext())).resolves.toEqual({ webhookSecret: SECRET });
    const traced = handlerSubsegment();
    expect(traced.annotations.ColdStart).toBeDefined();
    expect(JSON.stringify(traced.metadata)).not.toContain(SECRET);
  });
});
