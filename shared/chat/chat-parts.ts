import type { ChatPart, ProviderModule } from '../connectors/provider-module';

/** First path segments the hub's own routes use: no chat provider may be named like one. */
export const RESERVED_SEGMENTS = ['v1', 'webhooks', 'chat-links', 'unsubscribe', 'healthz'] as const;

/**
 * The chat part of each provider module that has one, by provider id. A provider whose id is one
 * of the hub's own first path segments fails here, at build time: its app routes would collide.
 */
export function chatParts(
  modules: readonly Pick<ProviderModule, 'id' | 'chat'>[],
): Readonly<Record<string, ChatPart>> {
  const parts: Record<string, ChatPart> = {};
  for (const module of modules) {
    if (!module.chat) continue;
    if ((RESERVED_SEGMENTS as readonly string[]).includes(module.id)) {
      throw new Error(`A chat provider cannot be named ${module.id}: the hub's own routes start with it`);
    }
    parts[module.id] = module.chat;
  }
  return parts;
}

/** A provider's chat part, an own property only (a path segment such as `constructor` names none). */
export const partOf = (parts: Readonly<Record<string, ChatPart>>, provider: string): ChatPart | null =>
  Object.hasOwn(parts, provider) ? (parts[provider] ?? null) : null;
