import * as adapters from '../../adapters/wiring';
import type { Clock } from '../../ports/clock';
import type { QueueWorkerDeps } from '../../queues/queue-worker';

/**
 * The failure policy's deps for the notify workers: as every queue worker's, on the hub's clock,
 * without marking connections (a delivery's failures are an endpoint's, never a connection's).
 */
export const workerDeps = (queue: string, clock: Clock): QueueWorkerDeps => ({
  queue,
  deadLetters: adapters.deadLetterStore(),
  queues: adapters.messageQueues(),
  audit: adapters.auditStore(),
  clock,
  tenants: adapters.tenantDirectory(),
});
