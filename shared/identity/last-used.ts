import { logger } from '../observability/observability';
import type { ApiKeyStore } from '../ports/stores';

/** A key's last use is written at most this often, not on every request. */
export const LAST_USED_INTERVAL_MS = 60_000;

/**
 * Remembers when and from where each key was last used, per execution environment, and writes
 * it at most once a minute per key (behind the authorizer's own cache, so far less than once per
 * request). A failed write is logged, never a reason to refuse a request.
 */
export class LastUsedRecorder {
  private readonly written = new Map<string, number>();

  constructor(
    private readonly keys: Pick<ApiKeyStore, 'recordUse'>,
    private readonly intervalMs = LAST_USED_INTERVAL_MS,
  ) {}

  /** Returns the write, when one is due. */
  record(orgId: string, keyId: string, ip: string, at: Date): Promise<void> | undefined {
    const last = this.written.get(keyId);
    if (last !== undefined && at.getTime() - last < this.intervalMs) return undefined;
    this.written.set(keyId, at.getTime());
    if (this.written.size > 10_000) this.written.delete(this.written.keys().next().value as string);
    return this.keys.recordUse(orgId, keyId, at.toISOString(), ip).catch((error: unknown) => {
      this.written.delete(keyId);
      logger.warn('Could not record the last use of a key', { keyId, error: error as Error });
    });
  }
}
