import { openApiDocument } from '../../../../shared/api/openapi';
import { PROVIDERS } from '../../../../shared/providers';

describe('the OpenAPI document of outbound webhooks', () => {
  const doc = openApiDocument(PROVIDERS) as unknown as {
    webhooks?: Record<string, { post: Record<string, unknown> }>;
    components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
  };

  it('documents the payload in the webhooks section: the versioned canonical event, its signature headers, no ordering promised', () => {
    const delivery = doc.webhooks?.['canonical-event']?.post;
    expect(JSON.stringify(delivery?.requestBody)).toContain('#/components/schemas/WebhookPayloadV1');
    expect(String(delivery?.description)).toMatch(/Ordering is not promised/);
    const headers = ((delivery?.parameters ?? []) as { name: string; in: string }[]).map(
      (p) => `${p.in}:${p.name}`,
    );
    expect(headers).toEqual(['header:webhook-id', 'header:webhook-timestamp', 'header:webhook-signature']);
    expect(JSON.stringify(delivery?.parameters)).toMatch(/same on every retry/);
    expect(doc.components.schemas.WebhookPayloadV1?.properties).toHaveProperty('data');
    expect(doc.components.schemas.WebhookPayloadV1?.properties).not.toHaveProperty('claim');
    // The version marker receivers read, required, fixed for this schema.
    expect(doc.components.schemas.WebhookPayloadV1?.properties?.version).toMatchObject({ const: 1 });
    expect(doc.components.schemas.WebhookPayloadV1?.required).toContain('version');
    expect(String(delivery?.description)).toMatch(/`version`/);
  });

  it('documents the endpoint routes: the secret only on create and rotate, attempts filtered by status', () => {
    const endpoints = doc.paths['/v1/orgs/{orgId}/webhook-endpoints'];
    expect(JSON.stringify(endpoints?.post?.responses['201'])).toContain('WebhookEndpointWithSecret');
    expect(
      JSON.stringify(doc.paths['/v1/orgs/{orgId}/webhook-endpoints/{endpointId}']?.get?.responses['200']),
    ).not.toContain('WithSecret');
    const attempts = doc.paths['/v1/orgs/{orgId}/webhook-endpoints/{endpointId}/attempts']
      ?.get as unknown as {
      parameters: { name: string; schema: { enum?: string[] } }[];
    };
    expect(attempts.parameters.find((p) => p.name === 'status')?.schema.enum).toEqual([
      'succeeded',
      'failed',
      'dropped',
    ]);
    expect(doc.components.schemas.WebhookEndpoint?.properties).not.toHaveProperty('secrets');
  });
});
