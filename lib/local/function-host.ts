import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FunctionName } from '../../shared/topology';
import { functions, queues } from '../../shared/topology';

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

/**
 * One execution environment: a worker thread, replaced whole by `restart`. Its readiness outlives
 * any one worker — an invocation waiting for a worker that is killed while it loads is handed to
 * the next, never left waiting for a `ready` that will not come.
 */
export class Environment {
  private readonly pending = new Map<number, Pending & { event: unknown; worker: Worker }>();
  private nextId = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private worker: Worker;
  private generation: Promise<void>;

  constructor(
    readonly name: FunctionName,
    private readonly spawn: () => Worker,
  ) {
    this.worker = spawn();
    this.generation = this.attach(this.worker);
    this.generation.catch(() => undefined);
  }

  /** Settles when the current worker has loaded its handler (or failed to), whichever worker that is by then. */
  get ready(): Promise<void> {
    const current = this.generation;
    return current.then(
      () => (current === this.generation ? undefined : this.ready),
      (error) => (current === this.generation ? Promise.reject(error) : this.ready),
    );
  }

  private attach(worker: Worker): Promise<void> {
    const name = this.name;
    return new Promise((ready, failed) => {
      worker.on('message', (message: Record<string, unknown>) => {
        if (worker !== this.worker) return;
        if (message.ready) return ready();
        if (message.initError) {
          const error = new InvocationError(name, message.initError as Error);
          for (const p of this.pending.values()) p.reject(error);
          this.pending.clear();
          return failed(error);
        }
        const pending = this.pending.get(message.id as number);
        if (!pending) return;
        this.pending.delete(message.id as number);
        if (message.error) pending.reject(new InvocationError(name, message.error as Error));
        else pending.resolve(message.result);
      });
      worker.on('error', (error) => {
        // A worker already replaced (killed by `restart`) no longer owns the invocations.
        if (worker !== this.worker) return;
        failed(error);
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
      });
      worker.once('exit', (code) => {
        // A killed worker that had not loaded yet: its waiters follow the next one (see `ready`).
        if (worker !== this.worker) return ready();
        const error = new Error(`${name}: its execution environment exited (code ${code})`);
        failed(error);
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
      });
    });
  }

  /** Invocations run one after another, as in one Lambda execution environment. */
  invoke(event: unknown): Promise<unknown> {
    const run = this.tail.then(async () => {
      await this.ready;
      return new Promise((resolve, reject) => {
        const id = this.nextId++;
        this.pending.set(id, { resolve, reject, event, worker: this.worker });
        this.worker.postMessage({ id, event });
      });
    });
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
    this.generation = this.attach(this.worker);
    this.generation.catch(() => undefined);
    await old.terminate();
    await this.ready;
    const handedOver = [...this.pending].filter(([, p]) => p.worker === old);
    for (const [id, p] of handedOver) {
      p.worker = this.worker;
      this.worker.postMessage({ id, event: p.event });
    }
    return handedOver.length;
  }

  /** Invocations handed to it and not yet settled (kept by the host, which picks the environment). */
  inFlight = 0;

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * The execution environments a function may have at once: one, or as many as the pollers of the
 * queue it consumes run side by side (`localConcurrency`) — in AWS, Lambda adds environments as
 * the queue needs them, so one slow batch (a 15 s endpoint) never holds up the next.
 */
function maxEnvironments(name: FunctionName): number {
  const consumed = Object.values(queues).filter((q) => q.consumer === name);
  return Math.max(1, ...consumed.map((q) => ('localConcurrency' in q ? q.localConcurrency : 1)));
}

/**
 * Plays Lambda execution environments per function, each in its own worker thread: the handler
 * module and everything it imports are loaded once per environment (its init is a cold start),
 * so module-level state such as logger keys is never shared between functions, and invocations of
 * one environment run one at a time. A function gets another environment only while all it has
 * are busy, up to its queue's local concurrency.
 */
export class FunctionHost {
  private readonly environments = new Map<FunctionName, Environment[]>();

  /**
   * `environment` gives each function's execution environment its own variables (its credentials and
   * what its access names), as Lambda does; without it, environments inherit this process's.
   */
  constructor(
    private readonly root: string,
    private readonly environment?: (name: FunctionName) => Readonly<Record<string, string>>,
  ) {}

  private spawnEnvironment(name: FunctionName): Environment {
    const spawn = () =>
      new Worker(new URL('./function-worker.ts', import.meta.url), {
        workerData: { name, entryPath: resolve(this.root, functions[name].entry), spec: functions[name] },
        ...(this.environment ? { env: { ...this.environment(name) } } : {}),
      });
    const env = new Environment(name, spawn);
    const pool = this.environments.get(name) ?? [];
    pool.push(env);
    this.environments.set(name, pool);
    return env;
  }

  /** An idle environment of the function, a new one while it may have more, or the least busy. */
  private environmentOf(name: FunctionName): Environment {
    const pool = this.environments.get(name) ?? [];
    const idle = pool.find((env) => env.inFlight === 0);
    if (idle) return idle;
    if (pool.length < maxEnvironments(name)) return this.spawnEnvironment(name);
    return pool.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
  }

  /** Starts every environment now (all a queue consumer may have), so no request pays for a cold start. */
  async warm(): Promise<void> {
    await Promise.all(
      (Object.keys(functions) as FunctionName[]).flatMap((name) => {
        while ((this.environments.get(name)?.length ?? 0) < maxEnvironments(name))
          this.spawnEnvironment(name);
        return (this.environments.get(name) ?? []).map((env) => env.ready);
      }),
    );
  }

  async invoke(name: FunctionName, event: unknown): Promise<unknown> {
    const env = this.environmentOf(name);
    // Counted busy from now: a second invocation while this one loads gets another environment.
    const run = env.invoke(event);
    env.inFlight++;
    return run.finally(() => {
      env.inFlight--;
    });
  }

  /** Kills a function's environments mid-work and starts them again (the fault drill's `POST /_local/functions/<name>/restart`). */
  async restart(name: FunctionName): Promise<number> {
    const pool = this.environments.get(name) ?? [this.environmentOf(name)];
    const counts = await Promise.all(pool.map((env) => env.restart()));
    return counts.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.environments.values()].flat().map((env) => env.terminate()));
    this.environments.clear();
  }
}
