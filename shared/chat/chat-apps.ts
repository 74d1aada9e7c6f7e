import type * as z from 'zod';
import type { RequestContext } from '../audit/audit-record';
import { auditBySystem, auditChange } from '../audit/audit-record';
import type { ChatPart } from '../connectors/provider-module';
import { NotFoundError, ValidationError } from '../errors';
import { PLATFORM_TRAIL } from '../identity/platform-keys';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { SecretCipher } from '../ports/secret-cipher';
import { zodIssues } from '../validation';
import type { ChatAppStore, StoredChatApp } from './ports';

/** The encryption context of a provider's app settings: they decrypt for that provider alone. */
export const chatAppContext = (provider: string) => ({ purpose: 'chat-app', provider });

/** The fields a settings schema marks secret (`secret()`: `writeOnly`). */
export function secretFields(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape).flatMap(([name, field]) =>
    (field as z.ZodType).meta()?.writeOnly === true ? [name] : [],
  );
}

/** The app settings as `GET` shows them: the non-secret fields, and which secret ones are set. */
export interface ChatAppView {
  readonly provider: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly secretsSet: readonly string[];
  readonly updatedAt: string;
}

const view = (schema: z.ZodObject, app: StoredChatApp): ChatAppView => ({
  provider: app.provider,
  settings: app.summary,
  secretsSet: secretFields(schema),
  updatedAt: app.updatedAt,
});

/**
 * The deployment's chat app settings, one per chat provider, validated against the schema its
 * `ChatPart.appSettings` exports, stored encrypted whole (KMS), shown without their secret fields,
 * and audited in the platform trail without them.
 */
export function makeManageChatApps(deps: {
  readonly parts: (provider: string) => ChatPart | null;
  readonly store: ChatAppStore;
  readonly cipher: SecretCipher;
  readonly clock: Clock;
}) {
  const schemaOf = (provider: string): z.ZodObject => {
    const schema = deps.parts(provider)?.appSettings;
    if (!schema) throw new NotFoundError(`No chat provider ${provider} takes app settings`);
    return schema;
  };
  const stored = async (
    provider: string,
    settings: Record<string, string>,
    at: Date,
  ): Promise<StoredChatApp> => {
    const secrets = new Set(secretFields(schemaOf(provider)));
    return {
      provider,
      encrypted: await deps.cipher.encrypt(JSON.stringify(settings), chatAppContext(provider)),
      summary: Object.fromEntries(Object.entries(settings).filter(([k]) => !secrets.has(k))),
      updatedAt: at.toISOString(),
    };
  };
  const parse = (provider: string, body: unknown): Record<string, string> => {
    const parsed = schemaOf(provider).strict().safeParse(body);
    if (!parsed.success)
      throw new ValidationError(`Not app settings ${provider} takes`, zodIssues(parsed.error));
    return Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [k, String(v)]));
  };
  return {
    get: async (provider: string): Promise<ChatAppView> => {
      const schema = schemaOf(provider);
      const app = await deps.store.get(provider);
      if (!app) throw new NotFoundError(`No app settings for ${provider} yet`);
      return view(schema, app);
    },
    put: async (
      provider: string,
      body: unknown,
      principal: Principal,
      request: RequestContext,
    ): Promise<ChatAppView> => {
      const settings = parse(provider, body);
      const at = deps.clock.now();
      const app = await stored(provider, settings, at);
      await deps.store.put(
        app,
        auditChange({
          action: 'platform.chat_app_set',
          principal,
          orgId: PLATFORM_TRAIL,
          targets: [{ type: 'chat_app', id: provider }],
          request,
          at,
          after: { provider, settings: app.summary, secretsSet: secretFields(schemaOf(provider)) },
        }),
      );
      return view(schemaOf(provider), app);
    },
    /** Seeds a provider's settings (the local runtime's defaults) unless some are set already. */
    seed: async (provider: string, settings: Readonly<Record<string, string>>): Promise<boolean> => {
      const at = deps.clock.now();
      const app = await stored(provider, parse(provider, settings), at);
      return deps.store.put(
        app,
        auditBySystem({
          action: 'platform.chat_app_seeded',
          actor: 'hub-local',
          orgId: PLATFORM_TRAIL,
          targets: [{ type: 'chat_app', id: provider }],
          requestId: provider,
          at,
          after: { provider, settings: app.summary },
        }),
        { onlyIfAbsent: true },
      );
    },
  };
}

/** A provider's app settings, decrypted: what `ChatDeps.appSecret()` returns (NotFoundError while unset). */
export function makeAppSettings(deps: {
  readonly store: Pick<ChatAppStore, 'get'>;
  readonly cipher: SecretCipher;
}) {
  return async (provider: string): Promise<Readonly<Record<string, string>>> => {
    const app = await deps.store.get(provider);
    if (!app) throw new NotFoundError(`A platform admin has not set the ${provider} app's settings yet`);
    return JSON.parse(await deps.cipher.decrypt(app.encrypted, chatAppContext(provider))) as Record<
      string,
      string
    >;
  };
}
