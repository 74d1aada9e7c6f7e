import * as z from 'zod';

/**
 * The parts of a Bot Framework activity (botframework-activity.md; Teams' channelData) the hub
 * reads, validated once the token was. Loose: Teams adds fields over time and the hub ignores them.
 */
const Account = z.looseObject({
  id: z.string().min(1).max(500),
  name: z.string().max(500).optional(),
  aadObjectId: z.string().max(100).optional(),
});

export const ActivitySchema = z.looseObject({
  type: z.string().min(1).max(100),
  id: z.string().min(1).max(500).optional(),
  name: z.string().max(200).optional(),
  action: z.string().max(100).optional(),
  channelId: z.string().max(100),
  serviceUrl: z.url({ protocol: /^https?$/ }).max(1000),
  from: Account.optional(),
  recipient: Account.optional(),
  conversation: z.looseObject({
    id: z.string().min(1).max(1000),
    name: z.string().max(500).optional(),
    conversationType: z.string().max(50).optional(),
    tenantId: z.string().max(100).optional(),
    isGroup: z.boolean().optional(),
  }),
  replyToId: z.string().max(500).optional(),
  text: z.string().max(28_000).optional(),
  value: z.unknown().optional(),
  membersAdded: z.array(Account).max(500).optional(),
  membersRemoved: z.array(Account).max(500).optional(),
  entities: z
    .array(z.looseObject({ type: z.string() }))
    .max(100)
    .optional(),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: z.string().max(100) }).optional(),
      team: z.looseObject({ id: z.string().max(500), name: z.string().max(500).optional() }).optional(),
      channel: z.looseObject({ id: z.string().max(500), name: z.string().max(500).optional() }).optional(),
      eventType: z.string().max(100).optional(),
    })
    .optional(),
});
export type Activity = z.infer<typeof ActivitySchema>;

/** The tenant an activity comes from (Teams puts it in channelData and on the conversation). */
export const tenantOf = (activity: Activity): string | undefined =>
  (activity.channelData?.tenant?.id ?? activity.conversation.tenantId)?.toLowerCase();

/** Whether the bot was just added to (`added`) or removed from (`removed`) the conversation. */
export function membershipChange(activity: Activity): 'added' | 'removed' | null {
  if (activity.type === 'installationUpdate') {
    if (activity.action?.startsWith('add')) return 'added';
    if (activity.action?.startsWith('remove')) return 'removed';
    return null;
  }
  if (activity.type !== 'conversationUpdate') return null;
  const bot = activity.recipient?.id;
  if (bot && activity.membersAdded?.some((m) => m.id === bot)) return 'added';
  if (bot && activity.membersRemoved?.some((m) => m.id === bot)) return 'removed';
  return null;
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&nbsp;': ' ',
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};

/**
 * The command a person typed: the bot's `<at>…</at>` mention removed (Teams puts it in channel
 * messages), other markup dropped, entities decoded, whitespace collapsed; at most 2,000 characters.
 */
export function commandText(text: string): string {
  return text
    .replace(/<at[^>]*>.*?<\/at>/gis, ' ')
    .replace(/<[^>]{0,200}>/g, ' ')
    .replace(/&(nbsp|amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] ?? e)
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 2000);
}

/** An `adaptiveCard/action` invoke's action (Action.Execute): its verb and data. */
export const CardActionInvokeSchema = z.looseObject({
  action: z.looseObject({
    type: z.string().max(100),
    verb: z.string().max(200).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** A message extension's invoke value: a search query's parameters or an action's submitted data. */
export const ComposeExtensionSchema = z.looseObject({
  commandId: z.string().max(200).optional(),
  parameters: z
    .array(z.looseObject({ name: z.string().max(200), value: z.unknown() }))
    .max(20)
    .optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
