import { randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { PendingOidcSignIn, PendingOidcStore } from '../../sso/oidc-sign-in';
import type { SignInFailure, SignInFailureStore } from '../../sso/sign-in-failures';
import { epochSeconds, TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';

/** How long an admin can read why sign-ins were refused. */
const FAILURE_DAYS = 30;

/** OIDC authorization requests under way, in their org's partition by the state's hash, expiring by TTL. */
export class DynamoDbPendingOidcStore implements PendingOidcStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  private key(orgId: string, stateHash: string) {
    return { PK: tenantPk(orgId, TENANT_COLLECTIONS.ssoStates), SK: stateHash };
  }

  async remember(pending: PendingOidcSignIn): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          ...this.key(pending.orgId, pending.stateHash),
          ...pending,
          expiresAt: epochSeconds(new Date(pending.expiresAt)),
          validUntil: pending.expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  }

  async take(orgId: string, stateHash: string): Promise<PendingOidcSignIn | null> {
    // The delete hands back what it removed: two callbacks with one state get it once between them.
    const out = await this.client.send(
      new DeleteCommand({
        TableName: this.domainTable,
        Key: this.key(orgId, stateHash),
        ReturnValues: 'ALL_OLD',
      }),
    );
    const item = out.Attributes;
    if (!item) return null;
    return {
      orgId,
      connectionId: String(item.connectionId),
      stateHash,
      nonce: String(item.nonce),
      codeVerifier: String(item.codeVerifier),
      browserHash: String(item.browserHash ?? ''),
      expiresAt: String(item.validUntil),
    };
  }
}

/** The refused sign-ins of an org's connections, newest first per connection, expiring by TTL. */
export class DynamoDbSignInFailureStore implements SignInFailureStore {
  constructor(
    private readonly client: DataClient,
    private readonly domainTable: string,
  ) {}

  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.ssoFailures);
  }

  async record(orgId: string, failure: SignInFailure): Promise<void> {
    const at = new Date(failure.at);
    await this.client.send(
      new PutCommand({
        TableName: this.domainTable,
        Item: {
          PK: this.pk(orgId),
          SK: `${failure.connectionId}#${failure.at}#${randomBytes(4).toString('hex')}`,
          ...failure,
          expiresAt: epochSeconds(new Date(at.getTime() + FAILURE_DAYS * 86_400_000)),
        },
      }),
    );
  }

  async list(orgId: string, connectionId: string, limit: number): Promise<SignInFailure[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.domainTable,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :connection)',
        ExpressionAttributeValues: { ':pk': this.pk(orgId), ':connection': `${connectionId}#` },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => ({
      connectionId: String(i.connectionId),
      reason: i.reason as SignInFailure['reason'],
      message: String(i.message),
      at: String(i.at),
    }));
  }
}
