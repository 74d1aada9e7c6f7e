import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { forward } from './forward';
import { listenOnLoopback } from './free-port';

/**
 * Counts the AWS API calls the functions make, by service and operation, as a bill would: the
 * bench reads them before and after a workload (`GET /_local/aws-calls`) to give calls per change.
 * Lambda's own polling of SQS (the event source mapping) is not a function's call and not counted.
 */
export class AwsCallCounter {
  private readonly counts = new Map<string, number>();

  count(service: string, operation: string): void {
    const key = `${service}.${operation || 'unknown'}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** The operation an AWS JSON-protocol request names (`X-Amz-Target: DynamoDB_20120810.GetItem`). */
export const operationOf = (req: IncomingMessage): string =>
  String(req.headers['x-amz-target'] ?? '')
    .split('.')
    .pop() ?? '';

/** A pass-through proxy that counts each request, for a server the functions reach directly (SQS). */
export async function countingProxy(
  targetEndpoint: string,
  service: string,
  counter: AwsCallCounter,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const target = new URL(targetEndpoint);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    counter.count(
      service,
      operationOf(req) || new URLSearchParams((req.url ?? '').split('?')[1]).get('Action') || '',
    );
    forward(target, req, res);
  });
  return listenOnLoopback(server);
}
