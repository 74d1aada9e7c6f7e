import type { CanonicalType } from '../../../../../shared/events/canonical';
import { canonicalEvent } from '../../../../../shared/events/canonical';
import type { CanonicalEvent } from '../../../../../shared/events/canonical-event';
import type { NotificationRule } from '../../../../../shared/notify/rules/rule';
import { CreateNotificationRuleRequest } from '../../../../../shared/notify/rules/rule';
import { sampleEvent } from '../../../../../shared/notify/rules/sample-event';

export const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
export const CON = 'con_01M8F79MGRCMY1JDM07R52VC06';
export const EP = 'ep_01M8F79MGRCMY1JDM07R52VC06';
export const USR = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1';
export const TEAM = 'team_01JD3Q4ZK8M7X2V9N6B5C4D3E1';

// biome-ignore lint/suspicious/noExplicitAny: a test edits whichever type's data it builds, by its canonical field names.
type AnyData = Record<string, any>;

/** An event of a canonical type whose data is the sample's with `edit` applied, through the normal envelope. */
export function anEvent(
  type: CanonicalType,
  edit: (data: AnyData) => void = () => undefined,
  source: { provider?: string; connectionId?: string } = {},
): CanonicalEvent {
  const data = structuredClone(sampleEvent(ORG, type, {}, new Date()).data) as AnyData;
  edit(data);
  return canonicalEvent(
    {
      orgId: ORG,
      connectionId: source.connectionId ?? CON,
      body: '{}',
      receivedAt: new Date(),
      correlationId: 'c',
    },
    source.provider ?? 'tracker',
    'd-1',
    { type, data } as never,
  );
}

/** A stored rule from a create request's fields. */
export function aRule(input: Record<string, unknown> = {}): NotificationRule {
  const parsed = CreateNotificationRuleRequest.parse({
    name: 'r',
    eventTypes: ['*'],
    destinations: [{ kind: 'email', addresses: ['ops@example.com'] }],
    ...input,
  });
  return {
    id: 'nrule_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
    orgId: ORG,
    ...parsed,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}
