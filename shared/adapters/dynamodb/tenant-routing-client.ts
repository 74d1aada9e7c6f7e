import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ForbiddenError } from '../../errors';

/** What the stores need of a DynamoDB document client. */
export type DataClient = Pick<DynamoDBDocumentClient, 'send'>;

type Item = Record<string, unknown> | undefined;
type Input = Record<string, unknown>;

const TENANT_KEY = /^T#(org_[0-9A-Z]+)#/;

/** A key value as the document client holds it, or as DynamoDB's wire format does (`{ S: … }`). */
const keyString = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const s = (value as { S?: unknown } | null | undefined)?.S;
  return typeof s === 'string' ? s : '';
};

/** Every partition key a DynamoDB request names, whatever the operation (document or wire format). */
export function partitionKeysOf(input: Input): string[] {
  const keys: unknown[] = [];
  const fromItemOrKey = (x: Input | undefined) => {
    if (!x) return;
    const item = (x.Item ?? x.Key) as Item;
    if (item) keys.push(item.PK);
  };
  fromItemOrKey(input);
  if (typeof input.KeyConditionExpression === 'string') {
    const placeholder = /\bPK\s*=\s*(:\w+)/.exec(input.KeyConditionExpression)?.[1];
    const values = input.ExpressionAttributeValues as Item;
    keys.push(placeholder ? values?.[placeholder] : undefined);
  }
  for (const entry of (input.TransactItems as Input[] | undefined) ?? []) {
    for (const op of Object.values(entry)) fromItemOrKey(op as Input);
  }
  for (const requests of Object.values((input.RequestItems as Record<string, unknown> | undefined) ?? {})) {
    if (Array.isArray(requests)) {
      for (const r of requests as Input[]) {
        fromItemOrKey(r.PutRequest as Input | undefined);
        fromItemOrKey(r.DeleteRequest as Input | undefined);
      }
    } else {
      for (const key of ((requests as Input).Keys as Item[] | undefined) ?? []) keys.push(key?.PK);
    }
  }
  return keys.map(keyString).filter((k) => k !== '');
}

/** The one tenant a request reaches, or null for platform items only; refuses a request spanning tenants. */
export function tenantOf(input: Input): string | null {
  const tenants = new Set(
    partitionKeysOf(input).flatMap((pk) => {
      const match = TENANT_KEY.exec(pk);
      return match?.[1] ? [match[1]] : [];
    }),
  );
  if (tenants.size > 1) throw new ForbiddenError('A data request may not reach more than one tenant');
  return tenants.size === 1 ? ([...tenants][0] as string) : null;
}

/**
 * Sends each request with the credentials its keys call for: a tenant's own session (the tenant
 * data role, assumed with the tenant's tag) for anything under `T#<org>#`, the function's own role
 * for platform items alone. IAM then refuses any key outside that tenant, whatever the code built.
 */
export class TenantRoutingClient implements DataClient {
  private readonly tenantClients = new Map<string, DataClient>();

  constructor(
    private readonly platform: DataClient,
    private readonly forTenant: (orgId: string) => DataClient,
    private readonly maxTenants = 500,
  ) {}

  clientFor(orgId: string): DataClient {
    let client = this.tenantClients.get(orgId);
    if (!client) {
      if (this.tenantClients.size >= this.maxTenants) {
        const oldest = this.tenantClients.keys().next();
        if (!oldest.done) this.tenantClients.delete(oldest.value);
      }
      client = this.forTenant(orgId);
      this.tenantClients.set(orgId, client);
    }
    return client;
  }

  send: DataClient['send'] = (async (command: { input: Input }, ...rest: unknown[]) => {
    const orgId = tenantOf(command.input);
    const client = orgId === null ? this.platform : this.clientFor(orgId);
    return (client.send as (c: unknown, ...r: unknown[]) => Promise<unknown>)(command, ...rest);
  }) as DataClient['send'];
}
