import * as z from 'zod';
import type { CanonicalEvent } from '../events/canonical-event';
import { EventTypePatternSchema } from '../notify/model';
import { zodIssues } from '../validation';

/**
 * The real-time API's protocol (`hub.v1`), the same in AWS (API Gateway WebSocket) and on one
 * machine. The client authenticates on the upgrade request, then sends JSON messages:
 *
 *   {"action":"subscribe","types":["pull_request.*"]}   → {"type":"subscribed","types":[…]}
 *   {"action":"ping"}                                   → {"type":"pong"}
 *   anything else                                       → {"type":"error","title":…}
 *
 * and the server pushes {"type":"event","event":<canonical event>} for each matching event.
 */
export const SUBPROTOCOL = 'hub.v1';
/** Browsers cannot set `Authorization` on a WebSocket: they offer the token as a subprotocol. */
export const BEARER_SUBPROTOCOL_PREFIX = 'hub.bearer.';

/** A client message larger than this is refused unread (a subscription is a few hundred bytes). */
export const MAX_CLIENT_MESSAGE_BYTES = 4096;
export const MAX_SUBSCRIBED_TYPES = 50;
/**
 * API Gateway's WebSocket message limit is 128 KiB: a larger event is pushed without its `data`,
 * flagged `dataOmitted`, for the client to read from the event feed.
 */
export const MAX_PUSHED_MESSAGE_BYTES = 120 * 1024;

export const ClientMessageSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('subscribe'),
      types: z.array(EventTypePatternSchema).min(1).max(MAX_SUBSCRIBED_TYPES),
    })
    .strict(),
  z.object({ action: z.literal('ping') }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

export type ServerMessage =
  | {
      readonly type: 'event';
      readonly event: CanonicalEvent | Omit<CanonicalEvent, 'data'>;
      readonly dataOmitted?: true;
    }
  | { readonly type: 'subscribed'; readonly types: readonly string[]; readonly orgId: string }
  | { readonly type: 'pong' }
  | {
      readonly type: 'error';
      readonly title: string;
      readonly detail?: string;
      readonly errors?: readonly { readonly path: string; readonly message: string }[];
    };

/** A client message, or the error message to answer it with. */
export function parseClientMessage(
  body: string | undefined,
): { ok: true; message: ClientMessage } | { ok: false; error: Extract<ServerMessage, { type: 'error' }> } {
  const text = body ?? '';
  if (Buffer.byteLength(text, 'utf8') > MAX_CLIENT_MESSAGE_BYTES) {
    return {
      ok: false,
      error: {
        type: 'error',
        title: 'The message is too large',
        detail: `At most ${MAX_CLIENT_MESSAGE_BYTES} bytes`,
      },
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: { type: 'error', title: 'The message is not valid JSON' } };
  }
  const parsed = ClientMessageSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        type: 'error',
        title: 'The message is not valid',
        detail: 'Send {"action":"subscribe","types":["<pattern>",…]} or {"action":"ping"}',
        errors: zodIssues(parsed.error),
      },
    };
  }
  return { ok: true, message: parsed.data };
}

/** What one event becomes on the wire: whole, or without its `data` when it would pass the message limit. */
export function eventMessage(event: CanonicalEvent): string {
  const whole = JSON.stringify({ type: 'event', event } satisfies ServerMessage);
  if (Buffer.byteLength(whole, 'utf8') <= MAX_PUSHED_MESSAGE_BYTES) return whole;
  const { data: _data, ...envelope } = event;
  return JSON.stringify({ type: 'event', event: envelope, dataOmitted: true } satisfies ServerMessage);
}

/**
 * The credential of an upgrade request: `Authorization: Bearer …`, or a browser's
 * `Sec-WebSocket-Protocol: hub.v1, hub.bearer.<token>`; never the query string, which gets logged.
 * Answers it as an `Authorization` value, and the subprotocol to accept (never the token's).
 */
export function upgradeCredential(headers: Readonly<Record<string, string | undefined>>): {
  authorization: string | undefined;
  subprotocol: string | undefined;
} {
  const offered = (headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const subprotocol = offered.includes(SUBPROTOCOL) ? SUBPROTOCOL : undefined;
  if (headers.authorization) return { authorization: headers.authorization, subprotocol };
  const token = offered
    .find((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX))
    ?.slice(BEARER_SUBPROTOCOL_PREFIX.length);
  return { authorization: token ? `Bearer ${token}` : undefined, subprotocol };
}

/** Header names as API Gateway passes them (as sent) made lower-case, as the hub reads them. */
export function lowerCaseHeaders(
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}
