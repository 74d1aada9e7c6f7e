import { egressRefusal } from '../../egress';
import type { CanonicalEvent } from '../../events/canonical-event';
import type { Clock } from '../../ports/clock';
import { systemClock } from '../../ports/clock';
import type { SecretCipher } from '../../ports/secret-cipher';
import { TtlCache } from '../../ttl-cache';
import type { DeliveryChannel } from '../delivery/ports';
import { parseRetryAfter, WEBHOOK_RETRY_SCHEDULE } from '../delivery/schedule';
import type { DeliveryMessage, DeliveryTarget, RenderedMessage, SendOutcome } from '../model';
import type { StoredEndpoint } from './endpoint';
import { activeSecrets, secretContext } from './endpoint';
import type { WebhookEndpointStore } from './endpoint-store';
import type { HealthDeps } from './health';
import { disableEndpoint, noteFailure } from './health';
import { webhookPayload } from './payload';
import { signatureHeaders } from './signing';

type WebhookTarget = Extract<DeliveryTarget, { channel: 'webhook' }>;
type WebhookMessage = DeliveryMessage & { readonly target: WebhookTarget };

/** A 2xx within this long is a success; anything slower is a timeout. */
export const ATTEMPT_TIMEOUT_MS = 15_000;
/** The most of an answer kept with its attempt. */
export const EXCERPT_BYTES = 1024;

export interface WebhookChannelDeps extends HealthDeps {
  readonly endpoints: WebhookEndpointStore;
  readonly cipher: SecretCipher;
  /** The egress guard's fetch (https only in AWS; no private or metadata addresses). */
  readonly fetch: typeof globalThis.fetch;
  /**
   * The clock `webhook-timestamp` is read from: the real one, always — receivers compare it with
   * their own clocks (Standard Webhooks allows five minutes), whatever the hub's clock says.
   */
  readonly signingClock?: Clock;
  /** What ends an attempt after `ms` (`ATTEMPT_TIMEOUT_MS`): `AbortSignal.timeout`, unless a test stands in. */
  readonly timeoutSignal?: (ms: number) => AbortSignal;
}

/** The first bytes of an answer, as text, without reading the rest. */
async function excerptOf(response: Response): Promise<string | undefined> {
  if (!response.body) return undefined;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short still gives what arrived.
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
  return text.length > 0 ? text : undefined;
}

function failureOf(error: unknown): string {
  const refused = egressRefusal(error);
  if (refused) return `refused by the egress guard: ${refused.message}`;
  // fetch wraps the socket's error (and that may wrap another): the first code or timeout down the chain.
  let code: string | undefined;
  for (
    let e = error as { name?: string; code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 6;
    depth++
  ) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
    if (typeof e.code === 'string' && !code) code = e.code;
    e = e.cause as typeof e;
  }
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  return code ? `connection failed (${code})` : 'connection failed';
}

/** What an endpoint is sent for an event (the signature left out: it exists only when sent). */
export async function renderWebhook(
  event: CanonicalEvent,
  _target: WebhookTarget,
  message?: Pick<DeliveryMessage, 'id'>,
): Promise<RenderedMessage> {
  return {
    channel: 'webhook',
    contentType: 'application/json',
    body: webhookPayload(event),
    headers: { 'content-type': 'application/json', ...(message ? { 'webhook-id': message.id } : {}) },
  };
}

/**
 * The outbound webhook channel: POSTs the canonical event (with its payload version) to the endpoint, signed as Standard
 * Webhooks says, and keeps the endpoint's health (failing since, disabled on 410).
 */
export function makeWebhookChannel(deps: WebhookChannelDeps): DeliveryChannel<WebhookTarget> {
  const signing = deps.signingClock ?? systemClock;
  const timeoutSignal = deps.timeoutSignal ?? ((ms: number) => AbortSignal.timeout(ms));
  // The endpoint read by `readiness` for the attempt that follows it (moments later).
  const endpoints = new TtlCache<StoredEndpoint>(2_000, 5_000);
  // Decrypted secrets by ciphertext: one KMS call per secret per environment, not per delivery.
  const secrets = new TtlCache<Promise<string>>(300_000, 5_000);
  const key = (m: WebhookMessage) => `${m.orgId}#${m.target.endpointId}`;
  // Readiness reads shared only while in flight: a burst's concurrent deliveries read the endpoint
  // once, and every delivery that starts after a rotation, a disabling or a new rate limit sees it.
  const reads = new Map<string, Promise<StoredEndpoint | null>>();
  const readEndpoint = (m: WebhookMessage) => {
    let read = reads.get(key(m));
    if (!read) {
      read = deps.endpoints.get(m.orgId, m.target.endpointId);
      const forget = () => reads.delete(key(m));
      read.then(forget, forget);
      reads.set(key(m), read);
    }
    return read;
  };

  // The endpoint as this delivery's own readiness read it, so it is signed with the secrets of then.
  const readFor = new TtlCache<StoredEndpoint>(30_000, 5_000);
  const endpointOf = async (m: WebhookMessage) => {
    const known = readFor.get(m.id);
    readFor.delete(m.id);
    if (known) return known;
    const read = await deps.endpoints.get(m.orgId, m.target.endpointId);
    if (read) endpoints.set(key(m), read);
    return read;
  };
  const decrypt = (endpoint: StoredEndpoint, ciphertext: string) => {
    let plain = secrets.get(ciphertext);
    if (!plain) {
      plain = deps.cipher.decrypt(ciphertext, secretContext(endpoint.orgId, endpoint.id));
      plain.catch(() => secrets.delete(ciphertext));
      secrets.set(ciphertext, plain);
    }
    return plain;
  };

  return {
    channel: 'webhook',
    retrySchedule: WEBHOOK_RETRY_SCHEDULE,
    render: renderWebhook,
    async readiness(message) {
      const endpoint = await readEndpoint(message);
      if (!endpoint) return { kind: 'drop', reason: 'the endpoint was deleted' };
      endpoints.set(key(message), endpoint);
      if (!endpoint.enabled)
        return {
          kind: 'drop',
          reason: `the endpoint is disabled${endpoint.disabledReason ? ` (${endpoint.disabledReason})` : ''}`,
          recoverable: true,
        };
      readFor.set(message.id, endpoint);
      return {
        kind: 'ready',
        rateLimit: { key: endpoint.id, perSecond: endpoint.rateLimitPerSecond },
      };
    },
    async send(message, event): Promise<SendOutcome> {
      const started = Date.now();
      const endpoint = await endpointOf(message);
      if (!endpoint)
        return { ok: false, durationMs: 0, error: 'the endpoint was deleted', permanent: 'rejected' };
      const payload = webhookPayload(event);
      const keys = await Promise.all(
        activeSecrets(endpoint, deps.clock.now()).map((s) => decrypt(endpoint, s.ciphertext)),
      );
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'IntegrationHub-Webhooks/1.0',
        ...signatureHeaders(keys, message.id, signing.now(), payload),
      };
      let response: Response;
      try {
        response = await deps.fetch(endpoint.url, {
          method: 'POST',
          headers,
          body: payload,
          signal: timeoutSignal(ATTEMPT_TIMEOUT_MS),
        });
      } catch (error) {
        return { ok: false, durationMs: Date.now() - started, error: failureOf(error) };
      }
      const responseExcerpt = await excerptOf(response);
      const durationMs = Date.now() - started;
      const statusCode = response.status;
      const excerpt = responseExcerpt === undefined ? {} : { responseExcerpt };
      if (statusCode >= 200 && statusCode < 300) return { ok: true, statusCode, durationMs, ...excerpt };
      const failed = { ok: false as const, statusCode, durationMs, error: `HTTP ${statusCode}`, ...excerpt };
      if (statusCode === 410) return { ...failed, permanent: 'gone' };
      if (statusCode === 429 || statusCode === 503) {
        const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), signing.now());
        if (retryAfterSeconds !== undefined) return { ...failed, retryAfterSeconds };
      }
      return failed;
    },
    async observe(message, outcome, at) {
      const { orgId } = message;
      const endpointId = message.target.endpointId;
      if (outcome.ok) {
        const endpoint = endpoints.get(key(message));
        const fresh =
          endpoint?.lastSuccessAt !== undefined &&
          !endpoint.failingSince &&
          at.getTime() - Date.parse(endpoint.lastSuccessAt) < 60_000;
        if (!fresh) await deps.endpoints.markSucceeded(orgId, endpointId, at);
        return;
      }
      if (outcome.permanent === 'gone') {
        endpoints.delete(key(message));
        reads.delete(key(message));
        await disableEndpoint(deps, orgId, endpointId, 'the endpoint answered 410 Gone', at);
        return;
      }
      if (!endpoints.get(key(message))?.failingSince) await noteFailure(deps, orgId, endpointId, at);
    },
  };
}
