import { createHash } from 'node:crypto';
import { encodeTime } from 'ulid';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * An audit id that is the same every time it is derived from the same `key`, sorting at `at`: a
 * record written under it twice is one record (the trail's put is conditional), so something that
 * happens many times (every message of a suspended org) is recorded once.
 */
export function onceAuditId(at: Date | string, key: string): string {
  const digest = createHash('sha256').update(key).digest();
  const random = Array.from(digest.subarray(0, 16), (byte) => CROCKFORD[byte % 32]).join('');
  return `aud_${encodeTime(new Date(at).getTime(), 10)}${random}`;
}

/** Where a request came from, for the audit trail. */
export interface RequestContext {
  readonly requestId: string;
  readonly ip: string;
  readonly userAgent: string;
  /** Where the request came from when not the API itself: a chat platform's provider id (`channel` of the record). */
  readonly channel?: string;
}

/** One entry of the audit trail: who did what to which targets, when, from where, and how it ended. */
export interface AuditRecord {
  readonly id: string;
  readonly action: string;
  readonly actor: {
    readonly type: 'user' | 'api_key' | 'system' | 'provider';
    readonly id: string;
    readonly name: string;
  };
  readonly targets: readonly { readonly type: string; readonly id: string }[];
  readonly orgId: string;
  readonly occurredAt: string;
  readonly requestId: string;
  readonly context: { readonly ip: string; readonly userAgent: string };
  readonly outcome: 'success' | 'denied' | 'failed';
  /** The chat platform (a provider id) a person acted through; absent for the API. */
  readonly channel?: string;
  /** Changed fields before and after the change; never a secret. */
  readonly before?: Readonly<Record<string, unknown>>;
  readonly after?: Readonly<Record<string, unknown>>;
}

/** Builds the audit record of an action by `principal` (a successful change unless `outcome` says otherwise). */
export function auditChange(input: {
  action: string;
  principal: Principal;
  orgId: string;
  targets: AuditRecord['targets'];
  request: RequestContext;
  at: Date;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  outcome?: AuditRecord['outcome'];
}): AuditRecord {
  return {
    id: newId('aud'),
    action: input.action,
    actor: { type: input.principal.type, id: input.principal.id, name: input.principal.name },
    targets: input.targets,
    orgId: input.orgId,
    occurredAt: input.at.toISOString(),
    requestId: input.request.requestId,
    context: { ip: input.request.ip, userAgent: input.request.userAgent },
    outcome: input.outcome ?? 'success',
    ...(input.request.channel ? { channel: input.request.channel } : {}),
    ...(input.before ? { before: input.before } : {}),
    ...(input.after ? { after: input.after } : {}),
  };
}

/** The audit record of something the hub did on its own (a worker, a job): the system is the actor. */
export function auditBySystem(input: {
  action: string;
  actor: string;
  orgId: string;
  targets: AuditRecord['targets'];
  requestId: string;
  at: Date;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  outcome?: AuditRecord['outcome'];
}): AuditRecord {
  const { actor, requestId, ...rest } = input;
  const record = auditChange({
    ...rest,
    principal: { kind: 'platform_admin', type: 'api_key', id: actor, name: actor },
    request: { requestId, ip: '', userAgent: actor },
  });
  return { ...record, actor: { type: 'system', id: actor, name: actor } };
}
