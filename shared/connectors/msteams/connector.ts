import * as z from 'zod';
import type { ChatPostOutcome } from '../../chat/model';
import { egressRefusal } from '../../egress';
import type { Clock } from '../../ports/clock';
import type { TeamsBot } from './settings';
import { BOT_CONNECTOR_SCOPE, serviceUrlAllowed } from './settings';

const TIMEOUT_MS = 10_000;
/** A token is renewed this long before AAD says it expires. */
const EARLY_MS = 5 * 60_000;

const TokenSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
});

/** The bot's tokens to the Bot Connector (AAD client credentials), cached until shortly before expiry. */
export function makeBotTokens(deps: { fetch: typeof fetch; clock: Clock }, bot: () => Promise<TeamsBot>) {
  let cached: { token: string; until: number } | null = null;
  let pending: Promise<string> | null = null;
  return {
    /** The cached token, or a new one from the token endpoint. */
    async token(): Promise<string> {
      if (cached && deps.clock.now().getTime() < cached.until) return cached.token;
      pending ??= (async () => {
        try {
          const settings = await bot();
          const response = await deps.fetch(settings.tokenUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
            body: new URLSearchParams({
              grant_type: 'client_credentials',
              client_id: settings.appId,
              client_secret: settings.clientSecret,
              scope: BOT_CONNECTOR_SCOPE,
            }).toString(),
            signal: AbortSignal.timeout(TIMEOUT_MS),
          });
          if (!response.ok) throw new BotTokenError(response.status);
          const body = TokenSchema.parse(await response.json());
          cached = {
            token: body.access_token,
            until: deps.clock.now().getTime() + Math.max(0, body.expires_in * 1000 - EARLY_MS),
          };
          return body.access_token;
        } finally {
          pending = null;
        }
      })();
      return pending;
    },
    /** Forgets the cached token (the connector refused it). */
    invalidate(): void {
      cached = null;
    },
  };
}
export type BotTokens = ReturnType<typeof makeBotTokens>;

/** The token endpoint refused the bot's client credentials (or failed): no secret in the message. */
export class BotTokenError extends Error {
  override readonly name = 'BotTokenError';
  constructor(readonly status: number) {
    super(`The AAD token endpoint answered HTTP ${status}`);
  }
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), bounded to an hour. */
export function retryAfterSeconds(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - now.getTime()) / 1000;
  return Number.isFinite(seconds) ? Math.min(3600, Math.max(1, Math.ceil(seconds))) : undefined;
}

/** A failure in the notify system's terms, from a connector or webhook answer. */
export function failureOf(status: number, retryAfter: string | null, now: Date): ChatPostOutcome {
  if (status === 429) {
    const wait = retryAfterSeconds(retryAfter, now);
    return { ok: false, statusCode: 429, error: 'ratelimited', ...(wait ? { retryAfterSeconds: wait } : {}) };
  }
  if (status === 401 || status === 403)
    return { ok: false, statusCode: status, error: `HTTP ${status}`, permanent: 'gone' };
  if (status === 404)
    return { ok: false, statusCode: 404, error: 'conversation_not_found', permanent: 'rejected' };
  if (status === 400 || status === 413)
    return { ok: false, statusCode: status, error: `HTTP ${status}`, permanent: 'rejected' };
  const wait = retryAfterSeconds(retryAfter, now);
  return {
    ok: false,
    statusCode: status,
    error: `HTTP ${status}`,
    ...(wait ? { retryAfterSeconds: wait } : {}),
  };
}

/** A call that never reached the platform: the egress guard's refusal is final, anything else is retried. */
export function unreachable(error: unknown): ChatPostOutcome {
  if (egressRefusal(error)) return { ok: false, error: 'refused by the egress guard', permanent: 'rejected' };
  if (error instanceof BotTokenError)
    return error.status === 400 || error.status === 401
      ? { ok: false, error: 'the bot credentials were refused', permanent: 'gone' }
      : { ok: false, error: `token endpoint HTTP ${error.status}` };
  return {
    ok: false,
    error: error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'network error',
  };
}

export type ConnectorAnswer =
  | { ok: true; status: number; body: unknown }
  | { ok: false; outcome: ChatPostOutcome };

/**
 * One call of the Bot Connector API (`{serviceUrl}/v3/…`) with the bot's token. The token goes only
 * to service URLs whose origin is on the allow-list; a 401 is retried once with a fresh token.
 */
export async function callConnector(
  deps: { fetch: typeof fetch; clock: Clock; tokens: BotTokens; bot: TeamsBot },
  serviceUrl: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<ConnectorAnswer> {
  if (!serviceUrlAllowed(deps.bot, serviceUrl))
    return { ok: false, outcome: { ok: false, error: 'service URL not allowed', permanent: 'rejected' } };
  const url = `${serviceUrl.replace(/\/+$/, '')}${path}`;
  try {
    for (let attempt = 0; ; attempt++) {
      const token = await deps.tokens.token();
      const response = await deps.fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (response.status === 401 && attempt === 0) {
        await response.body?.cancel();
        deps.tokens.invalidate();
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        return {
          ok: false,
          outcome: failureOf(response.status, response.headers.get('retry-after'), deps.clock.now()),
        };
      }
      const text = await response.text();
      return { ok: true, status: response.status, body: text ? (JSON.parse(text) as unknown) : {} };
    }
  } catch (error) {
    return { ok: false, outcome: unreachable(error) };
  }
}

export const ResourceResponseSchema = z.looseObject({ id: z.string().max(1000).optional() });
export const ConversationResourceResponseSchema = z.looseObject({
  id: z.string().min(1).max(1000),
  activityId: z.string().max(1000).optional(),
  serviceUrl: z.string().max(1000).optional(),
});
export const MemberSchema = z.looseObject({
  id: z.string(),
  name: z.string().max(500).optional(),
  aadObjectId: z.string().max(100).optional(),
  email: z.string().max(320).optional(),
  userPrincipalName: z.string().max(320).optional(),
  tenantId: z.string().max(100).optional(),
});
