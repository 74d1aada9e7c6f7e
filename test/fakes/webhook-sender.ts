import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface WebhookTarget {
  readonly url: string;
  readonly secret: string;
}

export interface Delivery {
  readonly id: string;
  readonly event: string;
  readonly body: string;
}

/**
 * How a fake sends its webhooks: signed as the provider signs them, one POST per delivery. Tests can
 * drop the next delivery (the change must still arrive by reconciliation), hold deliveries and
 * release them in any order (out-of-order delivery), or let them flow.
 */
export class WebhookSender {
  private target: WebhookTarget | null = null;
  private dropping = 0;
  private holding = false;
  private readonly held: Delivery[] = [];
  readonly sent: { id: string; event: string; status: number }[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly sign: (delivery: Delivery, secret: string) => Record<string, string>) {}

  /** Where deliveries go (the hub's webhook URL for the connection, and its secret); null stops them. */
  setTarget(target: WebhookTarget | null): void {
    this.target = target;
  }

  dropNext(count = 1): void {
    this.dropping += count;
  }

  hold(): void {
    this.holding = true;
  }

  /** Sends what was held, in the order given (`reverse` sends the newest first), and stops holding. */
  async release(order: 'as-sent' | 'reverse' = 'as-sent'): Promise<void> {
    this.holding = false;
    const batch = this.held.splice(0);
    if (order === 'reverse') batch.reverse();
    for (const delivery of batch) await this.post(delivery);
  }

  send(event: string, payload: unknown): void {
    if (!this.target) return;
    const delivery: Delivery = { id: randomUUID(), event, body: JSON.stringify(payload) };
    if (this.dropping > 0) {
      this.dropping -= 1;
      this.sent.push({ id: delivery.id, event, status: 0 });
      return;
    }
    if (this.holding) {
      this.held.push(delivery);
      return;
    }
    // Like the providers, the fake answers its API call first and delivers the webhook after.
    const p = this.post(delivery).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Resolves once every delivery started so far has been answered. */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async post(delivery: Delivery): Promise<void> {
    const target = this.target;
    if (!target) return;
    let status = 0;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.sign(delivery, target.secret) },
        body: delivery.body,
        signal: AbortSignal.timeout(10_000),
      });
      status = response.status;
      await response.arrayBuffer();
    } catch {
      status = 0;
    }
    this.sent.push({ id: delivery.id, event: delivery.event, status });
  }
}

export const hmacSha256 = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * `PUT /_fake/webhook {url, secret}`: where a fake sends its webhooks, for trying the sync by hand
 * (`npm run fakes`). Answers the status and body to send, or null for any other request.
 */
export async function webhookTargetRequest(
  req: IncomingMessage,
  path: string,
  webhooks: WebhookSender,
): Promise<{ status: number; body: unknown } | null> {
  if (req.method !== 'PUT' || path !== '/_fake/webhook') return null;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const target = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { url?: unknown; secret?: unknown };
    if (typeof target.url !== 'string' || typeof target.secret !== 'string')
      throw new Error('url and secret');
    webhooks.setTarget({ url: target.url, secret: target.secret });
    return { status: 200, body: { url: target.url } };
  } catch {
    return {
      status: 400,
      body: { message: 'Send {"url": "<the hub webhook URL>", "secret": "<the connection secret>"}' },
    };
  }
}

/** A provider that stops answering: the next request waits this long before it is handled. */
export class Stall {
  private ms = 0;

  next(ms: number): void {
    this.ms = ms;
  }

  async wait(): Promise<void> {
    const ms = this.ms;
    this.ms = 0;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }
}
