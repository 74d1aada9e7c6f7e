import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import type { LocalEndpoint } from './http-gateway';
import { readJson, replyJson, replyProblem } from './local-json';
import { localNames } from './local-names';

export interface CapturedMail {
  readonly messageId: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** The extra headers the message was sent with (`List-Unsubscribe`, …), by name. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Its SES message tags, by name. */
  readonly tags?: Readonly<Record<string, string>>;
  /** The configuration set it was sent with: SES publishes feedback only for mail sent with one. */
  readonly configurationSet?: string;
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

export type FeedbackKind = 'bounce' | 'complaint';

/** SES's EventBridge detail types for the feedback the hub listens to (`rules.mailFeedback`). */
export const SES_FEEDBACK_DETAIL_TYPES: Readonly<Record<FeedbackKind, string>> = {
  bounce: 'Email Bounced',
  complaint: 'Email Complaint Received',
};

/** A PutEvents entry, as SES puts one on the default bus. */
export interface FeedbackEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Resources: string[];
}

/**
 * The event SES publishes through a configuration set's EventBridge destination when `recipient`
 * bounced (permanently) or complained about `mail`: the email sending event record, whose `mail`
 * carries the message's tags as SES sends them (each tag an array of values, with SES's own).
 */
export function sesFeedbackEntry(
  mail: CapturedMail,
  recipient: string,
  kind: FeedbackKind,
  now: Date,
): FeedbackEntry {
  const timestamp = now.toISOString();
  const feedbackId = `${randomUUID()}-000000`;
  const configurationSet = String(mail.configurationSet);
  const domain = mail.from.slice(mail.from.lastIndexOf('@') + 1);
  const tags: Record<string, string[]> = {
    'ses:operation': ['SendEmail'],
    'ses:configuration-set': [configurationSet],
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [domain],
    'ses:caller-identity': ['local'],
    ...Object.fromEntries(Object.entries(mail.tags ?? {}).map(([name, value]) => [name, [value]])),
  };
  const detail = {
    eventType: kind === 'bounce' ? 'Bounce' : 'Complaint',
    mail: {
      timestamp: mail.receivedAt,
      source: mail.from,
      sourceArn: `arn:aws:ses:${localNames.region}:${localNames.account}:identity/${domain}`,
      sendingAccountId: localNames.account,
      messageId: mail.messageId,
      destination: [...mail.to],
      headersTruncated: false,
      headers: [
        { name: 'From', value: mail.from },
        { name: 'To', value: mail.to.join(', ') },
        { name: 'Subject', value: mail.subject },
        ...Object.entries(mail.headers ?? {}).map(([name, value]) => ({ name, value })),
      ],
      commonHeaders: {
        from: [mail.from],
        to: [...mail.to],
        messageId: mail.messageId,
        subject: mail.subject,
      },
      tags,
    },
    ...(kind === 'bounce'
      ? {
          bounce: {
            bounceType: 'Permanent',
            bounceSubType: 'General',
            bouncedRecipients: [
              {
                emailAddress: recipient,
                action: 'failed',
                status: '5.1.1',
                diagnosticCode: 'smtp; 550 5.1.1 user unknown',
              },
            ],
            timestamp,
            feedbackId,
            reportingMTA: 'dsn; localhost',
          },
        }
      : {
          complaint: {
            complainedRecipients: [{ emailAddress: recipient }],
            timestamp,
            feedbackId,
            userAgent: 'local mailbox',
            complaintFeedbackType: 'abuse',
            arrivalDate: timestamp,
          },
        }),
  };
  return {
    Source: 'aws.ses',
    DetailType: SES_FEEDBACK_DETAIL_TYPES[kind],
    Detail: JSON.stringify(detail),
    Resources: [
      `arn:aws:ses:${localNames.region}:${localNames.account}:configuration-set/${configurationSet}`,
    ],
  };
}

const FeedbackRequestSchema = z
  .object({
    to: z.string().min(3),
    kind: z.enum(['bounce', 'complaint']),
    messageId: z.string().min(1).optional(),
  })
  .strict();

/**
 * `GET /_local/mailbox` lists the captured mail; `POST /_local/mailbox/feedback` plays the
 * recipient's mail server: `{to, kind: bounce|complaint, messageId?}` (the newest mail to `to` when
 * no id is given) makes the local SES publish its feedback event on the default bus. Local only.
 */
export function mailboxEndpoints(deps: {
  mailbox: LocalMailbox;
  /** Puts the entry on the local default bus (PutEvents with no bus named, as SES does). */
  publish: (entry: FeedbackEntry) => Promise<void>;
  now?: () => Date;
}): LocalEndpoint[] {
  const reply = replyJson;
  const problem = replyProblem;
  return [
    {
      method: 'GET',
      path: '/_local/mailbox',
      handle: async (req, res) => {
        const to = new URL(req.url ?? '/', 'http://localhost').searchParams.get('to') ?? undefined;
        reply(res, 200, { items: deps.mailbox.list(to) });
      },
    },
    {
      method: 'POST',
      path: '/_local/mailbox/feedback',
      handle: async (req: IncomingMessage, res: ServerResponse) => {
        const parsed = FeedbackRequestSchema.safeParse(await readJson(req));
        if (!parsed.success) {
          return problem(
            res,
            400,
            'Bad Request',
            'The body must be {"to": <address>, "kind": "bounce" | "complaint", "messageId"?: <id>}',
          );
        }
        const { to, kind, messageId } = parsed.data;
        const received = deps.mailbox.list(to);
        const mail = messageId ? received.find((m) => m.messageId === messageId) : received[0];
        if (!mail) {
          return problem(
            res,
            404,
            'Not Found',
            messageId ? `No mail ${messageId} was sent to ${to}` : `No mail was sent to ${to}`,
          );
        }
        if (!mail.configurationSet) {
          return problem(
            res,
            409,
            'Conflict',
            `Mail ${mail.messageId} was sent without a configuration set: SES would publish no feedback for it`,
          );
        }
        const entry = sesFeedbackEntry(mail, to, kind, deps.now?.() ?? new Date());
        await deps.publish(entry);
        reply(res, 202, {
          messageId: mail.messageId,
          detailType: entry.DetailType,
          event: JSON.parse(entry.Detail),
        });
      },
    },
  ];
}
