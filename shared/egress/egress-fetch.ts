import { isIP } from 'node:net';
import { Agent, Headers, Response as UndiciResponse, fetch as undiciFetch } from 'undici';
import { egressConfig } from '../config/config';
import type { EgressPolicy } from './address-policy';
import { isLoopback, refusalOf } from './address-policy';
import { EgressRefusedError, egressRefusal } from './egress-refused-error';
import type { Resolver } from './guarded-connector';
import { guardedConnector } from './guarded-connector';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface EgressFetchOptions {
  readonly policy: EgressPolicy;
  readonly resolve?: Resolver;
  /** The whole call, redirects included, unless the caller's own signal ends it sooner. */
  readonly timeoutMs?: number;
  readonly maxRedirects?: number;
  /** The most bytes an answer's body may hold: a server streaming without end cannot exhaust a shared worker. */
  readonly maxResponseBytes?: number;
}

/** Ten MiB: far above any provider answer the hub reads, far below a worker's memory. */
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * The answer with its body bounded: refused at once when its `content-length` says it is too big,
 * and failed while streaming when it grows past the bound (a server may lie or send no length).
 */
function bounded(response: UndiciResponse, host: string, limit: number): UndiciResponse {
  const tooBig = () =>
    new EgressRefusedError(`${host} answered with a body over ${limit} bytes; the hub reads at most that`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) {
    void response.body?.cancel();
    throw tooBig();
  }
  if (!response.body) return response;
  let seen = 0;
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > limit) controller.error(tooBig());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new UndiciResponse(counted as never, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** What a caller may hand fetch: a URL, or a Request (from this or another fetch implementation). */
type Input = string | URL | { readonly url: string; readonly method?: string; readonly headers?: unknown };

/**
 * fetch through the egress guard: https only (plain http to loopback in the local runtime), every
 * connection's address checked, redirects followed only on the same origin (a few at most) and a
 * redirect to another host refused, never followed, so credentials never leave for another server.
 */
export function makeEgressFetch(options: EgressFetchOptions): typeof globalThis.fetch {
  const { policy } = options;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const maxRedirects = options.maxRedirects ?? 3;
  const maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const dispatcher = new Agent({
    connect: guardedConnector(policy, { ...(options.resolve ? { resolve: options.resolve } : {}) }),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const guarded = async (input: Input, init: RequestInit = {}) => {
    let url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    let method = (
      init.method ??
      (typeof input === 'object' && 'method' in input ? input.method : undefined) ??
      'GET'
    ).toUpperCase();
    let body = init.body;
    const headers = new Headers(
      (init.headers ??
        (typeof input === 'object' && 'headers' in input
          ? input.headers
          : undefined)) as ConstructorParameters<typeof Headers>[0],
    );
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowLoopback))
      throw new EgressRefusedError(`Refused ${url.protocol} to ${url.host}: the hub calls https only`);
    const signal = init.signal
      ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs);
    for (let hop = 0; ; hop += 1) {
      let response: Awaited<ReturnType<typeof undiciFetch>>;
      try {
        response = await undiciFetch(url, {
          ...(init as object),
          method,
          headers,
          body: body as never,
          signal,
          dispatcher,
          redirect: 'manual',
        });
      } catch (error) {
        throw egressRefusal(error) ?? error;
      }
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || !location)
        return bounded(response, url.host, maxResponseBytes) as unknown as Response;
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== url.origin)
        throw new EgressRefusedError(
          `${url.host} redirected the hub to another host; it follows redirects only on the same server`,
        );
      if (hop >= maxRedirects) throw new EgressRefusedError(`${url.host} redirected the hub too many times`);
      // As fetch does: 303, and 301/302 after a POST, continue as a GET without the body.
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      ) {
        method = 'GET';
        body = undefined;
        headers.delete('content-type');
        headers.delete('content-length');
      }
      url = next;
    }
  };
  return guarded as unknown as typeof globalThis.fetch;
}

let policy: EgressPolicy | undefined;
/** The process's egress policy, from its configuration (read once; a malformed value fails the cold start). */
export function egressPolicy(): EgressPolicy {
  policy ??= egressConfig();
  return policy;
}

/**
 * Where a customer's own URL (a webhook endpoint) may go: as the process's policy allows, but never
 * into the operator's private ranges, which are opened for the operator's own providers (a GitHub
 * Enterprise Server in the VPC) and must not be reachable by any tenant's endpoint URL.
 */
export function customerEndpointPolicy(given: EgressPolicy = egressPolicy()): EgressPolicy {
  return { allowLoopback: given.allowLoopback, allowedRanges: [] };
}

let configured: typeof globalThis.fetch | undefined;
/** The process's egress fetch, built on its egress policy. */
export function egressFetch(): typeof globalThis.fetch {
  configured ??= makeEgressFetch({ policy: egressPolicy() });
  return configured;
}

let forTenants: typeof globalThis.fetch | undefined;
/**
 * The egress fetch for URLs any tenant sets that are not a provider connection (an IdP's issuer
 * and metadata): public addresses only, never the operator's private ranges, which one tenant's
 * self-hosted provider opened, and which would otherwise be every tenant's to probe.
 */
export function tenantEgressFetch(): typeof globalThis.fetch {
  forTenants ??= makeEgressFetch({ policy: customerEndpointPolicy(egressPolicy()) });
  return forTenants;
}

/**
 * Why a URL a tenant gives (a base URL, a token URL) can never be called, as far as can be told
 * without resolving it: not https (http only to loopback, in the local runtime), or an IP literal
 * that is not allowed. Undefined when it may be; the address is checked again on every connect.
 */
export function destinationRefusal(url: string, given: EgressPolicy = egressPolicy()): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && given.allowLoopback))
    return 'the hub calls https URLs only';
  if (isIP(host)) {
    const reason = refusalOf(host, given);
    if (reason) return `${host} is a ${reason} address; the hub calls public addresses only`;
  }
  if (parsed.protocol === 'http:' && isIP(host) && !isLoopback(host))
    return 'plain http is for loopback only';
  return undefined;
}

/**
 * Makes the global `fetch` the egress fetch. For libraries that call the global fetch with no way
 * to hand them another (jira.js): their calls cannot go around the guard. Idempotent.
 */
export function guardGlobalFetch(): void {
  globalThis.fetch = egressFetch();
}
