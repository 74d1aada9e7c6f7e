import type { ChatAction, ChatCard } from '../../chat/model';

/** An Adaptive Card (schema 1.5) as the hub builds them: the elements it uses. */
export interface AdaptiveCard {
  readonly type: 'AdaptiveCard';
  readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  readonly version: '1.5';
  readonly body: readonly AdaptiveElement[];
  readonly actions?: readonly AdaptiveAction[];
  readonly fallbackText: string;
  readonly msteams: { readonly width: 'Full' };
}
export type AdaptiveElement =
  | {
      readonly type: 'TextBlock';
      readonly text: string;
      readonly wrap: true;
      readonly size?: 'Small' | 'Medium' | 'Large';
      readonly weight?: 'Bolder';
      readonly color?: 'Good' | 'Warning' | 'Attention' | 'Accent';
      readonly isSubtle?: true;
      readonly spacing?: 'Small' | 'Medium';
    }
  | {
      readonly type: 'FactSet';
      readonly facts: readonly { readonly title: string; readonly value: string }[];
    };
export type AdaptiveAction =
  | {
      readonly type: 'Action.Execute';
      readonly title: string;
      readonly verb: string;
      readonly data: { readonly action: string };
      readonly style?: 'positive' | 'destructive';
    }
  | { readonly type: 'Action.OpenUrl'; readonly title: string; readonly url: string };

/** Teams refuses a message whose card is over 28 KB; the hub stays well under it. */
export const CARD_LIMIT_BYTES = 28 * 1024;
const TEXT_LIMIT = 8000;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
/** Markdown link text cannot hold brackets; a URL must be http(s) to be a link at all. */
const linkLabel = (text: string) => text.replace(/[[\]]/g, (c) => (c === '[' ? '(' : ')'));
const linkable = (url: string | undefined) => (url && /^https?:\/\//i.test(url) ? url : undefined);
const TONE = { good: 'Good', warning: 'Warning', danger: 'Attention' } as const;

function action(a: ChatAction): AdaptiveAction | null {
  if (a.kind === 'link') {
    const url = linkable(a.url);
    return url ? { type: 'Action.OpenUrl', title: clip(a.label, 80), url } : null;
  }
  const id = a.id.slice(0, 200);
  return {
    type: 'Action.Execute',
    title: clip(a.label, 80),
    verb: id,
    data: { action: id },
    ...(a.style === 'primary' ? { style: 'positive' } : a.style === 'danger' ? { style: 'destructive' } : {}),
  };
}

/**
 * The Adaptive Card of a neutral card: the title (linked) as a bold TextBlock, the body's Markdown
 * subset as a wrapping TextBlock (Teams renders bold, italic, lists and links in TextBlocks), the
 * fields as a FactSet, the context as small subtle text, buttons as `Action.Execute` (verb = the
 * action's id) and links as `Action.OpenUrl`. Bounded: the body shrinks until the card fits 28 KB.
 */
export function adaptiveCard(card: ChatCard): AdaptiveCard {
  const titleUrl = linkable(card.titleUrl);
  const title = clip(card.title.replace(/\s+/g, ' ').trim(), 300);
  const heading = {
    type: 'TextBlock',
    text: titleUrl ? `[${linkLabel(title)}](${titleUrl})` : title,
    wrap: true,
    size: 'Medium',
    weight: 'Bolder',
    ...(card.tone && card.tone !== 'neutral' ? { color: TONE[card.tone] } : {}),
  } as const;
  const facts = (card.fields ?? [])
    .slice(0, 10)
    .map((f) => ({ title: clip(f.label, 100), value: clip(f.value, 500) }));
  const actions = (card.actions ?? [])
    .slice(0, 5)
    .map(action)
    .filter((a): a is AdaptiveAction => a !== null);
  const build = (textLimit: number): AdaptiveCard => ({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      heading,
      ...(card.text ? [{ type: 'TextBlock', text: clip(card.text, textLimit), wrap: true } as const] : []),
      ...(facts.length ? [{ type: 'FactSet', facts } as const] : []),
      ...(card.context
        ? [
            {
              type: 'TextBlock',
              text: clip(card.context, 500),
              wrap: true,
              size: 'Small',
              isSubtle: true,
              spacing: 'Medium',
            } as const,
          ]
        : []),
    ],
    ...(actions.length ? { actions } : {}),
    fallbackText: clip(card.fallback, 300),
    msteams: { width: 'Full' },
  });
  let limit = TEXT_LIMIT;
  let built = build(limit);
  while (Buffer.byteLength(JSON.stringify(built)) > CARD_LIMIT_BYTES - 2048 && limit > 200) {
    limit = Math.floor(limit / 2);
    built = build(limit);
  }
  return built;
}

/** The attachment a message carries a card in (the Bot Connector's and a Workflows webhook's). */
export const cardAttachment = (card: AdaptiveCard) => ({
  contentType: 'application/vnd.microsoft.card.adaptive',
  content: card,
});
