import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { localNames } from '../../lib/local/local-names';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';

let hub: RuntimeProcess;
beforeAll(async () => {
  hub = await startRuntime();
});
afterAll(async () => {
  await hub?.stop();
});

describe('dead letters over HTTP', () => {
  it('parks an unusable message in its org with the reason, lists it, and redrives it to its queue', async () => {
    const admin = client(hub);
    const org = (await admin('POST', '/v1/orgs', { name: 'dlq', slug: 'dlq' })).json as { id: string };
    const sqsEndpoint = /\[hub\] sqs\s+(\S+)/.exec(hub.output())?.[1];
    const sqs = new SQSClient({
      endpoint: sqsEndpoint,
      region: localNames.region,
      credentials: localCredentials,
    });
    const url = `${sqsEndpoint}/${localNames.account}/${localNames.queue('events')}`;
    // An event the store worker cannot use: its org is readable, the rest is not a canonical event.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify({
          id: 'x',
          'detail-type': 'broken',
          source: 'integration-hub.test',
          time: '',
          detail: { tenantId: org.id, id: 'evt_bad' },
        }),
      }),
    );
    const parked = await eventually(async () => {
      const items = (await admin('GET', `/v1/orgs/${org.id}/dead-letters`)).json.items as {
        id: string;
        queue: string;
        reason: string;
        eventId: string;
      }[];
      return items.length > 0 ? items : undefined;
    });
    expect(parked).toEqual([
      expect.objectContaining({
        queue: 'events',
        eventId: 'evt_bad',
        reason: expect.stringContaining('not a canonical event'),
      }),
    ]);

    // From the CLI, as an operator would.
    const listed = runCli(hub, ['dead-letters', 'list', org.id]);
    expect(JSON.parse(listed.stdout).items).toHaveLength(1);
    const redriven = runCli(hub, ['dead-letters', 'redrive', org.id, String(parked[0]?.id)]);
    expect(JSON.parse(redriven.stdout)).toEqual({ redriven: 1, ids: [parked[0]?.id] });
    // Back on its queue, it fails the same way and is parked again, as a new letter: nothing is lost.
    const again = await eventually(async () => {
      const items = (await admin('GET', `/v1/orgs/${org.id}/dead-letters`)).json.items as { id: string }[];
      return items.length === 1 && items[0]?.id !== parked[0]?.id ? items : undefined;
    });
    expect(again).toHaveLength(1);
    expect(
      (await admin('POST', `/v1/orgs/${org.id}/dead-letters/redrive`, { ids: ['dlq_nope'] })).status,
    ).toBe(404);
    expect((await admin('POST', `/v1/orgs/${org.id}/dead-letters/redrive`, { ids: [] })).status).toBe(400);
    const trail = (await admin('GET', `/v1/orgs/${org.id}/audit-events?action=dead_letters.redriven`)).json
      .items;
    expect(trail).toHaveLength(1);
    sqs.destroy();
  });
});
