/** The queues workers consume, as the workers and the redrive need them. */
export interface MessageQueues {
  /** Makes a received message visible again only after `seconds` (a retry's delay). */
  delay(sourceArn: string, receiptHandle: string, seconds: number): Promise<void>;
  /**
   * Puts a message (back) on a topology queue; `delaySeconds` (up to 900) holds it back that long
   * first, and `groupId` names its tenant, so SQS fair queues serve quiet tenants before a noisy one.
   */
  send(
    queue: string,
    body: string,
    options?: { readonly delaySeconds?: number; readonly groupId?: string },
  ): Promise<void>;
  /**
   * Puts many messages on a topology queue, ten per call (SQS's batch size); throws when any of
   * them could not be put, after trying all (a caller retries the whole set: receivers de-duplicate).
   */
  sendBatch(
    queue: string,
    messages: readonly {
      readonly body: string;
      readonly delaySeconds?: number;
      readonly groupId?: string;
    }[],
  ): Promise<void>;
}
