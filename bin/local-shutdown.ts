/**
 * How `npm start` ends: whatever ends it — Ctrl-C, SIGTERM, a closed terminal (SIGHUP), a closed
 * output pipe (`npm start | head`: EPIPE on the next write), its parent dying (npm killed), an
 * uncaught error — the runtime is
 * stopped first, so DynamoDB Local and the other children never outlive it.
 */
export interface Lifecycle {
  /** Writes a line to stdout, or nowhere once stdout is gone. */
  readonly log: (line: string) => void;
  /** Stops the runtime when the process is asked to end, then exits. */
  stopOnEveryEnding(stop: () => Promise<void>): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function localLifecycle(proc: NodeJS.Process = process): Lifecycle {
  let outputGone = false;
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;
  // Why the process ends, if it was asked to before the runtime had started.
  let pending: { reason: string; code: number } | undefined;

  const log = (line: string) => {
    if (outputGone || !proc.stdout.writable) return;
    proc.stdout.write(`[hub] ${line}\n`);
  };

  const end = (reason: string, code: number) => {
    if (!stop) {
      pending ??= { reason, code };
      return;
    }
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping`);
    stop()
      .then(
        () => log('stopped'),
        (error: unknown) => {
          code = 1;
          if (!outputGone) proc.stderr.write(`[hub] could not stop cleanly: ${(error as Error).message}\n`);
        },
      )
      .finally(() => proc.exit(code));
  };

  // A reader that went away makes every later write fail: stop, and write nothing more.
  const onOutputError = (error: NodeJS.ErrnoException) => {
    outputGone = true;
    end(`output closed (${error.code ?? error.message})`, 0);
  };
  proc.stdout.on('error', onOutputError);
  proc.stderr.on('error', onOutputError);
  for (const signal of SIGNALS) proc.on(signal, () => end(signal, 0));
  // A parent that died without passing a signal on (npm killed, a supervisor gone) leaves this
  // process to init: that too is an ending, or the hub and DynamoDB Local would serve on, orphaned.
  const parent = proc.ppid;
  const orphaned = setInterval(() => {
    if (proc.ppid !== parent) end('parent process gone', 0);
  }, 1000);
  orphaned.unref();
  proc.on('uncaughtException', (error) => {
    if (!outputGone) proc.stderr.write(`[hub] ${error.stack ?? error.message}\n`);
    end('uncaught error', 1);
  });
  proc.on('unhandledRejection', (reason) => {
    if (!outputGone) proc.stderr.write(`[hub] unhandled rejection: ${String(reason)}\n`);
    end('unhandled rejection', 1);
  });

  return {
    log,
    stopOnEveryEnding(stopRuntime) {
      stop = stopRuntime;
      if (pending) end(pending.reason, pending.code);
    },
  };
}
