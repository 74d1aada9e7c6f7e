import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DataClient } from './tenant-routing-client';
import type { TransactItem } from './tenant-scoped-table';

/**
 * Writes the items atomically. Returns the indexes whose condition failed (empty on success),
 * so a caller can say which uniqueness rule was broken; other failures are thrown.
 */
export async function transactWrite(client: DataClient, items: TransactItem[]): Promise<number[]> {
  try {
    await client.send(new TransactWriteCommand({ TransactItems: items }));
    return [];
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if ((error as Error).name === 'TransactionCanceledException' && reasons) {
      const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
      if (failed.length > 0) return failed;
    }
    throw error;
  }
}
