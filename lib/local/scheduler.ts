import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../shared/ports/clock';
import { systemClock } from '../../shared/ports/clock';
import type { ScheduleName } from '../../shared/topology';
import { schedules } from '../../shared/topology';
import type { FunctionHost } from './function-host';
import type { LocalEndpoint } from './http-gateway';
import { localNames } from './local-names';
import type { Poller } from './sqs-poller';

/** The event EventBridge Scheduler sends a Lambda target, stamped with the hub's (possibly moved) time. */
function scheduledEvent(name: ScheduleName, clock: Clock) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.scheduler',
    account: localNames.account,
    time: clock
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z'),
    region: localNames.region,
    resources: [`arn:aws:scheduler:${localNames.region}:${localNames.account}:schedule/default/${name}`],
    detail: '{}',
  };
}

/**
 * Plays EventBridge Scheduler: runs each topology schedule's function at its rate, on real timers
 * (a moved clock changes what the functions find due, not how often they run).
 */
export function startScheduler(deps: {
  host: FunctionHost;
  clock?: Clock;
  onError: (name: string, e: unknown) => void;
}): Poller {
  const timers = (Object.keys(schedules) as ScheduleName[]).map((name) =>
    setInterval(() => {
      deps.host
        .invoke(schedules[name].function, scheduledEvent(name, deps.clock ?? systemClock))
        .catch((e: unknown) => deps.onError(name, e));
    }, schedules[name].everyMinutes * 60_000),
  );
  return {
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
    },
  };
}

/**
 * `POST /_local/schedules/{name}` runs a schedule now and answers with its function's result,
 * so a developer (or a test) need not wait for the next tick. Local only: AWS has no such route.
 */
export function scheduleEndpoints(host: FunctionHost, clock: Clock = systemClock): LocalEndpoint[] {
  return (Object.keys(schedules) as ScheduleName[]).map((name) => ({
    method: 'POST',
    path: `/_local/schedules/${name}`,
    handle: async (_req: IncomingMessage, res: ServerResponse) => {
      try {
        const result = await host.invoke(schedules[name].function, scheduledEvent(name, clock));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result ?? null));
      } catch (error) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: (error as Error).message }));
      }
    },
  }));
}
