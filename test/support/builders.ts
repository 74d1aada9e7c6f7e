import type { CanonicalEvent } from '../../shared/events/canonical-event';
import { newId } from '../../shared/ids';

/** A valid canonical event, with whatever the test cares about overridden. */
export function aCanonicalEvent(overrides: Partial<CanonicalEvent> = {}): CanonicalEvent {
  const now = new Date().toISOString();
  return {
    id: newId('evt'),
    type: 'generic.build.finished',
    source: { provider: 'generic', connectionId: 'con_test' },
    tenantId: newId('org'),
    occurredAt: now,
    receivedAt: now,
    correlationId: 'corr-test',
    data: {},
    raw: { deliveryId: 'msg_test', sha256: 'ab' },
    ...overrides,
  };
}
