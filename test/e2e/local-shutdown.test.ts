import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeProcess } from '../support/runtime-process';
import { startRuntime } from '../support/runtime-process';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** DynamoDB Local's java process, which the runtime started and must not leave behind. */
function javaPidOf(hub: RuntimeProcess): number {
  const pidFile = join(hub.dataDir, 'dynamodb-local.pid');
  expect(existsSync(pidFile)).toBe(true);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  expect(alive(pid)).toBe(true);
  return pid;
}

let hub: RuntimeProcess | undefined;
afterEach(async () => {
  await hub?.stop('SIGKILL');
  hub = undefined;
});

describe('`npm start` stops DynamoDB Local however it ends', () => {
  it('when its output pipe closes (`npm start | head`): the next line it writes stops everything', async () => {
    // Function logs at INFO, so a refused credential makes the runtime write a line.
    hub = await startRuntime({ workers: false, env: { POWERTOOLS_LOG_LEVEL: 'INFO' } });
    const javaPid = javaPidOf(hub);
    const exited = new Promise<number | null>((r) => hub?.child.once('exit', (code) => r(code)));
    hub.child.stdout?.destroy();
    // The answer may not come: the runtime is stopping.
    await fetch(`${hub.url}/v1/orgs`, { headers: { authorization: 'Bearer not-a-key' } }).catch(
      () => undefined,
    );
    expect(await exited).toBe(0);
    expect(alive(javaPid)).toBe(false);
  });

  it('on SIGHUP (a closed terminal), as on Ctrl-C', async () => {
    hub = await startRuntime({ workers: false });
    const javaPid = javaPidOf(hub);
    expect(await hub.stop('SIGHUP')).toBe(0);
    expect(alive(javaPid)).toBe(false);
    expect(hub.output()).toContain('SIGHUP: stopping');
    expect(hub.output()).toContain('stopped');
  });
});
