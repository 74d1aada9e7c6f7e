import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CapturedMail {
  readonly messageId: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly receivedAt: string;
}

/**
 * Where email goes on one machine: every message the hub sends through SES is captured here,
 * kept across restarts in `mailbox.jsonl`, and listed by `GET /_local/mailbox` and `hub mailbox`.
 */
export class LocalMailbox {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'mailbox.jsonl');
  }

  add(mail: CapturedMail): void {
    appendFileSync(this.file, `${JSON.stringify(mail)}\n`, { mode: 0o600 });
  }

  /** Newest first; only mail to `to` when given. */
  list(to?: string): CapturedMail[] {
    if (!existsSync(this.file)) return [];
    const all = readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as CapturedMail);
    const wanted = to?.toLowerCase();
    return all.filter((m) => !wanted || m.to.some((t) => t.toLowerCase() === wanted)).reverse();
  }
}
