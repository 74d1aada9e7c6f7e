import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { localNames } from '../../lib/local/local-names';
import { startSqsLocal } from '../../lib/local/sqs-local';
import { testDynamoDb } from './test-dynamodb';

/** DynamoDB Local and the SQS server on free loopback ports, with the topology's tables, in a temp dir. */
export async function startLocalAws(options: { own?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hub-it-'));
  const dynamo = await testDynamoDb(options);
  const sqsServer = await startSqsLocal(dir);
  const ddb = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: localNames.region,
    credentials: localCredentials,
  });
  const docs = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({
    endpoint: sqsServer.endpoint,
    region: localNames.region,
    credentials: localCredentials,
  });
  const { tables } = dynamo;
  return {
    dir,
    ddb,
    docs,
    sqs,
    tables,
    endpoints: { dynamodb: dynamo.endpoint, sqs: sqsServer.endpoint },
    stop: async () => {
      ddb.destroy();
      sqs.destroy();
      await sqsServer.stop();
      await dynamo.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type LocalAws = Awaited<ReturnType<typeof startLocalAws>>;
