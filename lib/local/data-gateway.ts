import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AwsCallCounter } from './aws-calls';
import { operationOf } from './aws-calls';
import { forward } from './forward';
import { listenOnLoopback } from './free-port';
import type { LocalIam, Principal, TenantSession } from './local-iam';
import { accessKeyIdOf, callerArn, itemActions, itemRefusal, tenantRoleRefusal } from './local-iam';

/** The item-level operations IAM evaluates by key; any other call (DescribeTable, …) is the runtime's alone. */
const ITEM_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);

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
  for (const action of itemActions(operation, input)) {
    const refusal = tenantRoleRefusal(action, tenant);
    if (refusal) return refusal;
  }
  return null;
}

/** Why the principal may not send this request, or null when its declared access allows all of it. */
export function requestRefusal(
  principal: Principal | null,
  operation: string,
  input: Record<string, unknown>,
): string | null {
  if (!principal) return 'the access key is not one the runtime issued';
  if (principal.kind === 'runtime') return null;
  if (!ITEM_OPERATIONS.has(operation)) return `${operation} is not a data call a function may make`;
  const actions = itemActions(operation, input);
  if (actions.length === 0) return `${operation} names no item`;
  for (const action of actions) {
    const refusal = itemRefusal(principal, action);
    if (refusal) return refusal;
  }
  return null;
}

/**
 * Stands in front of DynamoDB Local as IAM stands in front of DynamoDB. With `iam`, every request
 * is held to its signer's declared access (a function's own role: platform items, and only its
 * pointer types for writes; a tenant session: its tenant's keys, within what the function that
 * assumed it declared) and refused with AccessDeniedException otherwise. Without `iam`, only
 * tenant sessions are held to the tenant data role's `LeadingKeys` policy.
 */
export async function startDataGateway(deps: {
  dynamodbEndpoint: string;
  sessions?: ReadonlyMap<string, TenantSession>;
  iam?: LocalIam;
  onRefusal?: (reason: string) => void;
  calls?: AwsCallCounter;
}): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const target = new URL(deps.dynamodbEndpoint);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = operationOf(req);
      const accessKeyId = accessKeyIdOf(req.headers.authorization);
      const session = deps.sessions?.get(accessKeyId);
      const principal: Principal | null | undefined = deps.iam
        ? deps.iam.principalOf(accessKeyId)
        : session
          ? { kind: 'session', session }
          : undefined;
      deps.calls?.count(
        'DynamoDB',
        operation,
        principal?.kind === 'function'
          ? principal.name
          : principal?.kind === 'session'
            ? principal.session.assumedBy
            : undefined,
      );
      if (principal !== undefined) {
        let input: Record<string, unknown> = {};
        try {
          input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          // DynamoDB Local answers malformed JSON itself.
        }
        const refusal = deps.iam
          ? requestRefusal(principal, operation, input)
          : tenantRefusal(operation, input, session?.tenant ?? '');
        if (refusal) {
          deps.onRefusal?.(refusal);
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException',
              message: `User: ${callerArn(principal)} is not authorized to perform: dynamodb:${operation} (${refusal})`,
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
