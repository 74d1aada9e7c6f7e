import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, startRuntime } from '../support/runtime-process';
import { WebhookReceiver } from '../support/webhook-receiver';
import { signedHeaders } from '../support/webhooks';

let hub: RuntimeProcess;
const receiver = new WebhookReceiver();
const paused = new WebhookReceiver();

beforeAll(async () => {
  // Its own runtime: the test moves the hub's clock days ahead.
  hub = await startRuntime({ own: true });
  await Promise.all([receiver.start(), paused.start()]);
}, 240_000);
afterAll(async () => {
  await Promise.all([receiver.stop(), paused.stop()]);
  await hub?.stop();
});

const DAY_SECONDS = 86_400;

describe('an endpoint failing for days (the local clock moved on)', () => {
  it("warns the org's admins on day 4 and disables the endpoint on day 5, by mail and in the audit trail", async () => {
    const admin = client(hub);
    const local = client(hub, '');
    const org = (
      await admin('POST', '/v1/orgs', { name: 'Failing', slug: `failing-${Date.now().toString(36)}` })
    ).json as {
      id: string;
    };
    const email = `ops-${Date.now().toString(36)}@example.com`;
    expect(
      (await admin('POST', `/v1/orgs/${org.id}/users`, { email, name: 'Ops', role: 'admin' })).status,
    ).toBe(201);
    const con = (await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'src' }))
      .json as {
      webhookUrl: string;
      webhookSecret: string;
    };
    const ep = (await admin('POST', `/v1/orgs/${org.id}/webhook-endpoints`, { url: receiver.url })).json as {
      id: string;
      secret: string;
    };
    receiver.secrets.push(ep.secret);
    // Never a success: every delivery is answered 500.
    receiver.answer(...Array(100).fill(500));
    const body = JSON.stringify({ type: 'deploy.failed', data: {} });
    expect((await local('POST', con.webhookUrl, body, signedHeaders(con.webhookSecret, body))).status).toBe(
      202,
    );
    await receiver.until((got) => got.length >= 1, 120_000);
    const failing = await eventually(async () => {
      const e = (await admin('GET', `/v1/orgs/${org.id}/webhook-endpoints/${ep.id}`)).json;
      return e.failingSince ? e : undefined;
    });
    expect(failing.enabled).toBe(true);

    const mailTo = async () =>
      ((await local('GET', `/_local/mailbox?to=${encodeURIComponent(email)}`)).json.items as {
        subject: string;
      }[]) ?? [];
    /** Runs the minute's sweep until `probe` holds: the index walks a few hours of minutes per look. */
    const sweepUntil = async (probe: () => Promise<boolean>) => {
      for (let i = 0; i < 15 && !(await probe()); i++)
        expect((await local('POST', '/_local/schedules/runDueWork')).status).toBe(200);
      expect(await probe()).toBe(true);
    };

    expect((await local('POST', '/_local/clock', { advanceSeconds: 3 * DAY_SECONDS })).status).toBe(200);
    await local('POST', '/_local/schedules/runDueWork');
    expect(await mailTo()).toEqual([]);

    expect((await local('POST', '/_local/clock', { advanceSeconds: DAY_SECONDS + 120 })).status).toBe(200);
    await sweepUntil(async () => (await mailTo()).some((m) => /failing/.test(m.subject)));
    const warned = (await admin('GET', `/v1/orgs/${org.id}/webhook-endpoints/${ep.id}`)).json;
    expect(warned).toMatchObject({ enabled: true, warnedAt: expect.any(String) });
    const warnings = (await admin('GET', `/v1/orgs/${org.id}/audit-events?action=webhook_endpoint.failing`))
      .json;
    expect(warnings.items).toHaveLength(1);

    expect((await local('POST', '/_local/clock', { advanceSeconds: DAY_SECONDS })).status).toBe(200);
    await sweepUntil(
      async () =>
        (await admin('GET', `/v1/orgs/${org.id}/webhook-endpoints/${ep.id}`)).json.enabled === false,
    );
    const disabled = (await admin('GET', `/v1/orgs/${org.id}/webhook-endpoints/${ep.id}`)).json;
    expect(disabled.disabledReason).toMatch(/5 days/);
    expect((await mailTo()).map((m) => m.subject)).toEqual([
      expect.stringMatching(/disabled/),
      expect.stringMatching(/failing/),
    ]);
    const notices = (await admin('GET', `/v1/orgs/${org.id}/audit-events?action=webhook_endpoint.disabled`))
      .json;
    expect(notices.items).toHaveLength(1);
  }, 600_000);
});

describe("a suspended org's deliveries (the local clock moved on)", () => {
  it('keeps a retry that comes due while the org is suspended, and delivers it after reactivation, same webhook-id', async () => {
    const admin = client(hub);
    const local = client(hub, '');
    const org = (
      await admin('POST', '/v1/orgs', { name: 'Paused', slug: `paused-${Date.now().toString(36)}` })
    ).json as { id: string };
    const con = (await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'src' }))
      .json as { webhookUrl: string; webhookSecret: string };
    const ep = (await admin('POST', `/v1/orgs/${org.id}/webhook-endpoints`, { url: paused.url })).json as {
      secret: string;
    };
    paused.secrets.push(ep.secret);
    // The first attempt asks for 15 s; its retry order comes back while the org is suspended.
    paused.answer({ status: 503, headers: { 'retry-after': '15' } });
    const body = JSON.stringify({ type: 'deploy.paused', data: {} });
    expect((await local('POST', con.webhookUrl, body, signedHeaders(con.webhookSecret, body))).status).toBe(
      202,
    );
    await paused.until((got) => got.length >= 1, 120_000);
    const messageId = paused.received[0]?.id;
    expect((await admin('POST', `/v1/orgs/${org.id}/suspend`)).status).toBe(200);
    // The delivery worker has met the retry and left it undone (its skip is audited once).
    // The delivery worker has met the retry and left it undone: its skip is audited once, dated
    // at the suspension (older than the reads polling for it, so every page is looked through).
    const skippedDeliveries = async () => {
      let cursor = '';
      do {
        const page = (
          await admin(
            'GET',
            `/v1/orgs/${org.id}/audit-events?action=org.work_skipped&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          )
        ).json as { items: { after?: { queue?: string } }[]; nextCursor: string | null };
        if (page.items.some((r) => r.after?.queue === 'deliveries')) return true;
        cursor = page.nextCursor ?? '';
      } while (cursor);
      return undefined;
    };
    await eventually(skippedDeliveries, 60_000);
    expect(paused.received).toHaveLength(1);

    expect((await admin('POST', `/v1/orgs/${org.id}/reactivate`)).json.status).toBe('active');
    // Kept in the due index and looked at hourly: an hour on, the sweep queues it again.
    for (let i = 0; i < 6 && paused.received.length < 2; i++) {
      expect((await local('POST', '/_local/clock', { advanceSeconds: 3_700 })).status).toBe(200);
      expect((await local('POST', '/_local/schedules/runDueWork')).status).toBe(200);
      await paused.until((got) => got.length >= 2, 5_000).catch(() => undefined);
    }
    expect(paused.received.map((r) => [r.id, r.verifiedWith.length, r.answered])).toEqual([
      [messageId, 1, 503],
      [messageId, 1, 200],
    ]);
    const message = await eventually(async () => {
      const m = (await admin('GET', `/v1/orgs/${org.id}/messages/${messageId}`)).json as {
        status: string;
        history: unknown[];
      };
      return m.status === 'delivered' ? m : undefined;
    }, 30_000);
    expect(message.history).toHaveLength(2);
  }, 300_000);
});
