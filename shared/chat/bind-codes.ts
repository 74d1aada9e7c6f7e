import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { AuditRecord, RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { ChatPart } from '../connectors/provider-module';
import { ConflictError, NotFoundError } from '../errors';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { ConnectionStore } from '../ports/stores';
import { partOf } from './chat-parts';

/** `hubbind_` and 160 random bits, base64url: what an admin hands the person who binds the platform. */
export const BIND_CODE = /^hubbind_[A-Za-z0-9_-]{27}$/;
const PREFIX = 'hubbind_';

const ANY_CODE = /hubbind_[A-Za-z0-9_-]*/g;
/** The text with anything like a bind code masked: what may be queued, logged or audited of it. */
export const redactBindCodes = (text: string): string => text.replace(ANY_CODE, 'hubbind_[redacted]');

/** How long a bind code may wait to be used, unless the admin says otherwise. */
export const DEFAULT_BIND_CODE_MINUTES = 15;
export const MAX_BIND_CODE_MINUTES = 60;

/** A fresh bind code: shown once, stored only by its hash. */
export const mintBindCode = (): string => `${PREFIX}${randomBytes(20).toString('base64url')}`;

/** The hash a bind code is stored and looked up by. */
export const bindCodeHash = (code: string): string => createHash('sha256').update(code).digest('hex');

/** What a bind code binds: one platform installation to one org's connection, until it expires. */
export interface StoredBindCode {
  readonly provider: string;
  readonly orgId: string;
  readonly connectionId: string;
  /** The platform installation (a Teams tenant) the connection names, when the code was made. */
  readonly installationId: string;
  readonly expiresAt: Date;
}

/** Bind codes by hash (never the code), single use, expiring by TTL and checked on claim. */
export interface BindCodeStore {
  /** Records a fresh code's hash with the audit record of its making, in one transaction. */
  put(hash: string, code: StoredBindCode, audit: AuditRecord): Promise<void>;
  /** Marks the code used and returns what it binds, atomically; null when unknown, used or expired at `at`. */
  claim(hash: string, at: Date): Promise<StoredBindCode | null>;
}

export const CreateBindCodeRequest = z
  .object({
    expiresInMinutes: z
      .number()
      .int()
      .min(1)
      .max(MAX_BIND_CODE_MINUTES)
      .default(DEFAULT_BIND_CODE_MINUTES)
      .describe(`How long the code may wait to be used (${DEFAULT_BIND_CODE_MINUTES} minutes unless given)`),
  })
  .strict()
  .meta({ id: 'CreateChatBindCodeRequest' });

export const BindCodeSchema = z
  .object({
    code: z
      .string()
      .regex(BIND_CODE)
      .describe('Shown this once and never again (the hub keeps only its hash); it works once'),
    provider: z.string(),
    connectionId: z.string(),
    installationId: z.string().describe('The platform installation (Teams tenant) it can bind, and no other'),
    expiresAt: z.iso.datetime(),
    instructions: z.string(),
  })
  .meta({ id: 'ChatBindCode' });

/**
 * Makes a one-time code that binds the platform installation a chat connection names (a Teams
 * tenant) to this org: the proof of authority a connection id alone is not. The code is returned
 * once; the store keeps its hash, and the audit record says a code was made, never the code.
 */
export function makeCreateBindCode(deps: {
  readonly parts: Readonly<Record<string, ChatPart>>;
  readonly connections: Pick<ConnectionStore, 'get'>;
  readonly codes: BindCodeStore;
  readonly clock: Clock;
}) {
  return async (
    orgId: string,
    connectionId: string,
    body: z.infer<typeof CreateBindCodeRequest>,
    principal: Principal,
    request: RequestContext,
  ): Promise<z.infer<typeof BindCodeSchema>> => {
    const connection = await deps.connections.get(orgId, connectionId);
    if (!connection) throw new NotFoundError(`No connection ${connectionId} in this organisation`);
    const part = partOf(deps.parts, connection.provider);
    const installationId = part?.bindCodeTarget?.(connection) ?? null;
    if (!part?.bindCodeTarget || !installationId)
      throw new ConflictError(
        'Only a chat connection bound by code takes a bind code (a Teams bot connection naming its tenant id)',
      );
    if (connection.status !== 'active')
      throw new ConflictError(
        `The connection is ${connection.status.replace('_', ' ')}: bind codes need it active`,
      );
    const at = deps.clock.now();
    const expiresAt = new Date(at.getTime() + body.expiresInMinutes * 60_000);
    const code = mintBindCode();
    await deps.codes.put(
      bindCodeHash(code),
      { provider: connection.provider, orgId, connectionId, installationId, expiresAt },
      auditChange({
        action: 'chat.bind_code_created',
        principal,
        orgId,
        targets: [{ type: 'connection', id: connectionId }],
        request,
        at,
        after: { provider: connection.provider, installationId, expiresAt: expiresAt.toISOString() },
      }),
    );
    return {
      code,
      provider: connection.provider,
      connectionId,
      installationId,
      expiresAt: expiresAt.toISOString(),
      instructions:
        `In ${installationId}, send the bot \`connect ${code}\` (as a message, before ${expiresAt.toISOString()}). It works once. ${part.bindConfirmation ?? ''}`.trim(),
    };
  };
}
