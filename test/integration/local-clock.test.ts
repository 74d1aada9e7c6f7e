import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The local clock (`/_local/clock`) as a function running in the local runtime sees it: the runtime
 * is started on a root whose `runDueWork` handler answers with `hubClock()`'s time, so the test
 * reads the time inside the function's own execution environment, with the environment the runtime
 * gives it.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DAY_MS = 86_400_000;
let dir: string;
let child: ChildProcess;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-clock-'));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'functions', 'run-due-work'), { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    join(root, 'functions', 'run-due-work', 'handler.ts'),
    `import { hubClock } from ${JSON.stringify(join(ROOT, 'shared', 'adapters', 'clock.ts'))};
const clock = hubClock();
export const handler = async (event: { time: string }) => ({ now: clock.now().toISOString(), eventTime: event.time });
`,
  );
  writeFileSync(
    join(dir, 'run.mts'),
    `import { freePort } from ${JSON.stringify(join(ROOT, 'lib', 'local', 'free-port.ts'))};
import { startLocalRuntime } from ${JSON.stringify(join(ROOT, 'lib', 'local', 'runtime.ts'))};
const runtime = await startLocalRuntime({ port: await freePort(), dataDir: ${JSON.stringify(join(dir, 'data'))}, root: ${JSON.stringify(root)}, workers: false, warm: false, logLevel: 'WARN' });
process.stdout.write(JSON.stringify({ url: runtime.url }) + '\\n');
process.on('SIGTERM', () => void runtime.stop().then(() => process.exit(0)));
`,
  );
  child = spawn(
    process.execPath,
    ['--import', 'tsx', '--disable-warning=ExperimentalWarning', join(dir, 'run.mts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  url = await new Promise<string>((ready, failed) => {
    let out = '';
    const collect = (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) ready((JSON.parse(line) as { url: string }).url);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code) => failed(new Error(`the runtime exited with ${code}:\n${out}`)));
  });
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const clock = async (body?: unknown) => {
  const res = await fetch(`${url}/_local/clock`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
};
/** The time inside the function, as `POST /_local/schedules/<name>` runs it now. */
const functionTime = async () => {
  const res = await fetch(`${url}/_local/schedules/runDueWork`, { method: 'POST' });
  expect(res.status).toBe(200);
  const seen = (await res.json()) as { now: string; eventTime: string };
  return { now: Date.parse(seen.now), eventTime: Date.parse(seen.eventTime) };
};

describe('the local clock', () => {
  it('starts at the real time', async () => {
    const before = Date.now();
    expect((await clock()).body).toMatchObject({ offsetMs: 0 });
    const seen = await functionTime();
    expect(seen.now).toBeGreaterThanOrEqual(before);
    expect(seen.now).toBeLessThanOrEqual(Date.now());
  });

  it('moves forward for every function when advanced, and back when its offset is set', async () => {
    const advanced = await clock({ advanceSeconds: 5 * 86_400 });
    expect(advanced.status).toBe(200);
    expect(advanced.body.offsetMs).toBe(5 * DAY_MS);
    const before = Date.now();
    const seen = await functionTime();
    expect(seen.now).toBeGreaterThanOrEqual(before + 5 * DAY_MS);
    expect(seen.now).toBeLessThanOrEqual(Date.now() + 5 * DAY_MS);
    // The schedule's event carries the hub's time too (to the second, as EventBridge stamps it).
    expect(seen.eventTime).toBeGreaterThanOrEqual(before + 5 * DAY_MS - 1000);

    // Advancing adds to the offset; setting it replaces it.
    expect((await clock({ advanceSeconds: 60 })).body.offsetMs).toBe(5 * DAY_MS + 60_000);
    const shown = (await clock()).body;
    expect(shown.offsetMs).toBe(5 * DAY_MS + 60_000);
    expect(Date.parse(String(shown.now))).toBeGreaterThan(Date.now() + 5 * DAY_MS);
    expect((await clock({ offsetMs: 0 })).body.offsetMs).toBe(0);
    expect((await functionTime()).now).toBeLessThanOrEqual(Date.now());
  });

  it('refuses a body that says neither how far to move nor where to set it, and keeps the offset', async () => {
    await clock({ offsetMs: 1000 });
    for (const body of [
      {},
      { advanceSeconds: 'a day' },
      { offsetMs: 1.5 },
      { advanceSeconds: 1, offsetMs: 2 },
    ]) {
      const refused = await clock(body);
      expect(refused.status).toBe(400);
      expect(refused.type).toBe('application/problem+json');
      expect(refused.body.detail).toMatch(/advanceSeconds/);
    }
    expect((await clock()).body.offsetMs).toBe(1000);
  });
});
