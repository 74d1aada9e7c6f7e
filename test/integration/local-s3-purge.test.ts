import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { functionCredentials, LocalIam } from '../../lib/local/local-iam';
import { localNames } from '../../lib/local/local-names';
import type { LocalS3 } from '../../lib/local/local-s3';
import { LOCAL_CLAIMS_BUCKET, startLocalS3 } from '../../lib/local/local-s3';
import { S3ClaimCheckStore } from '../../shared/adapters/s3/s3-claim-check-store';
import { ValidationError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { FunctionName } from '../../shared/topology';

/** The local S3's bucket listing and batch delete, as the purge uses them, held to each function's access. */
let dir: string;
let server: LocalS3;
const refusals: string[] = [];
const iam = new LocalIam(localCredentials.accessKeyId, (reason) => refusals.push(reason));
const clients: S3Client[] = [];
const client = (credentials = localCredentials) => {
  const c = new S3Client({
    endpoint: server.endpoint,
    region: localNames.region,
    credentials,
    forcePathStyle: true,
  });
  clients.push(c);
  return c;
};
const as = (name: FunctionName) => client(functionCredentials(name));
const Bucket = LOCAL_CLAIMS_BUCKET;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-s3-'));
  server = await startLocalS3({ dataDir: dir, buckets: [Bucket], iam });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const put = (s3: S3Client, Key: string, body = 'x') =>
  s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));

describe('the local S3 bucket listing and batch delete', () => {
  it('lists the keys under a prefix in pages of max-keys, in order, and deletes a batch, reporting keys already gone', async () => {
    const s3 = client();
    const keys = Array.from({ length: 7 }, (_, n) => `T#list-a/events/evt-${n}.json`);
    for (const key of [...keys].reverse()) await put(s3, key, `body of ${key}`);
    await put(s3, 'T#list-b/events/evt-0.json');

    const listed: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket, Prefix: 'T#list-a/', MaxKeys: 3, ContinuationToken: token }),
      );
      pages += 1;
      expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
      listed.push(...(page.Contents ?? []).map((o) => String(o.Key)));
      expect(page.Contents?.every((o) => o.Size === Buffer.byteLength(`body of ${o.Key}`))).toBe(true);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(pages).toBe(3);
    expect(listed).toEqual([...keys].sort());

    const out = await s3.send(
      new DeleteObjectsCommand({
        Bucket,
        Delete: { Objects: [...keys.slice(0, 4), 'T#list-a/never-there.json'].map((Key) => ({ Key })) },
      }),
    );
    expect((out.Deleted ?? []).map((d) => d.Key).sort()).toEqual(
      [...keys.slice(0, 4), 'T#list-a/never-there.json'].sort(),
    );
    expect(out.Errors ?? []).toEqual([]);
    const left = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'T#list-a/' }));
    expect((left.Contents ?? []).map((o) => o.Key)).toEqual(keys.slice(4));
    await expect(s3.send(new GetObjectCommand({ Bucket, Key: keys[0] }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    // Another prefix's object is untouched.
    const other = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'T#list-b/' }));
    expect(other.KeyCount).toBe(1);
  });

  it('lets the purge list and delete, and refuses both to a function whose access does not name the purge', async () => {
    const s3 = client();
    await put(s3, 'T#deny/events/evt-1.json');
    refusals.length = 0;
    // The webhook receiver may write claim checks, never list or delete them.
    await expect(
      as('receiveWebhook').send(new ListObjectsV2Command({ Bucket, Prefix: 'T#deny/' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(
      as('receiveWebhook').send(
        new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'T#deny/events/evt-1.json' }] } }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(refusals).toEqual([
      expect.stringContaining('s3:ListBucket'),
      expect.stringContaining('s3:DeleteObject'),
    ]);
    expect((await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'T#deny/' }))).KeyCount).toBe(1);

    const purger = as('purgeDeletedOrgs');
    expect((await purger.send(new ListObjectsV2Command({ Bucket, Prefix: 'T#deny/' }))).KeyCount).toBe(1);
    await purger.send(
      new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'T#deny/events/evt-1.json' }] } }),
    );
    expect((await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'T#deny/' }))).KeyCount).toBe(0);
    // It reads no body: a purge has no business with what the events say.
    await put(s3, 'T#deny/events/evt-2.json');
    await expect(
      purger.send(new GetObjectCommand({ Bucket, Key: 'T#deny/events/evt-2.json' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});

describe("the claim-check store's tenant purge", () => {
  it("removes every object under the org's prefix in bounded, resumable runs, and nothing of another org", async () => {
    const store = new S3ClaimCheckStore(as('purgeDeletedOrgs'), Bucket);
    const writer = new S3ClaimCheckStore(client(), Bucket);
    const doomed = newId('org');
    const bystander = newId('org');
    for (let n = 0; n < 5; n += 1) await writer.put(doomed, `events/evt-${n}.json`, `{"n":${n}}`);
    await writer.put(bystander, 'events/evt-0.json', '{}');

    // Out of time before the first page: nothing removed, not done.
    expect(await store.purgeTenant(doomed, () => true)).toEqual({ removed: 0, done: false });
    expect(await store.purgeTenant(doomed)).toEqual({ removed: 5, done: true });
    expect(await store.purgeTenant(doomed)).toEqual({ removed: 0, done: true });
    const s3 = client();
    expect((await s3.send(new ListObjectsV2Command({ Bucket, Prefix: `T#${doomed}/` }))).KeyCount).toBe(0);
    expect((await s3.send(new ListObjectsV2Command({ Bucket, Prefix: `T#${bystander}/` }))).KeyCount).toBe(1);
  });

  it('refuses a tenant that is not a well-formed org id, so no purge reaches past one tenant', async () => {
    const store = new S3ClaimCheckStore(client(), Bucket);
    for (const bad of ['', 'org_', '*', 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA/..', 'list-a'])
      await expect(store.purgeTenant(bad)).rejects.toBeInstanceOf(ValidationError);
  });
});
