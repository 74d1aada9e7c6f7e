import type { EventSummary } from './describe-event';
import { oneLine } from './describe-event';
import { escapeHtml } from './html';

/** An email as the mailer sends it: a subject, a plain-text part and an HTML part. */
export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** What the footer says: why the reader gets this email, and where to stop it. */
export interface EmailFooter {
  /** A sentence ending without a full stop: `a notification rule of Acme sends you pull_request.* events`. */
  readonly reason: string;
  /** The one-click unsubscribe page, or null when there is none to offer. */
  readonly unsubscribeUrl: string | null;
}

const MAX_SUBJECT = 200;

// Inline styles only: mail clients drop <style> blocks and remote content; nothing is loaded from afar.
const PAGE_STYLE =
  'font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;font-size:14px;line-height:1.5';
const MUTED = 'color:#59636e;font-size:12px';

const subjectOf = (summary: EventSummary) => oneLine(`[${summary.provider}] ${summary.title}`, MAX_SUBJECT);

const metaLine = (s: EventSummary) =>
  [s.container, s.actor ? `by ${s.actor}` : null, s.provider].filter(Boolean).join(' · ');

function textOfSummary(s: EventSummary): string {
  return [
    s.title,
    metaLine(s),
    ...s.lines.map((l) => `  ${l}`),
    ...s.links.map((l) => `${l.label}: ${l.url}`),
  ].join('\n');
}

function htmlOfSummary(s: EventSummary, heading: 'h1' | 'h2'): string {
  const size = heading === 'h1' ? '18px' : '15px';
  return [
    `<${heading} style="font-size:${size};margin:0 0 4px">${escapeHtml(s.title)}</${heading}>`,
    `<p style="${MUTED};margin:0 0 8px">${escapeHtml(metaLine(s))}</p>`,
    s.lines.length > 0
      ? `<ul style="margin:0 0 8px;padding-left:20px">${s.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`
      : '',
    s.links.length > 0
      ? `<p style="margin:0 0 8px">${s.links
          .map((l) => `<a href="${escapeHtml(l.url)}" style="color:#0969da">${escapeHtml(l.label)}</a>`)
          .join(' · ')}</p>`
      : '',
  ].join('');
}

function textFooter(footer: EmailFooter): string {
  return [
    '--',
    `You get this email because ${footer.reason}.`,
    footer.unsubscribeUrl ? `Unsubscribe: ${footer.unsubscribeUrl}` : null,
  ]
    .filter((l) => l !== null)
    .join('\n');
}

function htmlFooter(footer: EmailFooter): string {
  const unsubscribe = footer.unsubscribeUrl
    ? ` <a href="${escapeHtml(footer.unsubscribeUrl)}" style="color:#59636e">Unsubscribe</a>.`
    : '';
  return `<hr style="border:none;border-top:1px solid #d1d9e0;margin:16px 0"><p style="${MUTED}">You get this email because ${escapeHtml(footer.reason)}.${unsubscribe}</p>`;
}

const page = (body: string) =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head><body style="${PAGE_STYLE}">${body}</body></html>`;

/** The email of one event. */
export function renderEventEmail(summary: EventSummary, footer: EmailFooter): EmailContent {
  return {
    subject: subjectOf(summary),
    text: `${textOfSummary(summary)}\n\n${textFooter(footer)}\n`,
    html: page(`${htmlOfSummary(summary, 'h1')}${htmlFooter(footer)}`),
  };
}

/** The digest email: the events collected for one reader since the last, oldest first. */
export function renderDigestEmail(
  input: {
    readonly orgName: string;
    readonly period: 'hourly' | 'daily';
    readonly summaries: readonly EventSummary[];
    /** Events collected beyond those listed (the list is bounded). */
    readonly more: number;
  },
  footer: EmailFooter,
): EmailContent {
  const total = input.summaries.length + input.more;
  const heading = oneLine(
    `Your ${input.period} digest from ${input.orgName}: ${total} event${total === 1 ? '' : 's'}`,
    MAX_SUBJECT,
  );
  const more = input.more > 0 ? `…and ${input.more} more.` : null;
  return {
    subject: heading,
    text: [heading, '', ...input.summaries.map((s) => `${textOfSummary(s)}\n`), more, '', textFooter(footer)]
      .filter((l) => l !== null)
      .join('\n')
      .concat('\n'),
    html: page(
      [
        `<h1 style="font-size:18px;margin:0 0 16px">${escapeHtml(heading)}</h1>`,
        ...input.summaries.map((s) => `<div style="margin:0 0 16px">${htmlOfSummary(s, 'h2')}</div>`),
        more ? `<p>${escapeHtml(more)}</p>` : '',
        htmlFooter(footer),
      ].join(''),
    ),
  };
}
