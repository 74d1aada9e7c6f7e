/** An AuthnRequest the hub sent, remembered until its response arrives (or it expires). */
export interface PendingSamlRequest {
  readonly orgId: string;
  readonly connectionId: string;
  readonly requestId: string;
  /** The hash of the cookie the browser that started the sign-in got: the response must come with it. */
  readonly browserHash: string;
  readonly expiresAt: Date;
}

/** What taking a request id found: the request (now used), one already used, or none. */
export type TakenSamlRequest =
  | { readonly outcome: 'taken'; readonly request: PendingSamlRequest }
  | { readonly outcome: 'reused' }
  | { readonly outcome: 'unknown' };

/**
 * The AuthnRequests under way, shared by every function instance (a response may reach another
 * Lambda than the one that sent its request). Each request id answers one response only.
 */
export interface SamlRequestCache {
  remember(request: PendingSamlRequest): Promise<void>;
  /** Marks the request used, at most once; a request past its expiry is unknown. */
  take(orgId: string, connectionId: string, requestId: string, now: Date): Promise<TakenSamlRequest>;
}

/** The assertion ids already accepted, kept until the assertion would have expired anyway. */
export interface SamlAssertionLedger {
  /** True the first time an assertion id is seen for a connection, false ever after (until `keepUntil`). */
  claimOnce(orgId: string, connectionId: string, assertionId: string, keepUntil: Date): Promise<boolean>;
}
