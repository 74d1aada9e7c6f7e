import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One delivery as a receiver saw it. */
export interface Received {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly body: string;
  /** Which of the receiver's secrets verified it (their indexes), with `standardwebhooks` unchanged. */
  readonly verifiedWith: readonly number[];
  /** What the receiver answered. */
  readonly answered: number;
}

/**
 * A customer's endpoint on loopback: verifies every delivery with `standardwebhooks`' own
 * `Webhook.verify`, answers as told (a script of statuses, then 200), and records what it saw.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  secrets: string[] = [];
  private script: { status: number; headers?: Record<string, string> }[] = [];
  private waiters: (() => void)[] = [];
  private server: Server | undefined;
  url = '';
  /** How long it takes to answer each delivery (a slow receiver keeps attempts in flight). */
  delayMs = 0;

  /** Answers the next deliveries with these statuses, in order; 200 after. */
  answer(...steps: (number | { status: number; headers?: Record<string, string> })[]): void {
    this.script.push(...steps.map((s) => (typeof s === 'number' ? { status: s } : s)));
  }

  /** Deliveries that verified with at least one secret, de-duplicated by webhook-id. */
  uniqueVerified(): Map<string, Received> {
    const seen = new Map<string, Received>();
    for (const r of this.received) if (r.verifiedWith.length > 0 && !seen.has(r.id)) seen.set(r.id, r);
    return seen;
  }

  /** Resolves once `probe` holds of what was received (checked after every delivery). */
  async until(probe: (received: readonly Received[]) => boolean, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!probe(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`the receiver did not see what was awaited; it saw ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1_000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async start(path = '/hook'): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = {
          'webhook-id': String(req.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
        };
        const verifiedWith = this.secrets.flatMap((secret, i) => {
          try {
            new Webhook(secret).verify(body, headers);
            return [i];
          } catch {
            return [];
          }
        });
        const step = this.script.shift() ?? { status: 200 };
        this.received.push({
          id: headers['webhook-id'],
          timestamp: headers['webhook-timestamp'],
          signature: headers['webhook-signature'],
          body,
          verifiedWith,
          answered: step.status,
        });
        setTimeout(() => {
          res.writeHead(step.status, { 'content-type': 'text/plain', ...step.headers });
          res.end(`answered ${step.status}`);
        }, this.delayMs);
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
