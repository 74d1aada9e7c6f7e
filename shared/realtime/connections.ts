import type { AuthorizerContext } from '../identity/principal';

/**
 * How long a real-time connection is kept: API Gateway closes a WebSocket after 2 hours, and one
 * idle for 10 minutes; activity (a subscribe, a ping) moves the idle limit on, never past the first.
 */
export const CONNECTION_MAX_MS = 2 * 3_600_000;
export const CONNECTION_IDLE_MS = 10 * 60_000;

/** One open connection of an org, as the fan-out reads it. */
export interface RealtimeConnection {
  readonly orgId: string;
  /** API Gateway's connection id (the local gateway's, on one machine). */
  readonly connectionId: string;
  /** Who connected, as the gate admitted them (re-checked on every subscribe). */
  readonly principal: AuthorizerContext;
  /** The event-type patterns subscribed to; none until the client subscribes. */
  readonly types: readonly string[];
  readonly connectedAt: string;
  /** When the connection is taken as gone: its idle or its maximum lifetime, whichever comes first. */
  readonly expiresAt: string;
  /** When the credential it connected with stops being valid (a JWT's `exp`, an API key's expiry). */
  readonly credentialExpiresAt?: string;
  /** Where the client connected from: the org's IP allow-list is checked against it again. */
  readonly sourceIp?: string;
}

/** When a connection made at `connectedAt` and last active at `at` expires. */
export function expiryOf(connectedAt: Date, at: Date): Date {
  return new Date(Math.min(connectedAt.getTime() + CONNECTION_MAX_MS, at.getTime() + CONNECTION_IDLE_MS));
}

/** The org's open connections, kept in the domain table with a TTL. */
export interface RealtimeConnectionStore {
  /** Records a new connection (its org's item, and the platform lookup by connection id). */
  open(connection: RealtimeConnection): Promise<void>;
  /** The org a connection id belongs to, from the platform lookup; null when it is gone. */
  orgOf(connectionId: string): Promise<string | null>;
  get(orgId: string, connectionId: string): Promise<RealtimeConnection | null>;
  /** Sets the subscription and moves the expiry on; false when the connection is gone. */
  touch(orgId: string, connectionId: string, at: Date, types?: readonly string[]): Promise<boolean>;
  /** How many connections of the org have not expired at `at` (the plan's connection quota). */
  countOpen(orgId: string, at: Date): Promise<number>;
  /** Every connection of the org that has not expired at `at`. */
  listOpen(orgId: string, at: Date): Promise<RealtimeConnection[]>;
  close(orgId: string, connectionId: string): Promise<void>;
}

/** Posts to a connection through the API Gateway Management API (or the local gateway's copy of it). */
export interface ConnectionPoster {
  /** `gone`: the client has disconnected (410), so the connection can be forgotten. */
  post(connectionId: string, data: string): Promise<'sent' | 'gone'>;
  /** Ends the connection (DeleteConnection); one already gone is not an error. */
  close(connectionId: string): Promise<void>;
}
