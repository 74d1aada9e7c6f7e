import { createEndpointSchema, RecoverSchema } from '../../../../../shared/notify/webhooks/endpoint';

describe("an endpoint's input", () => {
  it('stores the URL as the parser reads it, so no line break a raw string carried reaches a mail header', () => {
    const parsed = createEndpointSchema().parse({
      url: 'https://hooks.example.com/x\r\nBcc: victim@example.com',
    });
    expect(parsed.url).not.toMatch(/[\r\n]/);
    expect(parsed.url.startsWith('https://hooks.example.com/')).toBe(true);
  });

  it('refuses an event-type pattern that names no event type (a typo would stop everything)', () => {
    const refused = createEndpointSchema().safeParse({
      url: 'https://hooks.example.com/x',
      eventTypes: ['nope.*'],
    });
    expect(refused.success).toBe(false);
    expect(JSON.stringify(refused.error?.issues)).toContain('names no event type');
    expect(
      createEndpointSchema().safeParse({
        url: 'https://hooks.example.com/x',
        eventTypes: ['pull_request.*', 'custom.deploy.done', '*'],
      }).success,
    ).toBe(true);
  });

  it('recovers at most as far back as events are kept for their messages', () => {
    expect(RecoverSchema.safeParse({ since: '0001-01-01T00:00:00Z' }).success).toBe(false);
    expect(RecoverSchema.safeParse({ since: new Date(Date.now() - 86_400_000).toISOString() }).success).toBe(
      true,
    );
  });
});
