import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, startRuntime } from '../support/runtime-process';
import { signedHeaders } from '../support/webhooks';

let hub: RuntimeProcess | undefined;
afterAll(async () => {
  await hub?.stop();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('data survives restarts, including kill -9', () => {
  it('keeps an accepted webhook through a kill -9 before the worker ran, and processes it after restart', async () => {
    hub = await startRuntime({ workers: false });
    const { dataDir, adminKey } = hub;
    const admin = client(hub);
    const org = (await admin('POST', '/v1/orgs', { name: 'Durable', slug: 'durable' })).json as {
      id: string;
    };
    const con = (await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'c' }))
      .json as {
      webhookUrl: string;
      webhookSecret: string;
    };
    const body = JSON.stringify({ type: 'deploy.done', data: { env: 'prod' } });
    const accepted = await client(hub, '')(
      'POST',
      con.webhookUrl,
      body,
      signedHeaders(con.webhookSecret, body),
    );
    expect(accepted.status).toBe(202);
    const before = (await admin('GET', `/v1/orgs/${org.id}/events`)).json.items as unknown[];
    expect(before).toEqual([]);

    expect(await hub.stop('SIGKILL')).toBeNull();

    hub = await startRuntime({ dataDir });
    expect(hub.adminKey).toBe(adminKey);
    expect(hub.output()).not.toContain('Platform-admin API key');
    const restarted = client(hub);
    expect((await restarted('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
    const stored = await eventually(async () => {
      const items = (await restarted('GET', `/v1/orgs/${org.id}/events`)).json.items as { id: string }[];
      return items.find((e) => e.id === accepted.json.eventId);
    });
    expect(stored).toMatchObject({ type: 'custom.deploy.done', data: { env: 'prod' } });
  });

  it('stops every child process on SIGTERM and leaves the data for the next start', async () => {
    if (!hub) throw new Error('runtime not started');
    const pidFile = join(hub.dataDir, 'dynamodb-local.pid');
    expect(existsSync(pidFile)).toBe(true);
    const javaPid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(javaPid)).toBe(true);
    expect(await hub.stop('SIGTERM')).toBe(0);
    expect(alive(javaPid)).toBe(false);
    expect(hub.output()).toContain('stopped');
    hub = undefined;
  });
});
