import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { InstallClaims, InstallStateStore } from '../../chat/install-state';
import { platformPointers } from '../../topology/access';
import { epochSeconds, platformPk } from './keys';
import type { DataClient } from './tenant-routing-client';

const pk = (stateHash: string) => platformPk(platformPointers.chatInstallStates, stateHash);

/** Chat app installs under way, in the domain table under the platform prefix, expiring by TTL. */
export class DynamoDbInstallStates implements InstallStateStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  async put(stateHash: string, claims: InstallClaims): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          PK: pk(stateHash),
          SK: 'STATE',
          provider: claims.provider,
          orgId: claims.orgId,
          userId: claims.userId,
          validUntil: claims.expiresAt.toISOString(),
          ...(claims.pending ? { pending: claims.pending } : {}),
          expiresAt: epochSeconds(claims.expiresAt),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  }

  async take(stateHash: string): Promise<InstallClaims | null> {
    // One delete that returns what it removed: two callbacks with one state get it once between them.
    const out = await this.client
      .send(
        new DeleteCommand({
          TableName: this.domainTable,
          Key: { PK: pk(stateHash), SK: 'STATE' },
          ConditionExpression: 'attribute_exists(PK)',
          ReturnValues: 'ALL_OLD',
        }),
      )
      .catch((error: unknown) => {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return null;
        throw error;
      });
    const item = out?.Attributes;
    if (!item) return null;
    return {
      provider: String(item.provider),
      orgId: String(item.orgId),
      userId: String(item.userId),
      expiresAt: new Date(String(item.validUntil)),
      ...(item.pending && typeof item.pending === 'object'
        ? { pending: item.pending as Record<string, string> }
        : {}),
    };
  }
}
