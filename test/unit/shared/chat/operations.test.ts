import { chatOperations } from '../../../../shared/chat/operations';
import type { ChatPart, ProviderModule } from '../../../../shared/connectors/provider-module';
import { PROVIDER_MODULES } from '../../../../shared/providers';

type ChatModule = Pick<ProviderModule, 'id' | 'displayName' | 'chat'>;

const part = (docs: ChatPart['docs']): ChatPart => ({
  inbound: ['install', 'oauth/callback', 'events'],
  client: () => ({}) as never,
  app: () => ({ handle: async () => ({ status: 404 }) }),
  ...(docs ? { docs } : {}),
});

const descriptionOf = (doc: unknown) => (doc as { description?: string }).description ?? '';
const conflictOf = (doc: unknown) =>
  ((doc as { responses: Record<string, { description: string }> }).responses['409']?.description ??
    '') as string;

describe('the chat routes are documented from the chat modules', () => {
  it("says each platform's part of a route in its own words, under its display name", () => {
    const modules: ChatModule[] = [
      {
        id: 'parley',
        displayName: 'Parley Chat',
        chat: part({
          install: 'the person consents in Parley.',
          bindCode: 'send the bot `connect <code>` in the Parley space.',
          bindCodeConnection: 'a Parley space connection',
        }),
      },
      { id: 'murmur', displayName: 'Murmur', chat: part({ callback: 'Murmur redirects with a code.' }) },
      { id: 'ledger', displayName: 'Ledger' },
    ];
    const docs = chatOperations(modules);
    expect(descriptionOf(docs.installChatApp)).toContain(
      'lives). Parley Chat: the person consents in Parley. One route',
    );
    expect(descriptionOf(docs.completeChatInstall)).toContain(
      'org alone. Murmur: Murmur redirects with a code. One route',
    );
    expect(descriptionOf(docs.completeChatInstall)).not.toContain('Parley');
    expect(descriptionOf(docs.createChatBindCode)).toContain(
      'Parley Chat: send the bot `connect <code>` in the Parley space.',
    );
    expect(conflictOf(docs.createChatBindCode)).toContain('(Parley Chat: a Parley space connection)');
    expect(JSON.stringify(docs)).not.toContain('Ledger');
  });

  it('names no platform when no module says anything', () => {
    const docs = chatOperations([{ id: 'murmur', displayName: 'Murmur', chat: part(undefined) }]);
    expect(descriptionOf(docs.installChatApp)).not.toContain('Murmur');
    expect(conflictOf(docs.createChatBindCode)).toContain('no chat provider is bound by code');
  });

  it("keeps the hub's own platforms' particulars in the API document", () => {
    const docs = chatOperations(PROVIDER_MODULES);
    expect(descriptionOf(docs.createChatBindCode)).toContain('Global Administrator');
    expect(descriptionOf(docs.completeChatInstall)).toContain('`wids`');
    expect(descriptionOf(docs.installChatApp)).toContain('OAuth consent');
  });
});
