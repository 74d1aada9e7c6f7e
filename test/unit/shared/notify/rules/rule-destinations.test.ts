import type { NotificationRule } from '../../../../../shared/notify/rules/rule';
import { CachedRuleDestinations } from '../../../../../shared/notify/rules/rule-destinations';
import { anEvent, aRule, EP } from './builders';

const webhook = { kind: 'webhook_endpoint', endpointId: EP } as const;
const email = { kind: 'email', addresses: ['ops@example.com'] } as const;

function storeOf(rules: NotificationRule[]) {
  const store = {
    reads: 0,
    rules,
    listEnabled: async (_orgId: string) => {
      store.reads++;
      return store.rules;
    },
  };
  return store;
}

describe('the destinations notification rules give an event', () => {
  it('returns the destinations of every rule whose type and conditions match, with the rule', async () => {
    const merged = aRule({ eventTypes: ['pull_request.merged'], destinations: [webhook, email] });
    const other = {
      ...aRule({ eventTypes: ['pull_request.*'], conditions: { containers: ['acme/api'] } }),
      id: 'nrule_01JD3Q4ZK8M7X2V9N6B5C4D3E3',
    };
    const labels = {
      ...aRule({ eventTypes: ['*'], conditions: { labels: ['bug'] } }),
      id: 'nrule_01JD3Q4ZK8M7X2V9N6B5C4D3E4',
    };
    const destinations = new CachedRuleDestinations(storeOf([merged, other, labels]));
    await expect(destinations.destinationsFor(anEvent('pull_request.merged'))).resolves.toEqual([
      { ruleId: merged.id, destination: webhook },
      { ruleId: merged.id, destination: email },
    ]);
    await expect(destinations.destinationsFor(anEvent('push'))).resolves.toEqual([]);
  });

  it('reads an org’s rules once within the cache window, and again after it', async () => {
    const store = storeOf([aRule({ eventTypes: ['push'] })]);
    const destinations = new CachedRuleDestinations(store, { ttlMs: 60_000 });
    await Promise.all([
      destinations.destinationsFor(anEvent('push')),
      destinations.destinationsFor(anEvent('push')),
    ]);
    await destinations.destinationsFor(anEvent('push'));
    expect(store.reads).toBe(1);

    const expiring = new CachedRuleDestinations(store, { ttlMs: 0 });
    store.rules = [];
    await expect(expiring.destinationsFor(anEvent('push'))).resolves.toEqual([]);
    store.rules = [aRule({ eventTypes: ['push'] })];
    await expect(expiring.destinationsFor(anEvent('push'))).resolves.toHaveLength(1);
  });

  it('keeps no failed read: the next event reads the rules again', async () => {
    let fail = true;
    const destinations = new CachedRuleDestinations({
      listEnabled: async () => {
        if (fail) throw new Error('throttled');
        return [aRule({ eventTypes: ['push'] })];
      },
    });
    await expect(destinations.destinationsFor(anEvent('push'))).rejects.toThrow('throttled');
    fail = false;
    await expect(destinations.destinationsFor(anEvent('push'))).resolves.toHaveLength(1);
  });

  it('skips a disabled rule, even one the store returned', async () => {
    const destinations = new CachedRuleDestinations(
      storeOf([aRule({ eventTypes: ['push'], enabled: false })]),
    );
    await expect(destinations.destinationsFor(anEvent('push'))).resolves.toEqual([]);
  });
});
