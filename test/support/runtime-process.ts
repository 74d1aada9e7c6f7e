import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY_FILE } from '../../lib/local/data-files';
import { freePort } from '../../lib/local/free-port';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RuntimeProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly adminKey: string;
  readonly child: ChildProcess;
  output(): string;
  /** Ctrl-C: resolves with the exit code once the runtime has stopped. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `npm start`'s entry point as a user would, on a free port, and waits until it is ready. */
export async function startRuntime(
  options: { dataDir?: string; workers?: boolean; env?: Record<string, string> } = {},
): Promise<RuntimeProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hub-e2e-'));
  const port = await freePort();
  // One process, as `npm start` runs it: a signal reaches the runtime itself.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--disable-warning=ExperimentalWarning', join(ROOT, 'bin', 'local.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        HUB_PORT: String(port),
        HUB_DATA_DIR: dataDir,
        HUB_WORKERS: options.workers === false ? 'off' : 'on',
        // Functions load on first use, as Lambda cold-starts them: several runtimes start side by side in CI.
        HUB_WARM: 'off',
        POWERTOOLS_LOG_LEVEL: 'WARN',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((ready, failed) => {
    const timer = setTimeout(() => failed(new Error(`runtime did not become ready:\n${output}`)), 120_000);
    const check = () => {
      if (output.includes('[hub] ready:')) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        ready();
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      failed(new Error(`runtime exited with ${code} before it was ready:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    adminKey: readFileSync(join(dataDir, ADMIN_KEY_FILE), 'utf8').trim(),
    child,
    output: () => output,
    stop: async (signal = 'SIGINT') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the `hub` CLI against a runtime; returns its exit code and output. */
export function runCli(runtime: RuntimeProcess, args: string[], token?: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'hub-cli.ts'), ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      HUB_URL: runtime.url,
      HUB_DATA_DIR: runtime.dataDir,
      ...(token ? { HUB_TOKEN: token } : {}),
    },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A small HTTP client for the hub API. */
export function client(runtime: RuntimeProcess, token: string = runtime.adminKey) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${runtime.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { text };
    }
    return { status: res.status, headers: res.headers, json, text };
  };
}

/** Waits until `probe` returns a value, polling; fails after `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
