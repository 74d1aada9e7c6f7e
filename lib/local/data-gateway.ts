import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { partitionKeysOf } from '../../shared/adapters/dynamodb/tenant-routing-client';
import type { AwsCallCounter } from './aws-calls';
import { operationOf } from './aws-calls';
import type { TenantSession } from './aws-emulator';
import { forward } from './forward';
import { listenOnLoopback } from './free-port';

/** DynamoDB operations that only read. A tenant session may write a platform pointer, never read one. */
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/**
 * Why a tenant session's request is refused, or null when the tenant data role's policy would
 * allow it: every partition key under `T#<tenant>#` (platform `P#` keys for writes only), and at
 * least one key named (no Scan).
 */
export function tenantRefusal(
  operation: string,
  input: Record<string, unknown>,
  tenant: string,
): string | null {
  const keys = partitionKeysOf(input);
  if (keys.length === 0) return `${operation} names no partition key`;
  for (const pk of keys) {
    if (pk.startsWith(`T#${tenant}#`)) continue;
    if (pk.startsWith('P#') && !READS.has(operation)) continue;
    return `${operation} on ${pk} is outside tenant ${tenant}`;
  }
  return null;
}

/**
 * Stands in front of DynamoDB Local as IAM stands in front of DynamoDB: a request signed with a
 * tenant session (from the local STS) is held to the tenant data role's `LeadingKeys` policy and
 * refused with AccessDeniedException otherwise. Other credentials pass through unchanged.
 */
export async function startDataGateway(deps: {
  dynamodbEndpoint: string;
  sessions: ReadonlyMap<string, TenantSession>;
  onRefusal?: (reason: string) => void;
  calls?: AwsCallCounter;
}): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const target = new URL(deps.dynamodbEndpoint);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const session = deps.sessions.get(accessKeyId);
      deps.calls?.count('DynamoDB', operationOf(req));
      if (session) {
        const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        let input: Record<string, unknown> = {};
        try {
          input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          // DynamoDB Local answers malformed JSON itself.
        }
        const refusal = tenantRefusal(operation, input, session.tenant);
        if (refusal) {
          deps.onRefusal?.(refusal);
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException',
              message: `User: ${session.roleArn} is not authorized to perform: dynamodb:${operation} (${refusal})`,
            }),
          );
          return;
        }
      }
      forward(target, req, res, body);
    });
  });
  return listenOnLoopback(server);
}
