import { jest } from '@jest/globals';
import { cachedSubscriptions, makeMatcher } from '../../../../shared/notify/match/match';
import type { DeliveryQueue, DeliveryTarget } from '../../../../shared/notify/model';
import { aCanonicalEvent } from '../../../support/builders';

const orgId = 'org_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE';
const ep = (n: number) => `ep_01JDQ3ZK8Y5V6W7X8Y9Z0ABCD${n}`;

/** A delivery queue that keeps what it was asked to queue. */
function recordingQueue() {
  const queued: DeliveryTarget[][] = [];
  const queue: DeliveryQueue = {
    enqueue: async (_event, targets) => {
      queued.push([...targets]);
      return { created: targets.length, existing: 0 };
    },
  };
  return { queue, queued };
}

describe('the matcher', () => {
  const event = aCanonicalEvent({ tenantId: orgId, type: 'pull_request.merged' });

  it("queues the endpoints whose filters match and the rules' destinations, each target once", async () => {
    const { queue, queued } = recordingQueue();
    const digests: string[][] = [];
    const match = makeMatcher({
      endpoints: {
        listEnabled: async () => [
          { id: ep(1), eventTypes: ['pull_request.*'] },
          { id: ep(2), eventTypes: ['work_item.*'] },
          { id: ep(3), eventTypes: [] },
        ],
      },
      deliveries: queue,
      rules: {
        destinationsFor: async () => [
          { ruleId: 'nrule_1', destination: { kind: 'webhook_endpoint', endpointId: ep(1) } },
          { ruleId: 'nrule_2', destination: { kind: 'webhook_endpoint', endpointId: ep(3) } },
          // Disabled or deleted since the rule named it: nothing goes there.
          { ruleId: 'nrule_3', destination: { kind: 'webhook_endpoint', endpointId: ep(9) } },
          { ruleId: 'nrule_4', destination: { kind: 'email', addresses: ['Dev@Example.com'] } },
          { ruleId: 'nrule_5', destination: { kind: 'email', addresses: ['dev@example.com'] } },
        ],
      },
      recipients: {
        resolve: async (_org, destination) => ({
          now: (destination.addresses ?? []).map((address) => ({ channel: 'email' as const, address })),
          digest: ['usr_1'],
        }),
      },
      digests: { add: async (_org, users) => void digests.push([...users]) },
    });
    expect(await match(event)).toEqual({ targets: 3, created: 3 });
    expect(queued[0]).toEqual([
      { channel: 'webhook', endpointId: ep(1) },
      { channel: 'webhook', endpointId: ep(3) },
      { channel: 'email', address: 'Dev@Example.com' },
    ]);
    expect(digests).toEqual([['usr_1']]);
  });

  it('queues nothing when nothing matches, and skips email destinations when no recipients are wired', async () => {
    const { queue, queued } = recordingQueue();
    const match = makeMatcher({
      endpoints: { listEnabled: async () => [{ id: ep(2), eventTypes: ['work_item.*'] }] },
      deliveries: queue,
      rules: {
        destinationsFor: async () => [
          { ruleId: 'nrule_4', destination: { kind: 'email', addresses: ['a@example.com'] } },
        ],
      },
    });
    expect(await match(event)).toEqual({ targets: 0, created: 0 });
    expect(queued).toEqual([]);
  });

  it("reuses an org's endpoint list for a few seconds, then reads it again", async () => {
    let reads = 0;
    const cached = cachedSubscriptions(
      {
        listEnabled: async () => {
          reads++;
          return [];
        },
      },
      50,
    );
    const start = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(start);
    await cached.listEnabled(orgId);
    clock.mockReturnValue(start + 49);
    await cached.listEnabled(orgId);
    expect(reads).toBe(1);
    clock.mockReturnValue(start + 51);
    await cached.listEnabled(orgId);
    expect(reads).toBe(2);
    clock.mockRestore();
  });
});
