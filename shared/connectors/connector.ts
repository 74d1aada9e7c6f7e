/** A delivery as the webhook endpoint received it: headers lower-cased, the body as sent. */
export interface WebhookDelivery {
  readonly orgId: string;
  readonly connectionId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly receivedAt: Date;
  readonly correlationId: string;
}
