import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Alive and not a zombie (exited, waiting to be reaped). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Starts the fixture; resolves once it is ready, with the pid of the child it must not leave behind. */
async function start() {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test', 'support', 'lifecycle-fixture.ts')],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let stderr = '';
  let stdout = '';
  const childPid = await new Promise<number>((ready, failed) => {
    let pid: number | undefined;
    const check = () => {
      pid ??= Number(/child (\d+)/.exec(stderr)?.[1] ?? Number.NaN) || undefined;
      if (pid && stdout.includes('[hub] ready')) ready(pid);
    };
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      check();
    });
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      check();
    });
    void exited.then((code) => failed(new Error(`exited with ${code} before it was ready: ${stderr}`)));
  });
  return { proc, exited, childPid, output: () => stdout };
}

const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
});

describe('`npm start` stops its children however it ends', () => {
  it('when its output pipe closes (`npm start | head`): the next write stops everything', async () => {
    const { proc, exited, childPid } = await start();
    procs.push(proc);
    expect(alive(childPid)).toBe(true);
    proc.stdout.destroy();
    proc.stdin.write('a line after the reader went away\n');
    expect(await exited).toBe(0);
    expect(alive(childPid)).toBe(false);
  });

  it.each(['SIGHUP', 'SIGTERM', 'SIGINT'] as const)('on %s, as on Ctrl-C', async (signal) => {
    const { proc, exited, childPid, output } = await start();
    procs.push(proc);
    proc.kill(signal);
    expect(await exited).toBe(0);
    expect(alive(childPid)).toBe(false);
    expect(output()).toContain(`${signal}: stopping`);
    expect(output()).toContain('stopped');
  });

  it('when its parent dies without passing a signal on (npm killed): it stops, orphaned', async () => {
    // A shell in npm's place, killed outright: the fixture is left to init.
    const fixture = join(ROOT, 'test', 'support', 'lifecycle-fixture.ts');
    const parent = spawn('sh', ['-c', `"${process.execPath}" --import tsx "${fixture}" & wait`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push(parent);
    let stderr = '';
    let stdout = '';
    const closed = new Promise<void>((r) => parent.stdout.once('close', () => r()));
    parent.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    const pids = await new Promise<{ self: number; child: number }>((ready) => {
      const check = () => {
        const self = Number(/self (\d+)/.exec(stderr)?.[1]);
        const child = Number(/child (\d+)/.exec(stderr)?.[1]);
        if (self && child && stdout.includes('[hub] ready')) ready({ self, child });
      };
      parent.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        check();
      });
      parent.stdout.on('data', check);
    });
    parent.kill('SIGKILL');
    // Its stdout closes when the fixture, its last writer, has exited.
    await closed;
    // Its pipe closes as it exits; the process itself is gone a moment later (left to init, it
    // may linger as a zombie until reaped: exited all the same).
    const deadline = Date.now() + 10_000;
    while (running(pids.self) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(running(pids.self)).toBe(false);
    expect(running(pids.child)).toBe(false);
    expect(stdout).toContain('parent process gone: stopping');
    expect(stdout).toContain('stopped');
  });
});
