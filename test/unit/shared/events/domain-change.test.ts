import { CanonicalEventSchema } from '../../../../shared/events/canonical-event';
import { domainEventFromInsert } from '../../../../shared/events/domain-change';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const now = new Date('2026-11-27T12:00:00Z');

describe('domain events from table inserts', () => {
  it('announces a new connection with its public fields only', () => {
    const item = {
      PK: `T#${ORG}#CON`,
      SK: 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E5',
      id: 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E5',
      orgId: ORG,
      provider: 'generic',
      name: 'CI',
      status: 'active',
      webhookUrl: '/webhooks/generic/con_01JD3Q4ZK8M7X2V9N6B5C4D3E5',
      createdAt: '2026-11-27T11:00:00.000Z',
      encryptedSecret: 'c2VjcmV0',
    };
    const event = domainEventFromInsert(item, 'stream-1', now);
    expect(CanonicalEventSchema.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      id: 'evt_01JD3Q4ZK8M7X2V9N6B5C4D3E5',
      type: 'connection.created',
      tenantId: ORG,
      occurredAt: '2026-11-27T11:00:00.000Z',
      data: { id: item.id, provider: 'generic', name: 'CI', status: 'active', createdAt: item.createdAt },
    });
    expect(JSON.stringify(event)).not.toContain('c2VjcmV0');
  });

  it('gives a retried record the same event id, so consumers de-duplicate it', () => {
    const item = {
      PK: `T#${ORG}#ORG`,
      SK: 'PROFILE',
      id: ORG,
      name: 'Acme',
      slug: 'acme',
      createdAt: now.toISOString(),
    };
    expect(domainEventFromInsert(item, 'a', now)?.id).toBe(domainEventFromInsert(item, 'b', now)?.id);
  });

  it('announces nothing for events, platform lookups or unknown collections', () => {
    expect(domainEventFromInsert({ PK: `T#${ORG}#EVT`, SK: 'evt_x', id: 'evt_x' }, 's', now)).toBeNull();
    expect(domainEventFromInsert({ PK: 'P#APIKEY#abc', SK: 'GRANT' }, 's', now)).toBeNull();
    expect(domainEventFromInsert({ PK: `T#${ORG}#SOMETHING`, SK: 'x', id: 'x_1' }, 's', now)).toBeNull();
  });
});
