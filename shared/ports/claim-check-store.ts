/** Where a stored claim lives and how to check it is the one referenced. */
export interface ClaimReference {
  /** The object key, under its tenant (`T#<orgId>/…`). */
  readonly key: string;
  readonly bytes: number;
  /** Hex SHA-256 of the stored bytes. */
  readonly sha256: string;
}

/**
 * Holds payloads too large for the channel that carries their reference (the event bus's entry
 * limit): stored whole under the tenant, read back by key.
 */
export interface ClaimCheckStore {
  /** Stores the body under the tenant and answers its reference; storing the same name twice overwrites it. */
  put(tenantId: string, name: string, body: string): Promise<ClaimReference>;
  /** The stored body; a `NotFoundError` if nothing is stored there. */
  get(key: string): Promise<string>;
  /**
   * Removes every object stored under the tenant, page by page until done or `shouldStop` says so;
   * a later call continues, since what is removed is no longer found. Returns how many it removed.
   */
  purgeTenant(tenantId: string, shouldStop?: () => boolean): Promise<{ removed: number; done: boolean }>;
}
