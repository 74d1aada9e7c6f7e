import { normaliseGenericDelivery } from '../../../../shared/connectors/generic/normalise';
import { ValidationError } from '../../../../shared/errors';
import { canonicalData } from '../../../../shared/events/canonical';
import { CanonicalEventSchema } from '../../../../shared/events/canonical-event';

const delivery = (payload: unknown) => ({
  orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
  connectionId: 'con_01JD3Q4ZK8M7X2V9N6B5C4D3E3',
  webhookId: 'msg_1',
  sentAt: new Date('2026-11-27T10:00:00Z'),
  body: JSON.stringify(payload),
  receivedAt: new Date('2026-11-27T10:00:01Z'),
  correlationId: 'c-1',
});

const item = {
  id: '42',
  key: 'OPS-42',
  url: 'https://tracker.example/OPS-42',
  container: 'OPS',
  type: 'Task',
  title: 'Rotate the keys',
  description: 'Every **90** days',
  status: { name: 'Open', category: 'todo' },
  assignee: null,
  reporter: { id: 'u-1', login: 'ada', name: 'Ada' },
  labels: ['security'],
  priority: null,
  dueDate: '2026-12-01',
  parent: null,
  createdVia: null,
  createdAt: '2026-11-27T09:00:00Z',
  updatedAt: '2026-11-27T09:30:00Z',
};

describe('Generic webhooks: canonical and custom event types', () => {
  it('publishes a sender’s own type as custom.<type>, its data as given', () => {
    const event = normaliseGenericDelivery(delivery({ type: 'Build.Finished', data: { ok: true, n: [1] } }));
    expect(CanonicalEventSchema.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({
      type: 'custom.build.finished',
      source: { provider: 'generic' },
      occurredAt: '2026-11-27T10:00:00.000Z',
      data: { ok: true, n: [1] },
      raw: { deliveryId: 'msg_1', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(normaliseGenericDelivery(delivery({ type: 'custom.deploy' })).type).toBe('custom.deploy');
  });

  it('publishes a canonical type whose data fits its schema as that type, readable like any provider’s', () => {
    const event = normaliseGenericDelivery(
      delivery({
        type: 'work_item.updated',
        timestamp: '2026-11-27T09:30:00Z',
        data: { actor: null, item, changedFields: ['title'], changes: [] },
      }),
    );
    expect(event.type).toBe('work_item.updated');
    expect(event.occurredAt).toBe('2026-11-27T09:30:00.000Z');
    expect(canonicalData(event, 'work_item.updated')?.item).toMatchObject({
      key: 'OPS-42',
      title: 'Rotate the keys',
    });
  });

  it('refuses a canonical type whose data does not fit, naming what is wrong', () => {
    const { title: _title, ...untitled } = item;
    const send = () =>
      normaliseGenericDelivery(
        delivery({
          type: 'work_item.created',
          data: {
            actor: null,
            item: { ...untitled, status: { name: 'Open', category: 'someday' } },
            changedFields: [],
            changes: [],
          },
        }),
      );
    expect(send).toThrow(ValidationError);
    expect(send).toThrow(/work_item\.created/);
    const error = (() => {
      try {
        send();
      } catch (e) {
        return e as ValidationError;
      }
    })();
    const issues = (error?.extensions.errors ?? []) as { path: string }[];
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['item.title', 'item.status.category']));
  });
});
