import type { ChatAction, ChatCard } from '../../chat/model';

/** Slack's limits on what a message holds (docs.slack.dev › Block Kit reference). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  contextText: 2000,
  buttonText: 75,
  actionId: 255,
  buttonUrl: 3000,
  actions: 25,
  text: 4000,
} as const;

type Text = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };
export type SlackBlock =
  | { type: 'header'; text: Text }
  | { type: 'section'; text?: Text; fields?: Text[] }
  | { type: 'context'; elements: Text[] }
  | { type: 'actions'; elements: Record<string, unknown>[] };

/** A message as chat.postMessage, chat.update and response_url take it. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: SlackBlock[];
}

/** Cuts to `max` characters (code points), marking the cut. */
export const bounded = (value: string, max: number): string => {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
};

/** Slack's escaping of text it reads as markup: `&`, `<` and `>` only. */
export const escapeSlack = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const safeUrl = (url: string): string | null => {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
};

/** A Slack link: `<url|label>`, the label's `|` and `>` unable to break out of it. */
const slackLink = (url: string, label: string) =>
  `<${escapeSlack(url).replace(/\|/g, '%7C')}|${escapeSlack(label).replace(/\|/g, '¦')}>`;

/**
 * The card's Markdown subset (`**bold**`, `_italic_`, `` `code` ``, `[label](url)`, `- ` lists,
 * line breaks) as Slack mrkdwn, everything else escaped so no text becomes a mention or a link.
 */
export function toMrkdwn(markdown: string): string {
  const links: string[] = [];
  // Links first (their URLs kept whole), as placeholders the escaping cannot touch.
  const withoutLinks = markdown.replace(
    /\[([^\]\n]{1,500})\]\(([^)\s]{1,3000})\)/g,
    (whole, label: string, url: string) => {
      const safe = safeUrl(url);
      if (!safe) return whole;
      links.push(slackLink(safe, label));
      return `\uE000${links.length - 1}\uE000`;
    },
  );
  return escapeSlack(withoutLinks)
    .replace(/\*\*([^*\n]+)\*\*/g, '*$1*')
    .replace(/^- /gm, '• ')
    .replace(/\uE000(\d+)\uE000/g, (_m, i: string) => links[Number(i)] ?? '');
}

function button(action: ChatAction, index: number): Record<string, unknown> {
  const text = { type: 'plain_text', text: bounded(action.label, SLACK_LIMITS.buttonText), emoji: true };
  if (action.kind === 'link') {
    const url = safeUrl(action.url);
    // A link button still sends block_actions: its id says it is only a link.
    return {
      type: 'button',
      text,
      action_id: `link:${index}`,
      ...(url ? { url: bounded(url, SLACK_LIMITS.buttonUrl) } : {}),
    };
  }
  return {
    type: 'button',
    text,
    action_id: action.id.slice(0, SLACK_LIMITS.actionId),
    value: action.id.slice(0, 2000),
    ...(action.style ? { style: action.style } : {}),
  };
}

/** Renders a neutral card as Block Kit, with its fallback as the message's `text`. */
export function renderSlackMessage(card: ChatCard): SlackMessage {
  const blocks: SlackBlock[] = [];
  const titleUrl = card.titleUrl ? safeUrl(card.titleUrl) : null;
  if (titleUrl) {
    // A header cannot link: a linked title is a bold section.
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: bounded(
          `*${slackLink(titleUrl, bounded(card.title, SLACK_LIMITS.headerText))}*`,
          SLACK_LIMITS.sectionText,
        ),
      },
    });
  } else {
    blocks.push({
      type: 'header',
      text: { type: 'plain_text', text: bounded(card.title || ' ', SLACK_LIMITS.headerText), emoji: true },
    });
  }
  if (card.text)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: bounded(toMrkdwn(card.text), SLACK_LIMITS.sectionText) },
    });
  const fields = (card.fields ?? []).slice(0, SLACK_LIMITS.fields);
  if (fields.length > 0)
    blocks.push({
      type: 'section',
      fields: fields.map((f) => ({
        type: 'mrkdwn',
        text: bounded(`*${escapeSlack(f.label)}*\n${toMrkdwn(f.value)}`, SLACK_LIMITS.fieldText),
      })),
    });
  if (card.context)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: bounded(toMrkdwn(card.context), SLACK_LIMITS.contextText) }],
    });
  const actions = (card.actions ?? []).slice(0, 5);
  if (actions.length > 0) blocks.push({ type: 'actions', elements: actions.map(button) });
  return {
    text: bounded(escapeSlack(card.fallback || card.title), SLACK_LIMITS.text),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}
