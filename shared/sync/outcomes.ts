/** What the sync engine did with an event, one per mapping it concerned (a metric each). */
export const SYNC_OUTCOMES = [
  'ignored',
  'echo',
  'no-change',
  'created',
  'updated',
  'commented',
  'pull-request',
  'ended',
] as const;
export type SyncOutcome = (typeof SYNC_OUTCOMES)[number];
