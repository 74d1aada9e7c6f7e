import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localNames } from '../lib/local/local-names';
import { generateApiKey, hashApiKey, maskApiKey } from '../shared/identity/api-key-format';
import { newId } from '../shared/ids';
import type { Summary } from './stats';
import { summarise } from './stats';

/** Times a synchronous or cached operation call by call; microsecond resolution is enough here. */
export async function timeEach(n: number, fn: () => Promise<unknown> | unknown): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarise(samples);
}

/** Loads `orgs` organisations, and `keys` API keys and `users` users into one of them, straight into the table. */
export async function seed(
  ddb: DynamoDBClient,
  orgId: string,
  counts: { orgs: number; keys: number; users: number },
): Promise<void> {
  const { orgs, keys, users } = counts;
  const docs = DynamoDBDocumentClient.from(ddb);
  const table = localNames.table('domain');
  const items: Record<string, unknown>[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < orgs; i++) {
    const id = newId('org');
    const org = {
      id,
      name: `Org ${i}`,
      slug: `seed-${i}-${id.slice(-6).toLowerCase()}`,
      status: 'active',
      createdAt: now,
    };
    items.push(
      { PK: `T#${id}#ORG`, SK: 'PROFILE', ...org, version: 1 },
      { PK: 'P#ORGS#ALL', SK: id, ...org },
    );
  }
  for (let i = 0; i < keys; i++) {
    const id = newId('key');
    const key = generateApiKey();
    items.push({
      PK: `T#${orgId}#APIKEY`,
      SK: id,
      id,
      orgId,
      name: `member ${i}`,
      role: 'member',
      display: maskApiKey(key),
      createdAt: now,
      createdBy: 'bench',
      expiresAt: null,
      status: 'active',
      keyHash: hashApiKey(key),
    });
  }
  for (let i = 0; i < users; i++) {
    const id = newId('usr');
    const email = `user-${i}@bench.test`;
    items.push(
      {
        PK: `T#${orgId}#USER`,
        SK: id,
        id,
        orgId,
        email,
        name: `User ${i}`,
        role: 'member',
        status: 'active',
        createdAt: now,
        createdBy: 'bench',
      },
      { PK: `T#${orgId}#USEREMAIL`, SK: email, userId: id },
    );
  }
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  // A few writers at a time: DynamoDB Local is one process on the same two cores.
  for (let i = 0; i < batches.length; i += 4) {
    await Promise.all(
      batches.slice(i, i + 4).map(async (batch) => {
        let pending: Record<string, unknown>[] | undefined = batch;
        while (pending && pending.length > 0) {
          const out: BatchWriteCommandOutput = await docs.send(
            new BatchWriteCommand({
              RequestItems: { [table]: pending.map((Item) => ({ PutRequest: { Item } })) },
            }),
          );
          pending = out.UnprocessedItems?.[table]?.map((r) => r.PutRequest?.Item as Record<string, unknown>);
        }
      }),
    );
  }
}
