import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tenantRoleArn } from '../../config/config';
import { tracer } from '../../observability/observability';
import type { DataClient } from './tenant-routing-client';
import { TenantRoutingClient } from './tenant-routing-client';

/** The tag the tenant data role's policy reads: `T#${aws:PrincipalTag/TenantId}#*`. */
export const TENANT_TAG = 'TenantId';
/** Session length; the SDK refreshes the credentials shortly before they expire. */
const TENANT_SESSION_SECONDS = 3600;

const translate = (c: DynamoDBClient) =>
  DynamoDBDocumentClient.from(c, { marshallOptions: { removeUndefinedValues: true } });

/**
 * A client that reads and writes each tenant's items in that tenant's own session of the tenant
 * data role (assumed with the `TenantId` tag; the SDK caches and refreshes the credentials per
 * tenant client), and platform items with `platform`'s credentials.
 */
export function tenantRoutedClient(options: {
  roleArn: string;
  platform: DataClient;
  clientConfig?: DynamoDBClientConfig;
  stsConfig?: Parameters<typeof fromTemporaryCredentials>[0]['clientConfig'];
  capture?: (client: DynamoDBClient) => DynamoDBClient;
}): TenantRoutingClient {
  const capture = options.capture ?? ((c) => c);
  return new TenantRoutingClient(options.platform, (orgId) =>
    translate(
      capture(
        new DynamoDBClient({
          ...options.clientConfig,
          credentials: fromTemporaryCredentials({
            params: {
              RoleArn: options.roleArn,
              RoleSessionName: `hub-${orgId}`,
              DurationSeconds: TENANT_SESSION_SECONDS,
              Tags: [{ Key: TENANT_TAG, Value: orgId }],
            },
            ...(options.stsConfig ? { clientConfig: options.stsConfig } : {}),
          }),
        }),
      ),
    ),
  );
}

let client: DynamoDBClient | undefined;
let platformDocs: DynamoDBDocumentClient | undefined;
let routed: DataClient | undefined;

/** One client per execution environment, reused across invocations (connection reuse). */
export function dynamoDbClient(): DynamoDBClient {
  client ??= tracer.captureAWSv3Client(new DynamoDBClient({}));
  return client;
}

/** The function's own credentials: platform items only, where the function role allows them. */
export function platformDocumentClient(): DynamoDBDocumentClient {
  platformDocs ??= translate(dynamoDbClient());
  return platformDocs;
}

/** The client every store uses: tenant items in the tenant's session, platform items as the function. */
export function documentClient(): DataClient {
  if (routed) return routed;
  const roleArn = tenantRoleArn();
  routed = roleArn
    ? tenantRoutedClient({
        roleArn,
        platform: platformDocumentClient(),
        capture: (c) => tracer.captureAWSv3Client(c),
      })
    : platformDocumentClient();
  return routed;
}
