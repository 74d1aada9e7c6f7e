import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTables, localCredentials, startDynamoDbLocal } from '../../lib/local/dynamodb-local';
import { localNames } from '../../lib/local/local-names';
import { startSqsLocal } from '../../lib/local/sqs-local';
import type { TablesConfig } from '../../shared/config/config';

/** DynamoDB Local and the SQS server on free loopback ports, with the topology's tables, in a temp dir. */
export async function startLocalAws() {
  const dir = mkdtempSync(join(tmpdir(), 'hub-it-'));
  const dynamo = await startDynamoDbLocal(dir);
  await ensureTables(dynamo.endpoint);
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
  const tables: TablesConfig = {
    domainTable: localNames.table('domain'),
    auditTable: localNames.table('audit'),
  };
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
