import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTables, localCredentials, startDynamoDbLocal } from '../../lib/local/dynamodb-local';
import { localNames } from '../../lib/local/local-names';
import type { TablesConfig } from '../../shared/config/config';

/** DynamoDB Local alone on a free loopback port, with the topology's tables: for tests that need no queue server. */
export async function startLocalDynamoDb() {
  const dir = mkdtempSync(join(tmpdir(), 'hub-ddb-'));
  const dynamo = await startDynamoDbLocal(dir);
  await ensureTables(dynamo.endpoint);
  const ddb = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: localNames.region,
    credentials: localCredentials,
  });
  const docs = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  const tables: TablesConfig = {
    domainTable: localNames.table('domain'),
    auditTable: localNames.table('audit'),
  };
  return {
    docs,
    tables,
    stop: async () => {
      ddb.destroy();
      await dynamo.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type LocalDynamoDb = Awaited<ReturnType<typeof startLocalDynamoDb>>;
