import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { QueueName } from '../../shared/topology';
import { queues } from '../../shared/topology';
import { forward } from './forward';
import { listenOnLoopback } from './free-port';
import type { LocalIam } from './local-iam';
import { actionRefusal, callerArn } from './local-iam';
import { localNames } from './local-names';

/**
 * Counts the AWS API calls the functions make, by service and operation, as a bill would: the
 * bench reads them before and after a workload (`GET /_local/aws-calls`) to give calls per change.
 * Lambda's own polling of SQS (the event source mapping) is not a function's call and not counted.
 */
export class AwsCallCounter {
  private readonly counts = new Map<string, number>();
  private readonly callers = new Map<string, number>();

  /** `caller`: the function whose credentials (or tenant session) made the call, when known. */
  count(service: string, operation: string, caller?: string): void {
    const key = `${service}.${operation || 'unknown'}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const by = `${caller ?? 'runtime'}:${service}`;
    this.callers.set(by, (this.callers.get(by) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** The same calls by caller and service (`syncWorkItems:DynamoDB`): where a workload's calls go. */
  byCaller(): Record<string, number> {
    return Object.fromEntries([...this.callers.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** The operation an AWS JSON-protocol request names (`X-Amz-Target: DynamoDB_20120810.GetItem`). */
export const operationOf = (req: IncomingMessage): string =>
  String(req.headers['x-amz-target'] ?? '')
    .split('.')
    .pop() ?? '';

/** The topology queue a queue URL or name is, if any (`…/000000000000/hub-sync`). */
function topologyQueue(urlOrName: string): QueueName | undefined {
  const name = urlOrName.split('/').pop() ?? '';
  return (Object.keys(queues) as QueueName[]).find((q) => localNames.queue(q) === name);
}

/** Why the signer of an SQS request may not make it, or null (JSON protocol, or the query protocol's form). */
export function sqsRefusal(iam: LocalIam, req: IncomingMessage, body: Buffer): string | null {
  const principal = iam.principalOfRequest(req.headers.authorization);
  if (!principal) return 'the access key is not one the runtime issued';
  if (principal.kind === 'runtime') return null;
  const text = body.toString('utf8');
  let input: Record<string, unknown> = {};
  let operation = operationOf(req);
  if (operation) {
    try {
      input = JSON.parse(text || '{}') as Record<string, unknown>;
    } catch {
      // The server answers malformed JSON itself.
    }
  } else {
    const form = new URLSearchParams(text);
    operation = form.get('Action') ?? '';
    input = Object.fromEntries(form.entries());
  }
  const queue = topologyQueue(String(input.QueueUrl ?? input.QueueName ?? ''));
  return actionRefusal(principal, `sqs:${operation}`, queue);
}

/**
 * A pass-through proxy that counts each request, for a server the functions reach directly (SQS),
 * and, with `iam`, refuses what the signer's declared access does not allow, in SQS's own shape.
 */
export async function countingProxy(
  targetEndpoint: string,
  service: string,
  counter: AwsCallCounter,
  iam?: LocalIam,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const target = new URL(targetEndpoint);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      counter.count(
        service,
        operationOf(req) || new URLSearchParams((req.url ?? '').split('?')[1]).get('Action') || '',
      );
      const refusal = iam ? sqsRefusal(iam, req, body) : null;
      if (refusal) {
        iam?.onRefusal(`sqs: ${refusal}`);
        const principal = iam?.principalOfRequest(req.headers.authorization) ?? null;
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazon.coral.service#AccessDeniedException',
            message: `User: ${callerArn(principal)} is not authorized to perform: ${refusal}`,
          }),
        );
        return;
      }
      forward(target, req, res, body);
    });
  });
  return listenOnLoopback(server);
}
