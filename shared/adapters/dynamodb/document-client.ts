import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '../../observability/observability';

let client: DynamoDBClient | undefined;
let docClient: DynamoDBDocumentClient | undefined;

/** One client per execution environment, reused across invocations (connection reuse). */
export function dynamoDbClient(): DynamoDBClient {
  client ??= tracer.captureAWSv3Client(new DynamoDBClient({}));
  return client;
}

export function documentClient(): DynamoDBDocumentClient {
  docClient ??= DynamoDBDocumentClient.from(dynamoDbClient(), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return docClient;
}
