/**
 * A conditional write: its result, or `undefined` when its condition did not hold (another
 * writer came first), which callers treat as an answer, not a failure. Other errors are thrown.
 */
export async function ifConditionHolds<T extends object>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}
