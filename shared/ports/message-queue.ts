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
}
