import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbChatAppStore } from '../../shared/adapters/dynamodb/dynamodb-chat-store';
import { KmsSecretCipher } from '../../shared/adapters/kms/kms-secret-cipher';
import { makeManageChatApps } from '../../shared/chat/chat-apps';
import { chatParts, partOf } from '../../shared/chat/chat-parts';
import type { ProviderModule } from '../../shared/connectors/provider-module';
import { systemClock } from '../../shared/ports/clock';
import { PROVIDER_MODULES } from '../../shared/providers';
import { localCredentials } from './dynamodb-local';
import { localNames } from './local-names';

/**
 * Seeds the app settings of every chat provider that declares local defaults (settings matching its
 * loopback fake), stored encrypted as a platform admin would set them — only where none are set, so
 * settings changed with `hub platform chat-apps set` survive a restart. Returns the providers seeded.
 */
export async function seedChatApps(
  dynamodb: DynamoDBClient,
  kmsEndpoint: string,
  modules: readonly Pick<ProviderModule, 'id' | 'chat'>[] = PROVIDER_MODULES,
): Promise<string[]> {
  const parts = chatParts(modules);
  const withDefaults = Object.entries(parts).flatMap(([id, part]) =>
    part.localDefaults && part.appSettings ? [{ id, defaults: part.localDefaults }] : [],
  );
  if (withDefaults.length === 0) return [];
  const kms = new KMSClient({
    endpoint: kmsEndpoint,
    region: localNames.region,
    credentials: localCredentials,
  });
  const apps = makeManageChatApps({
    parts: (provider) => partOf(parts, provider),
    store: new DynamoDbChatAppStore(
      DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      { domainTable: localNames.table('domain'), auditTable: localNames.table('audit') },
    ),
    cipher: new KmsSecretCipher(kms, localNames.secretsKey),
    clock: systemClock,
  });
  const seeded: string[] = [];
  try {
    for (const { id, defaults } of withDefaults) if (await apps.seed(id, defaults)) seeded.push(id);
  } finally {
    kms.destroy();
  }
  return seeded;
}
