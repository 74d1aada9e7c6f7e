import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTables, startDynamoDbLocal } from '../../lib/local/dynamodb-local';
import { localNames } from '../../lib/local/local-names';
import type { TablesConfig } from '../../shared/config/config';

/** Where a run's shared DynamoDB Local says where it answers (the teardown ends it by its pid). */
export const SHARED_DYNAMODB_FILE = 'dynamodb.json';
const READY_MS = 120_000;

export interface TestDynamoDb {
  readonly endpoint: string;
  /** The topology's tables, this file's own set. */
  readonly tables: TablesConfig;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local with the topology's tables for one test file. In a jest run the files share one
 * Java process (started by the first that asks, ended by the global teardown) and each gets tables
 * of its own under a suffix, so no file pays for a JVM start or sees another's items; `own` (or a
 * run without the shared place) starts a process of its own, for a file that names tables itself.
 */
export async function testDynamoDb(options: { own?: boolean } = {}): Promise<TestDynamoDb> {
  const sharedDir = process.env.HUB_E2E_SHARED_DIR;
  if (options.own || !sharedDir) {
    const dir = mkdtempSync(join(tmpdir(), 'hub-ddb-'));
    const dynamo = await startDynamoDbLocal(dir);
    await ensureTables(dynamo.endpoint);
    return {
      endpoint: dynamo.endpoint,
      tables: tablesWith(''),
      stop: async () => {
        await dynamo.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const endpoint = await sharedEndpoint(sharedDir);
  const suffix = `-${randomUUID().slice(0, 8)}`;
  await ensureTables(endpoint, suffix);
  // The shared process outlives the file; its tables go with it at the end of the run.
  return { endpoint, tables: tablesWith(suffix), stop: async () => undefined };
}

function tablesWith(suffix: string): TablesConfig {
  return {
    domainTable: `${localNames.table('domain')}${suffix}`,
    auditTable: `${localNames.table('audit')}${suffix}`,
  };
}

async function sharedEndpoint(dir: string): Promise<string> {
  const info = join(dir, SHARED_DYNAMODB_FILE);
  const failed = join(dir, 'dynamodb.failed');
  let starter = false;
  try {
    closeSync(openSync(join(dir, 'dynamodb.lock'), 'wx'));
    starter = true;
  } catch {
    starter = false;
  }
  if (starter) {
    try {
      const dynamo = await startDynamoDbLocal(join(dir, 'dynamodb-shared'), { detached: true });
      writeFileSync(info, JSON.stringify({ endpoint: dynamo.endpoint, pid: dynamo.pid }));
      return dynamo.endpoint;
    } catch (error) {
      writeFileSync(failed, String(error));
      throw error;
    }
  }
  const deadline = Date.now() + READY_MS;
  while (!existsSync(info)) {
    if (existsSync(failed)) throw new Error(readFileSync(failed, 'utf8'));
    if (Date.now() > deadline) throw new Error('the shared DynamoDB Local did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return String((JSON.parse(readFileSync(info, 'utf8')) as { endpoint: string }).endpoint);
}
