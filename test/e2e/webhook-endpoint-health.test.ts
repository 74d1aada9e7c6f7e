import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, startRuntime } from '../support/runtime-process';
import { WebhookReceiver } from '../support/webhook-receiver';
import { signedHeaders } from '../support/webhooks';

let hub: RuntimeProcess;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  // Its own runtime: the test moves the hub's clock days ahead.
  hub = await startRuntime({ own: true });
  await receiver.start();
}, 240_000);
afterAll(async () => {
  await receiver.stop();
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
