import type { Permission } from '../identity/permissions';
import type { functions, queues, schedules, streams, tables } from './topology';

/** A Lambda function: its handler module and the settings both runtimes honour. */
export interface FunctionSpec {
  /** Path of the handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** The tables, bus and keys it may touch; the CDK stack grants exactly these. */
  readonly access: readonly ResourceAccess[];
  /** Ships Cedar's WebAssembly module beside the bundle (the request gate evaluates org policies). */
  readonly policyEngine?: boolean;
  /**
   * Opens provider clients or their token sources: it also gets what the provider modules' adapters
   * need (`lib/function-access.ts` adds it; the topology cannot import the modules).
   */
  readonly providerClients?: boolean;
}

export type ResourceAccess =
  | 'domain-table:read'
  | 'domain-table:write'
  | 'audit-table:write'
  | 'audit-table:read'
  | 'idempotency-table:write'
  | 'event-bus:put'
  | 'secrets-key:encrypt'
  | 'secrets-key:decrypt'
  | 'user-pool:verify-tokens'
  | 'usage:count'
  | 'api-keys:record-use'
  | 'sessions:record'
  | 'pool-accounts:bind'
  | 'tenant-role:assume'
  | 'mail:send'
  | 'queues:send'
  | 'user-pool:sign-out'
  | 'user-pool:mfa'
  | 'user-pool:custom-auth'
  | 'sign-in-grants:spend'
  | 'claims-bucket:write'
  | 'claims-bucket:read'
  | 'claims-bucket:purge'
  | 'realtime:post'
  | 'passkeys:register'
  | 'passkeys:sign-in';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** An HTTP route. `auth: 'hub'` goes through the request authorizer; webhooks verify their own signatures. */
export interface RouteSpec {
  readonly method: HttpMethod;
  readonly path: string;
  readonly operationId: string;
  readonly function: FunctionName;
  /**
   * `invitation-token`: the single-use token in the body is the credential, checked by the handler.
   * `scim-token`: an org SCIM token, and nothing else, checked by the SCIM service (errors in SCIM's schema).
   */
  readonly auth: 'hub' | 'public' | 'webhook-signature' | 'invitation-token' | 'scim-token';
  /** The permission the caller needs; `null` only for routes that are not authenticated by the hub. */
  readonly permission: Permission | null;
  readonly summary: string;
  readonly tag: string;
  /**
   * A signed-in user may call it before showing a second factor where the org requires one: the
   * routes that enrol one (otherwise such a user could never get the second factor asked of them).
   */
  readonly beforeSecondFactor?: true;
}

export interface QueueSpec {
  readonly consumer: FunctionName;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message is parked in the queue's DLQ. */
  readonly maxReceiveCount: number;
  /**
   * Days a message is kept: fewer than its DLQ's 14, since SQS ages a parked message from its first
   * enqueue; 7 leaves a week to notice a stopped consumer and a week to inspect what it parked.
   */
  readonly retentionDays: number;
  /**
   * Pollers the local runtime runs side by side (default 1). In AWS, Lambda scales a queue's
   * consumers by itself; locally a queue whose messages can each take seconds needs more than one.
   */
  readonly localConcurrency?: number;
}

/** An EventBridge rule on the hub's bus. Patterns use EventBridge's own syntax. */
export interface RuleSpec {
  readonly description: string;
  readonly pattern: Record<string, unknown>;
  readonly targetQueues: readonly QueueName[];
  /** The bus the rule listens on: the hub's own (default), or the account's default bus (AWS services' events). */
  readonly bus?: 'hub' | 'default';
}

/** A Lambda event source on a table's stream, with Lambda's retry and on-failure semantics. */
export interface StreamSpec {
  readonly table: TableName;
  readonly consumer: FunctionName;
  readonly batchSize: number;
  /** Retries of a failing batch before its records are sent to the stream's DLQ. */
  readonly maxRetries: number;
}

/** A function run on a schedule (EventBridge Scheduler in AWS; a timer locally). */
export interface ScheduleSpec {
  readonly function: FunctionName;
  readonly description: string;
  /** Minutes between runs. */
  readonly everyMinutes: number;
}

export interface TableSpec {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly timeToLiveAttribute: string;
  readonly stream: boolean;
}

export type FunctionName = keyof typeof functions;
export type QueueName = keyof typeof queues;
export type TableName = keyof typeof tables;
export type StreamName = keyof typeof streams;
export type ScheduleName = keyof typeof schedules;
