import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
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

export interface RuntimeOptions {
  dataDir?: string;
  workers?: boolean;
  env?: Record<string, string>;
  /** Its own runtime even when the run shares one (a test that stops, restarts or reads it whole). */
  own?: boolean;
}

/**
 * A runtime for an end-to-end file. Files that need nothing special share one runtime per jest run
 * (`test/support/e2e-global-setup.cjs` makes the place they meet): each creates its own orgs, and
 * tenancy keeps them apart, so starting DynamoDB Local and the runtime once saves minutes. Files
 * with options, or `own: true`, get their own.
 */
export async function startRuntime(options: RuntimeOptions = {}): Promise<RuntimeProcess> {
  const { own, ...rest } = options;
  const sharedDir = process.env.HUB_E2E_SHARED_DIR;
  if (!own && Object.keys(rest).length === 0 && sharedDir) return sharedRuntime(sharedDir);
  return ownRuntime(rest);
}

const SHARED_READY_MS = 180_000;
const logFd = (file: string) => openSync(file, 'a');

/** The run's shared runtime: the first file to ask starts it, the others wait for its address. */
async function sharedRuntime(dir: string): Promise<RuntimeProcess> {
  const info = join(dir, 'runtime.json');
  const log = join(dir, 'output.log');
  let starter = false;
  try {
    closeSync(openSync(join(dir, 'lock'), 'wx'));
    starter = true;
  } catch {
    starter = false;
  }
  if (starter) {
    try {
      const runtime = await ownRuntime({}, log);
      writeFileSync(join(dir, 'pid'), String(runtime.child.pid ?? ''));
      writeFileSync(
        info,
        JSON.stringify({ url: runtime.url, dataDir: runtime.dataDir, adminKey: runtime.adminKey }),
      );
      return shared(runtime.url, runtime.dataDir, runtime.adminKey, runtime.child, log);
    } catch (error) {
      writeFileSync(join(dir, 'failed'), String(error));
      throw error;
    }
  }
  const deadline = Date.now() + SHARED_READY_MS;
  while (!existsSync(info)) {
    if (existsSync(join(dir, 'failed'))) throw new Error(readFileSync(join(dir, 'failed'), 'utf8'));
    if (Date.now() > deadline) throw new Error('the shared runtime did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const { url, dataDir, adminKey } = JSON.parse(readFileSync(info, 'utf8')) as Record<string, string>;
  return shared(String(url), String(dataDir), String(adminKey), undefined, log);
}

function shared(
  url: string,
  dataDir: string,
  adminKey: string,
  child: ChildProcess | undefined,
  log: string,
) {
  return {
    url,
    dataDir,
    adminKey,
    // Only the file that started it holds the process; no file may stop what others still use.
    get child(): ChildProcess {
      if (!child)
        throw new Error('this file shares the runtime: start it with { own: true } to hold its process');
      return child;
    },
    output: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    stop: async () => null,
  } satisfies RuntimeProcess;
}

/** Starts `npm start`'s entry point as a user would, on a free port, and waits until it is ready. */
async function ownRuntime(
  options: Omit<RuntimeOptions, 'own'>,
  /** Where its output goes instead of a pipe: a runtime the file must not hold open (the shared one). */
  logFile?: string,
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
      stdio: logFile ? ['ignore', logFd(logFile), logFd(logFile)] : ['ignore', 'pipe', 'pipe'],
    },
  );
  let piped = '';
  child.stdout?.on('data', (c: Buffer) => {
    piped += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    piped += c.toString();
  });
  const output = logFile ? () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') : () => piped;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((ready, failed) => {
    const timer = setTimeout(() => failed(new Error(`runtime did not become ready:\n${output()}`)), 120_000);
    const poll = setInterval(() => {
      if (!output().includes('[hub] ready:')) return;
      clearTimeout(timer);
      clearInterval(poll);
      ready();
    }, 50);
    void exited.then((code) => {
      clearTimeout(timer);
      clearInterval(poll);
      failed(new Error(`runtime exited with ${code} before it was ready:\n${output()}`));
    });
  });
  // A runtime writing to a file is not held by this process: jest's worker may exit without it.
  if (logFile) child.unref();
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    adminKey: readFileSync(join(dataDir, ADMIN_KEY_FILE), 'utf8').trim(),
    child,
    output,
    stop: async (signal = 'SIGINT') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the `hub` CLI against a runtime; returns its exit code and output. */
export function runCli(
  runtime: RuntimeProcess,
  args: string[],
  token?: string,
  env: Readonly<Record<string, string>> = {},
) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'hub-cli.ts'), ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      HUB_URL: runtime.url,
      HUB_DATA_DIR: runtime.dataDir,
      ...(token ? { HUB_TOKEN: token } : {}),
      ...env,
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
