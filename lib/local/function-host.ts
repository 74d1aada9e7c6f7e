import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FunctionName } from '../../shared/topology';
import { functions } from '../../shared/topology';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface ErrorInfo {
  name: string;
  message: string;
}

/** An error thrown by a handler, carried back from its execution environment. */
export class InvocationError extends Error {
  /** Each record's error, when the handler failed a whole batch. */
  readonly recordErrors: readonly ErrorInfo[];

  constructor(functionName: string, info: CarriedError) {
    super(`${functionName}: ${info.message}`);
    this.name = info.name;
    if (info.stack) this.stack = info.stack;
    this.recordErrors = info.recordErrors ?? [];
  }
}

type CarriedError = ErrorInfo & { stack?: string; recordErrors?: readonly ErrorInfo[] };

/** What crosses from an execution environment of a thrown error (a structured-clone-safe copy). */
export function errorInfo(error: unknown): CarriedError {
  const e = error as Error & { recordErrors?: unknown };
  // A batch that failed whole (Powertools' FullBatchFailureError) names each record's error.
  const recordErrors = Array.isArray(e?.recordErrors)
    ? e.recordErrors.map((r: Error) => ({ name: String(r?.name), message: String(r?.message) }))
    : undefined;
  return { name: String(e?.name), message: String(e?.message ?? error), stack: e?.stack, recordErrors };
}

const MAX_LOGGED_RECORDS = 5;
const MAX_LOGGED_MESSAGE = 300;

/**
 * One log line for a failed invocation: its message, then each failed record's error name and
 * message, bounded (a message may quote input, so no record's payload is logged whole).
 */
export function describeFailure(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const cut = (text: string) => {
    const line = text.replace(/\s+/g, ' ');
    return line.length > MAX_LOGGED_MESSAGE ? `${line.slice(0, MAX_LOGGED_MESSAGE)}…` : line;
  };
  const records = e instanceof InvocationError ? e.recordErrors : [];
  const listed = records
    .slice(0, MAX_LOGGED_RECORDS)
    .map((r, i) => ` [record ${i + 1}] ${r.name}: ${cut(r.message)}`);
  const more =
    records.length > MAX_LOGGED_RECORDS ? ` (and ${records.length - MAX_LOGGED_RECORDS} more)` : '';
  return `${cut(e.message)}${listed.join('')}${more}`;
}

class Environment {
  private readonly pending = new Map<number, Pending & { event: unknown }>();
  private nextId = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private worker: Worker;
  ready: Promise<void>;

  constructor(
    readonly name: FunctionName,
    private readonly spawn: () => Worker,
  ) {
    this.worker = spawn();
    this.ready = this.attach(this.worker);
  }

  private attach(worker: Worker): Promise<void> {
    const name = this.name;
    return new Promise((ready, failed) => {
      worker.on('message', (message: Record<string, unknown>) => {
        if (message.ready) return ready();
        if (message.initError) return failed(new InvocationError(name, message.initError as Error));
        const pending = this.pending.get(message.id as number);
        if (!pending) return;
        this.pending.delete(message.id as number);
        if (message.error) pending.reject(new InvocationError(name, message.error as Error));
        else pending.resolve(message.result);
      });
      worker.on('error', (error) => {
        failed(error);
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
      });
    });
  }

  /** Invocations run one after another, as in one Lambda execution environment. */
  invoke(event: unknown): Promise<unknown> {
    const run = this.tail.then(
      () =>
        new Promise((resolve, reject) => {
          const id = this.nextId++;
          this.pending.set(id, { resolve, reject, event });
          this.worker.postMessage({ id, event });
        }),
    );
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Kills the environment mid-invocation and starts a new one (a cold start), which is handed the
   * invocation that was running, as the event source hands a batch whose environment died to the
   * next one (SQS after the visibility timeout; here at once). Answers how many were in flight.
   */
  async restart(): Promise<number> {
    const old = this.worker;
    this.worker = this.spawn();
    this.ready = this.attach(this.worker);
    old.removeAllListeners('message');
    await old.terminate();
    await this.ready;
    for (const [id, p] of this.pending) this.worker.postMessage({ id, event: p.event });
    return this.pending.size;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * Plays one Lambda execution environment per function, each in its own worker thread: the
 * handler module and everything it imports are loaded once per environment (its init is a cold
 * start), so module-level state such as logger keys is never shared between functions, and
 * invocations of one function run one at a time.
 */
export class FunctionHost {
  private readonly environments = new Map<FunctionName, Environment>();

  /**
   * `environment` gives each function's execution environment its own variables (its credentials and
   * what its access names), as Lambda does; without it, environments inherit this process's.
   */
  constructor(
    private readonly root: string,
    private readonly environment?: (name: FunctionName) => Readonly<Record<string, string>>,
  ) {}

  private environmentOf(name: FunctionName): Environment {
    let env = this.environments.get(name);
    if (!env) {
      const spawn = () =>
        new Worker(new URL('./function-worker.ts', import.meta.url), {
          workerData: { name, entryPath: resolve(this.root, functions[name].entry), spec: functions[name] },
          ...(this.environment ? { env: { ...this.environment(name) } } : {}),
        });
      env = new Environment(name, spawn);
      this.environments.set(name, env);
    }
    return env;
  }

  /** Starts every environment now, so the first requests do not pay for the cold starts. */
  async warm(): Promise<void> {
    await Promise.all(
      (Object.keys(functions) as FunctionName[]).map((name) => this.environmentOf(name).ready),
    );
  }

  async invoke(name: FunctionName, event: unknown): Promise<unknown> {
    const env = this.environmentOf(name);
    await env.ready;
    return env.invoke(event);
  }

  /** Kills a function's environment mid-work and starts it again (the fault drill's `POST /_local/functions/<name>/restart`). */
  async restart(name: FunctionName): Promise<number> {
    return this.environmentOf(name).restart();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.environments.values()].map((env) => env.terminate()));
    this.environments.clear();
  }
}
