/**
 * The service name and metric namespace the functions emit under, and the dashboard and alarms
 * read: one definition, so a metric is never graphed under a name nothing emits.
 */
export const SERVICE_NAME = 'integration-hub';
export const METRICS_NAMESPACE = 'IntegrationHub';

/** The sync worker's metrics: one count per outcome (`Sync_created`, …) and the lag of each synced change. */
export const SYNC_METRICS = {
  lag: 'SyncLag',
  outcome: (outcome: string) => `Sync_${outcome}`,
} as const;
