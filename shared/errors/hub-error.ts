/**
 * The hub's one error hierarchy. The HTTP error mapper turns these into RFC 9457
 * problem+json by `instanceof`; workers map them to a queue action.
 */
export abstract class HubError extends Error {
  abstract readonly status: number;
  /** Short, stable slug; the problem `type` is derived from it. */
  abstract readonly code: string;
  abstract readonly title: string;
  /** Extra members for the problem document (never secrets). */
  readonly extensions: Record<string, unknown>;

  constructor(detail: string, options?: { cause?: unknown; extensions?: Record<string, unknown> }) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.extensions = options?.extensions ?? {};
  }
}

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export class ValidationError extends HubError {
  readonly status = 400;
  readonly code = 'validation-failed';
  readonly title = 'The request is not valid';
  constructor(detail: string, issues: readonly FieldIssue[] = [], options?: { cause?: unknown }) {
    super(detail, { ...options, extensions: issues.length > 0 ? { errors: issues } : {} });
  }
}

export class UnauthenticatedError extends HubError {
  readonly status = 401;
  readonly code = 'unauthenticated';
  readonly title = 'Authentication is required';
}

export class ForbiddenError extends HubError {
  readonly status = 403;
  readonly code = 'forbidden';
  readonly title = 'The caller may not do this';
}

/** The organisation requires a second factor, and the user's sign-in shows none (its token's `amr`). */
export class MfaRequiredError extends HubError {
  readonly status = 403;
  readonly code = 'mfa-required';
  readonly title = 'The organisation requires multi-factor authentication';
}

/** The user signed in longer ago than the organisation's session lifetime allows. */
export class SessionExpiredError extends HubError {
  readonly status = 401;
  readonly code = 'session-expired';
  readonly title = 'The session has expired';
}

/** The session was revoked (by its user or an admin): its tokens are refused, also once refreshed. */
export class SessionRevokedError extends HubError {
  readonly status = 401;
  readonly code = 'session-revoked';
  readonly title = 'The session was revoked';
}

export class NotFoundError extends HubError {
  readonly status = 404;
  readonly code = 'not-found';
  readonly title = 'No such resource';
}

/** The path exists, not with this method; `allow` lists the methods it has. */
export class MethodNotAllowedError extends HubError {
  readonly status = 405;
  readonly code = 'method-not-allowed';
  readonly title = 'The path does not take this method';
}

export class ConflictError extends HubError {
  readonly status = 409;
  readonly code = 'conflict';
  readonly title = 'The request conflicts with the current state';
}

/** A conflict with a value that must be unique (a SCIM userName, a user's email): SCIM's `uniqueness`. */
export class UniquenessError extends ConflictError {}

/** The same delivery is being processed right now; the sender should retry shortly. */
export class InProgressError extends HubError {
  readonly status = 409;
  readonly code = 'in-progress';
  readonly title = 'The same request is already being processed';
}

/** The resource existed but is no longer usable (an expired invitation). */
export class GoneError extends HubError {
  readonly status = 410;
  readonly code = 'gone';
  readonly title = 'The resource is no longer available';
}

export class UnsupportedMediaTypeError extends HubError {
  readonly status = 415;
  readonly code = 'unsupported-media-type';
  readonly title = 'The request body must be JSON';
}

export class PayloadTooLargeError extends HubError {
  readonly status = 413;
  readonly code = 'payload-too-large';
  readonly title = 'The request body is too large';
}

export class QuotaExceededError extends HubError {
  readonly status = 429;
  readonly code = 'quota-exceeded';
  readonly title = 'A quota or rate limit was reached';
}

/** A dependency (the bus, the store, a key service) did not accept the work; the caller should retry. */
export class DependencyUnavailableError extends HubError {
  readonly status = 503;
  readonly code = 'dependency-unavailable';
  readonly title = 'A dependency is unavailable; retry later';
}

/** Problem `type` URIs are URNs: stable identifiers that need no hosted page. */
export function problemType(code: string): string {
  return `urn:integration-hub:problem:${code}`;
}

/** A provider refused the call for its rate limit; `retryAfterSeconds` comes from its headers. */
export class ProviderRateLimitedError extends HubError {
  readonly status = 429;
  readonly code = 'provider-rate-limited';
  readonly title = 'The provider rate-limited the hub';
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(detail, { ...options, extensions: { retryAfterSeconds } });
  }
}

/** The provider failed (5xx) or did not answer in time; trying again later may succeed. */
export class ProviderUnavailableError extends HubError {
  readonly status = 502;
  readonly code = 'provider-unavailable';
  readonly title = 'The provider is unavailable';
}

/** The provider refused the connection's credentials (revoked, expired, permission lost). */
export class ProviderAuthError extends HubError {
  readonly status = 502;
  readonly code = 'provider-auth-failed';
  readonly title = "The provider refused the connection's credentials";
  /**
   * The connection whose credentials were refused, when the work touched another connection than
   * the one its event came from (a sync writes to the other side): that one is flagged.
   */
  connectionId?: string;
}

/** What the provider was asked about does not exist there (any more). */
export class ProviderNotFoundError extends HubError {
  readonly status = 404;
  readonly code = 'provider-not-found';
  readonly title = 'Not found on the provider';
}
