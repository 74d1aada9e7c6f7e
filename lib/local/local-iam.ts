import type {
  FunctionName,
  PlatformPointer,
  QueueName,
  ResourceAccess,
  TableName,
} from '../../shared/topology';
import {
  CUSTOM_AUTH_ACTIONS,
  functions,
  platformPointers,
  pointerPrefixesOf,
  queues,
  usesTenantData,
} from '../../shared/topology';
import { declaredAccess } from '../function-access';
import { localNames } from './local-names';

/**
 * IAM on one machine: each function signs its AWS calls with credentials of its own, and the local
 * emulators ask this module, before they act, whether the function's declared access allows the
 * call — refusing it as IAM would (`AccessDeniedException`) otherwise. The runtime's own
 * credentials (pollers, the stream poller, bootstrap, health probes) are not restricted.
 */

/** A session of the tenant data role: the tenant its tag names, and the function that assumed it. */
export interface TenantSession {
  readonly tenant: string;
  readonly roleArn: string;
  /** Unset when the runtime's own credentials assumed it (then only the role's own policy applies). */
  readonly assumedBy?: FunctionName;
}

export type Principal =
  | { readonly kind: 'runtime' }
  | { readonly kind: 'function'; readonly name: FunctionName }
  | { readonly kind: 'session'; readonly session: TenantSession };

type ItemClass = 'read' | 'write' | 'append';
/** Which partition keys a grant covers: platform items, the function's pointer types, or the session's tenant. */
type KeyScope =
  | 'any'
  | 'platform'
  | 'pointers'
  | 'tenant'
  | { readonly tenantCollection: string }
  | { readonly platformPointer: PlatformPointer };

interface TableGrant {
  readonly table: TableName;
  readonly classes: readonly ItemClass[];
  readonly keys: KeyScope;
}

/** What one access kind allows locally, mirroring what hub-stack grants for it in AWS. */
export interface LocalGrant {
  /** DynamoDB with the function's own credentials. */
  readonly own: readonly TableGrant[];
  /** DynamoDB in a tenant session the function assumed (within the tenant data role's policy). */
  readonly session: readonly TableGrant[];
  /** Other actions (`kms:Encrypt`, `events:PutEvents`, …). */
  readonly actions: readonly string[];
}

const none: LocalGrant = { own: [], session: [], actions: [] };
const tenantItems = (classes: readonly ItemClass[]): TableGrant => ({
  table: 'domain',
  classes,
  keys: 'tenant',
});

// Keyed by `ResourceAccess`: a new access kind does not compile until it says what it allows here.
export const localGrants: Record<ResourceAccess, LocalGrant> = {
  'domain-table:read': {
    own: [{ table: 'domain', classes: ['read'], keys: 'platform' }],
    session: [tenantItems(['read'])],
    actions: [],
  },
  'domain-table:write': {
    own: [
      { table: 'domain', classes: ['read'], keys: 'platform' },
      { table: 'domain', classes: ['write'], keys: 'pointers' },
    ],
    session: [
      tenantItems(['read', 'write']),
      { table: 'domain', classes: ['write'], keys: 'pointers' },
      // A change's audit record, in the change's transaction.
      { table: 'audit', classes: ['append'], keys: 'tenant' },
    ],
    actions: [],
  },
  'audit-table:write': {
    own: [{ table: 'audit', classes: ['append'], keys: 'any' }],
    session: [{ table: 'audit', classes: ['append'], keys: 'tenant' }],
    actions: [],
  },
  'audit-table:read': {
    own: [],
    session: [{ table: 'audit', classes: ['read'], keys: 'tenant' }],
    actions: [],
  },
  'usage:count': {
    own: [],
    session: [{ table: 'domain', classes: ['read', 'write'], keys: { tenantCollection: 'USAGE' } }],
    actions: [],
  },
  'api-keys:record-use': {
    own: [],
    session: [{ table: 'domain', classes: ['write'], keys: { tenantCollection: 'APIKEY' } }],
    actions: [],
  },
  // The gate records each user session's use (and creates its record on its first request).
  'sessions:record': {
    own: [],
    session: [{ table: 'domain', classes: ['write'], keys: { tenantCollection: 'SESSION' } }],
    actions: [],
  },
  // The pre-token trigger binds each pool account to the hub user of its first token.
  'pool-accounts:bind': {
    own: [],
    session: [{ table: 'domain', classes: ['read', 'write'], keys: { tenantCollection: 'POOLACCT' } }],
    actions: [],
  },
  'tenant-role:assume': none,
  'idempotency-table:write': {
    own: [{ table: 'idempotency', classes: ['read', 'write'], keys: 'any' }],
    session: [],
    actions: [],
  },
  'event-bus:put': { ...none, actions: ['events:PutEvents'] },
  'secrets-key:encrypt': { ...none, actions: ['kms:Encrypt'] },
  'secrets-key:decrypt': { ...none, actions: ['kms:Decrypt'] },
  // The pool's JWKS is public: verifying tokens calls no AWS API.
  'user-pool:verify-tokens': none,
  'mail:send': { ...none, actions: ['ses:SendEmail'] },
  'queues:send': { ...none, actions: ['sqs:SendMessage', 'sqs:SendMessageBatch'] },
  'claims-bucket:write': { ...none, actions: ['s3:PutObject'] },
  'claims-bucket:read': { ...none, actions: ['s3:GetObject'] },
  // A purge lists a tenant's prefix and deletes what it finds.
  'claims-bucket:purge': { ...none, actions: ['s3:ListBucket', 's3:DeleteObject'] },
  'user-pool:sign-out': { ...none, actions: ['cognito-idp:AdminUserGlobalSignOut'] },
  'user-pool:mfa': { ...none, actions: ['cognito-idp:AdminSetUserMFAPreference'] },
  'user-pool:custom-auth': {
    ...none,
    own: [{ table: 'domain', classes: ['append'], keys: { platformPointer: 'signInGrants' } }],
    actions: [...CUSTOM_AUTH_ACTIONS],
  },
  'sign-in-grants:spend': {
    ...none,
    own: [{ table: 'domain', classes: ['read', 'write'], keys: { platformPointer: 'signInGrants' } }],
  },
  'realtime:post': { ...none, actions: ['execute-api:ManageConnections'] },
  'passkeys:register': {
    ...none,
    own: [{ table: 'domain', classes: ['append', 'write'], keys: { platformPointer: 'passkeyLookups' } }],
  },
  'passkeys:sign-in': {
    ...none,
    own: [{ table: 'domain', classes: ['append', 'write'], keys: { platformPointer: 'passkeyChallenges' } }],
  },
};

/** What Lambda's SQS event source lets a consumer do on its own queue. */
const CONSUMER_ACTIONS = new Set([
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:DeleteMessageBatch',
  'sqs:ChangeMessageVisibility',
  'sqs:ChangeMessageVisibilityBatch',
  'sqs:GetQueueUrl',
  'sqs:GetQueueAttributes',
]);

const READ_OPS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const APPEND_OPS = new Set(['PutItem', 'ConditionCheckItem']);

const access = declaredAccess;

/** The local access key id a function signs with. */
export const functionAccessKeyId = (name: FunctionName): string => `LOCALFN${name}`;

/** The credentials a function's execution environment gets. */
export const functionCredentials = (name: FunctionName) => ({
  accessKeyId: functionAccessKeyId(name),
  secretAccessKey: `local-${name}`,
});

/** One DynamoDB item-level action a request implies, as IAM evaluates it. */
export interface ItemAction {
  readonly operation: string;
  readonly table: string;
  /** The partition key it names; null for a request that names none (a Scan). */
  readonly pk: string | null;
}

type Input = Record<string, unknown>;
const keyString = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  const s = (v as { S?: unknown } | null | undefined)?.S;
  return typeof s === 'string' ? s : null;
};
const pkOf = (x: Input | undefined): string | null =>
  keyString(((x?.Item ?? x?.Key) as Input | undefined)?.PK) ??
  keyString(((x?.Item ?? x?.Key) as Input | undefined)?.id);

/** Splits a DynamoDB request into the item actions IAM checks (a transaction: one per item). */
export function itemActions(operation: string, input: Input): ItemAction[] {
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    return ((input.TransactItems as Input[] | undefined) ?? []).flatMap((entry) =>
      Object.entries(entry).map(([kind, op]) => ({
        operation:
          kind === 'Get' ? 'GetItem' : kind === 'ConditionCheck' ? 'ConditionCheckItem' : `${kind}Item`,
        table: String((op as Input).TableName ?? ''),
        pk: pkOf(op as Input),
      })),
    );
  }
  if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
    return Object.entries((input.RequestItems as Record<string, unknown> | undefined) ?? {}).flatMap(
      ([table, requests]) => {
        const keys = Array.isArray(requests)
          ? (requests as Input[]).map((r) => pkOf((r.PutRequest ?? r.DeleteRequest) as Input | undefined))
          : (((requests as Input).Keys as Input[] | undefined) ?? []).map(
              (k) => keyString(k.PK) ?? keyString(k.id),
            );
        return keys.map((pk) => ({ operation, table, pk }));
      },
    );
  }
  let pk = pkOf(input);
  if (typeof input.KeyConditionExpression === 'string') {
    const placeholder = /\b(?:PK|id)\s*=\s*(:\w+)/.exec(input.KeyConditionExpression)?.[1];
    pk = placeholder
      ? keyString((input.ExpressionAttributeValues as Input | undefined)?.[placeholder])
      : null;
  }
  return [{ operation, table: String(input.TableName ?? ''), pk }];
}

const classOf = (operation: string): ItemClass =>
  READ_OPS.has(operation) ? 'read' : APPEND_OPS.has(operation) ? 'append' : 'write';

const tableNamed = (table: string): TableName | undefined =>
  (['domain', 'audit', 'idempotency'] as const).find((t) => localNames.table(t) === table);

function keysAllow(
  scope: KeyScope,
  pk: string | null,
  fn: FunctionName | undefined,
  tenant?: string,
): boolean {
  if (scope === 'any') return true;
  if (pk === null) return false;
  if (scope === 'platform') return pk.startsWith('P#');
  if (scope === 'pointers') return fn !== undefined && pointerPrefixesOf(fn).some((p) => pk.startsWith(p));
  if (typeof scope === 'object' && 'platformPointer' in scope)
    return pk.startsWith(`P#${platformPointers[scope.platformPointer]}#`);
  if (tenant === undefined) return false;
  if (scope === 'tenant') return pk.startsWith(`T#${tenant}#`);
  const collection = `T#${tenant}#${scope.tenantCollection}`;
  return pk === collection || pk.startsWith(`${collection}#`);
}

/**
 * The tenant data role's own policy: every key under the session's tenant, platform pointers for
 * writes only, and a key named (no Scan). Applies to every session, whoever assumed it.
 */
export function tenantRoleRefusal(action: ItemAction, tenant: string): string | null {
  const { operation, pk } = action;
  if (pk === null) return `${operation} names no partition key`;
  if (pk.startsWith(`T#${tenant}#`)) return null;
  if (pk.startsWith('P#') && classOf(operation) !== 'read' && tableNamed(action.table) === 'domain')
    return null;
  return `${operation} on ${pk} is outside tenant ${tenant}`;
}

/** Why the principal may not take this item action, or null when its declared access allows it. */
export function itemRefusal(principal: Principal, action: ItemAction): string | null {
  if (principal.kind === 'runtime') return null;
  const session = principal.kind === 'session' ? principal.session : undefined;
  if (session) {
    const refusal = tenantRoleRefusal(action, session.tenant);
    if (refusal || !session.assumedBy) return refusal;
  }
  const fn = principal.kind === 'function' ? principal.name : session?.assumedBy;
  if (!fn) return 'no function';
  const table = tableNamed(action.table);
  const wanted = classOf(action.operation);
  const allowed =
    table !== undefined &&
    access(fn).some((a) =>
      (session ? localGrants[a].session : localGrants[a].own).some(
        (g) =>
          g.table === table &&
          (g.classes.includes(wanted) || (wanted === 'append' && g.classes.includes('write'))) &&
          keysAllow(g.keys, action.pk, fn, session?.tenant),
      ),
    );
  if (allowed) return null;
  const via = session ? `a session of tenant ${session.tenant}` : 'its own role';
  return `${fn} may not ${action.operation} ${action.pk ?? '(no key)'} on ${action.table} with ${via}: its declared access does not allow it`;
}

/** Why the principal may not call `action` (`kms:Encrypt`, `sqs:SendMessage` on a queue, …), or null. */
export function actionRefusal(principal: Principal, action: string, queue?: QueueName): string | null {
  if (principal.kind === 'runtime') return null;
  if (principal.kind === 'session') return `a tenant data session may not call ${action}`;
  const fn = principal.name;
  if (action === 'sts:AssumeRole') {
    return usesTenantData(access(fn)) ? null : `${fn} may not assume the tenant data role`;
  }
  if (CONSUMER_ACTIONS.has(action) && queue && queues[queue].consumer === fn) return null;
  if (action.startsWith('sqs:Send') && queue === undefined)
    return `${fn} may not ${action} to a queue outside the topology`;
  if (access(fn).some((a) => localGrants[a].actions.includes(action))) return null;
  return `${fn} may not call ${action}: its declared access does not allow it`;
}

/** Who signed a request, from its SigV4 credential: the runtime, a function, or a tenant session. */
export class LocalIam {
  /** Tenant sessions handed out by the local STS, by access key id. */
  readonly sessions = new Map<string, TenantSession>();
  private readonly byKey = new Map<string, FunctionName>(
    (Object.keys(functions) as FunctionName[]).map((n) => [functionAccessKeyId(n), n]),
  );

  /** `onRefusal` hears every refusal, so a drifted declaration shows in the runtime's log. */
  constructor(
    private readonly runtimeKeyId: string,
    readonly onRefusal: (reason: string) => void = () => undefined,
  ) {}

  /** The principal behind an access key id; null for one nobody issued. */
  principalOf(accessKeyId: string): Principal | null {
    if (accessKeyId === this.runtimeKeyId) return { kind: 'runtime' };
    const name = this.byKey.get(accessKeyId);
    if (name) return { kind: 'function', name };
    const session = this.sessions.get(accessKeyId);
    return session ? { kind: 'session', session } : null;
  }

  /** The principal that signed a request (`Authorization: AWS4-HMAC-SHA256 Credential=<id>/…`). */
  principalOfRequest(authorization: string | undefined): Principal | null {
    return this.principalOf(accessKeyIdOf(authorization));
  }
}

export const accessKeyIdOf = (authorization: string | undefined): string =>
  /Credential=([^/]+)\//.exec(String(authorization ?? ''))?.[1] ?? '';

/** A principal's name in a refusal message, as IAM names the caller. */
export function callerArn(principal: Principal | null): string {
  if (!principal) return 'an unknown access key';
  if (principal.kind === 'runtime') return `arn:aws:iam::${localNames.account}:root`;
  if (principal.kind === 'function')
    return `arn:aws:sts::${localNames.account}:assumed-role/hub-${principal.name}/hub-${principal.name}`;
  return principal.session.roleArn.replace(':role/', ':assumed-role/').replace('iam::', 'sts::');
}
