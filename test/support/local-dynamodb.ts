import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { localNames } from '../../lib/local/local-names';
import { testDynamoDb } from './test-dynamodb';

/** DynamoDB Local alone on a free loopback port, with the topology's tables: for tests that need no queue server. */
export async function startLocalDynamoDb(options: { own?: boolean } = {}) {
  const dynamo = await testDynamoDb(options);
  const ddb = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: localNames.region,
    credentials: localCredentials,
  });
  const docs = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  const { tables } = dynamo;
  return {
    docs,
    tables,
    stop: async () => {
      ddb.destroy();
      await dynamo.stop();
    },
  };
}

export type LocalDynamoDb = Awaited<ReturnType<typeof startLocalDynamoDb>>;
