import type { CanonicalEvent } from '../../shared/events/canonical-event';
import { newId } from '../../shared/ids';
import type { Link } from '../../shared/sync/link';
import type { Mapping } from '../../shared/sync/mapping';
import { MappingInputSchema } from '../../shared/sync/mapping';

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

/** A valid sync mapping (Jira project WEB ↔ acme/web), with mapping input overridden. */
export function aMapping(input: Record<string, unknown> = {}): Mapping {
  return {
    ...MappingInputSchema.parse({
      jira: { connectionId: 'con_01M8F79MGRCMY1JDM07R52VC06', projectKey: 'WEB' },
      github: { connectionId: 'con_01M8F79P3R3K1638C8KPHEN332', repository: 'acme/web' },
      ...input,
    }),
    id: 'map_1',
    orgId: 'org_1',
    name: 'm',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
  };
}

/** A link between WEB-1 and acme/web#1 with no fields yet, with whatever the test cares about overridden. */
export function aLink(overrides: Partial<Link> = {}): Link {
  return {
    id: newId('lnk'),
    orgId: newId('org'),
    mappingId: 'map_1',
    jira: { connectionId: 'con_j', id: '1', key: 'WEB-1', url: '' },
    github: { connectionId: 'con_g', repository: 'acme/web', number: 1, url: '' },
    fields: {},
    pending: { jira: [], github: [] },
    comments: [],
    pullRequests: [],
    branch: null,
    history: [],
    lastSyncedAt: null,
    lagMs: null,
    lastError: null,
    revision: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}
