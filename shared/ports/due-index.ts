/**
 * Work that must happen at a time: a delivery retry hours away, a digest at the top of the hour,
 * an endpoint's five-day check. An entry is indexed under the minute it is due; a scheduled
 * sweeper takes what has come due and queues it. Cheaper and far less throttled than one
 * EventBridge Scheduler schedule per retry (CreateSchedule is limited to tens per second per
 * account, and a failing endpoint of a busy org has thousands of retries in flight).
 */
export interface DueEntry {
  /** What kind of work it is: each sweeper takes only its own kinds. */
  readonly kind: string;
  readonly orgId: string;
  /** What it is about, within the org and kind (a message id, a user id, an endpoint id). */
  readonly ref: string;
  readonly dueAt: Date;
}

export interface DueIndex {
  /** Indexes an entry (one already due is indexed as due now); adding the same (kind, org, ref, dueAt) twice keeps one. */
  add(entry: DueEntry): Promise<void>;
  /** Forgets an entry (it was done, or is no longer needed). */
  remove(entry: DueEntry): Promise<void>;
  /**
   * The entries of `kind` due at or before `now`, oldest first, at most `limit`. The sweeper
   * removes each once it has queued it: an entry it could not queue is found again next time.
   */
  due(kind: string, now: Date, limit: number): Promise<DueEntry[]>;
}
