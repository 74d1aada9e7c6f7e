import { createHash } from 'node:crypto';
import { NotFoundError } from '../../../../shared/errors';
import type { CanonicalEvent } from '../../../../shared/events/canonical-event';
import { makeReadRawDelivery, makeStoreRawDelivery } from '../../../../shared/events/raw-delivery';

const ORG = 'org_01J0000000000000000000000A';
const OTHER = 'org_01J0000000000000000000000B';
const body = '{"action":"opened","issue":{"number":1}}';
const sha256 = createHash('sha256').update(body).digest('hex');

/** A claim store keyed as the S3 adapter keys it: under the tenant's `T#<orgId>/` prefix. */
function claims() {
  const objects = new Map<string, string>();
  return {
    objects,
    put: async (tenantId: string, name: string, value: string) => {
      const key = `T#${tenantId}/${name}`;
      objects.set(key, value);
      return { key, bytes: value.length, sha256: createHash('sha256').update(value).digest('hex') };
    },
    get: async (key: string) => {
      const value = objects.get(key);
      if (value === undefined) throw new NotFoundError(`No ${key}`);
      return value;
    },
  };
}

const event = (tenantId: string, hash = sha256): CanonicalEvent => ({
  id: 'evt_01J0000000000000000000000E',
  type: 'work_item.created',
  source: { provider: 'test', connectionId: 'con_01J0000000000000000000000C' },
  tenantId,
  occurredAt: '2026-12-01T00:00:00.000Z',
  receivedAt: '2026-12-01T00:00:00.000Z',
  correlationId: 'c',
  data: {},
  raw: { deliveryId: 'd-1', sha256: hash },
});

describe('raw deliveries', () => {
  it('keeps the body under its tenant by content hash, and reads it back by the event that references it', async () => {
    const store = claims();
    expect(await makeStoreRawDelivery(store)(ORG, 'con_01J0000000000000000000000C', body)).toBe(sha256);
    expect([...store.objects.keys()]).toEqual([`T#${ORG}/raw/con_01J0000000000000000000000C/${sha256}.body`]);
    const read = makeReadRawDelivery({
      events: { get: async (o) => (o === ORG ? event(ORG) : undefined) },
      claims: store,
    });
    await expect(read(ORG, 'evt_01J0000000000000000000000E')).resolves.toEqual({
      body,
      sha256,
      deliveryId: 'd-1',
    });
  });

  it("never reads another tenant's object, and says so when nothing is kept", async () => {
    const store = claims();
    await makeStoreRawDelivery(store)(ORG, 'con_01J0000000000000000000000C', body);
    // The other org's event names the same connection and hash: its tenant prefix is its own.
    const read = makeReadRawDelivery({ events: { get: async (o) => event(o) }, claims: store });
    await expect(read(OTHER, 'evt_01J0000000000000000000000E')).rejects.toBeInstanceOf(NotFoundError);
    const none = makeReadRawDelivery({ events: { get: async () => undefined }, claims: store });
    await expect(none(ORG, 'evt_01J0000000000000000000000E')).rejects.toThrow('No event');
  });

  it('refuses a stored body that is not the one the event was normalised from', async () => {
    const store = claims();
    await makeStoreRawDelivery(store)(ORG, 'con_01J0000000000000000000000C', body);
    const key = [...store.objects.keys()][0] as string;
    store.objects.set(key, `${body} `);
    const read = makeReadRawDelivery({ events: { get: async () => event(ORG) }, claims: store });
    await expect(read(ORG, 'evt_01J0000000000000000000000E')).rejects.toThrow('not the one');
  });
});
