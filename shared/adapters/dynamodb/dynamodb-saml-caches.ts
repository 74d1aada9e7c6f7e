import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  PendingSamlRequest,
  SamlAssertionLedger,
  SamlRequestCache,
  TakenSamlRequest,
} from '../../sso/saml/saml-caches';
import { ifConditionHolds } from './conditional';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';

// Ids come from the IdP's XML: hashed, so the key's length and characters are the hub's own.
const idKey = (connectionId: string, id: string) =>
  `${connectionId}#${createHash('sha256').update(id).digest('base64url')}`;

/** SAML AuthnRequests under way, in the org's partition, expiring by TTL; each is used once. */
export class DynamoDbSamlRequestCache implements SamlRequestCache {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  private key(orgId: string, connectionId: string, requestId: string) {
    return { PK: tenantPk(orgId, TENANT_COLLECTIONS.samlRequests), SK: idKey(connectionId, requestId) };
  }

  async remember(request: PendingSamlRequest): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          ...this.key(request.orgId, request.connectionId, request.requestId),
          validUntil: request.expiresAt.toISOString(),
          browserHash: request.browserHash,
          expiresAt: epochSeconds(request.expiresAt),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  }

  async take(orgId: string, connectionId: string, requestId: string, now: Date): Promise<TakenSamlRequest> {
    const Key = this.key(orgId, connectionId, requestId);
    // One conditional update: two responses naming one request get it once between them. The
    // item stays (marked used) until its TTL, so a second response is told apart from a stranger.
    const out = await ifConditionHolds(
      this.client.send(
        new UpdateCommand({
          TableName: this.domainTable,
          Key,
          UpdateExpression: 'SET usedAt = :now',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(usedAt) AND validUntil > :now',
          ExpressionAttributeValues: { ':now': now.toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (out?.Attributes) {
      return {
        outcome: 'taken',
        request: {
          orgId,
          connectionId,
          requestId,
          browserHash: String(out.Attributes.browserHash ?? ''),
          expiresAt: new Date(String(out.Attributes.validUntil)),
        },
      };
    }
    const seen = await this.client.send(
      new GetCommand({ TableName: this.domainTable, Key, ConsistentRead: true }),
    );
    return seen.Item?.usedAt ? { outcome: 'reused' } : { outcome: 'unknown' };
  }
}

/** Accepted SAML assertion ids, in the org's partition, kept by TTL until the assertion expires. */
export class DynamoDbSamlAssertionLedger implements SamlAssertionLedger {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  async claimOnce(
    orgId: string,
    connectionId: string,
    assertionId: string,
    keepUntil: Date,
  ): Promise<boolean> {
    const put = await ifConditionHolds(
      this.client.send(
        new PutCommand({
          TableName: this.domainTable,
          Item: {
            PK: tenantPk(orgId, TENANT_COLLECTIONS.samlAssertions),
            SK: idKey(connectionId, assertionId),
            expiresAt: epochSeconds(keepUntil),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
    );
    return put !== undefined;
  }
}
