import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import { PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { AwsEmulator } from '../../lib/local/aws-emulator';
import { startAwsEmulator } from '../../lib/local/aws-emulator';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { LocalKms } from '../../lib/local/local-kms';
import { localNames } from '../../lib/local/local-names';
import type { LocalS3 } from '../../lib/local/local-s3';
import { LOCAL_CLAIMS_BUCKET, startLocalS3 } from '../../lib/local/local-s3';
import { ensureQueues } from '../../lib/local/sqs-local';
import {
  EventBridgePublisher,
  entrySize,
  MAX_ENTRY_BYTES,
} from '../../shared/adapters/eventbridge/eventbridge-publisher';
import { S3ClaimCheckStore } from '../../shared/adapters/s3/s3-claim-check-store';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { parseBusEnvelope } from '../../shared/events/bus-envelope';
import { noteRetention, RETENTION_TAG } from '../../shared/tenancy/retention';
import { aCanonicalEvent } from '../support/builders';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
let emulator: AwsEmulator;
let s3Server: LocalS3;
let queues: Awaited<ReturnType<typeof ensureQueues>>;
let s3: S3Client;
let bus: EventBridgeClient;
let claims: S3ClaimCheckStore;

const startS3 = () => startLocalS3({ dataDir: aws.dir, buckets: [LOCAL_CLAIMS_BUCKET] });
const s3Client = () =>
  new S3Client({
    endpoint: s3Server.endpoint,
    region: localNames.region,
    credentials: localCredentials,
    forcePathStyle: true,
  });

beforeAll(async () => {
  aws = await startLocalAws();
  queues = await ensureQueues(aws.sqs);
  emulator = await startAwsEmulator({
    sqs: aws.sqs,
    queueUrls: {
      events: queues.events.url,
      mail: queues.mail.url,
      sync: queues.sync.url,
      reconcile: queues.reconcile.url,
      notify: queues.notify.url,
      deliveries: queues.deliveries.url,
      mailFeedback: queues.mailFeedback.url,
      realtime: queues.realtime.url,
      chat: queues.chat.url,
    },
    kms: new LocalKms(aws.dir),
  });
  s3Server = await startS3();
  s3 = s3Client();
  claims = new S3ClaimCheckStore(s3, LOCAL_CLAIMS_BUCKET);
  bus = new EventBridgeClient({
    endpoint: emulator.endpoint,
    region: localNames.region,
    credentials: localCredentials,
  });
});
afterAll(async () => {
  s3?.destroy();
  bus?.destroy();
  await s3Server?.stop();
  await emulator?.stop();
  await aws?.stop();
});
beforeEach(async () => {
  await aws.sqs.send(new PurgeQueueCommand({ QueueUrl: queues.events.url }));
});

async function receiveAll(url: string): Promise<Message[]> {
  const out = await aws.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      VisibilityTimeout: 0,
    }),
  );
  return out.Messages ?? [];
}

/** An entry of exactly `bytes`, as EventBridge counts them. */
function entryOf(bytes: number) {
  const base = {
    EventBusName: localNames.eventBus,
    Source: 'integration-hub.generic',
    DetailType: 'generic.test',
    Time: new Date(),
  };
  const empty = entrySize({ ...base, Detail: '{"p":""}' });
  return { ...base, Detail: JSON.stringify({ p: 'x'.repeat(bytes - empty) }) };
}

describe('the local EventBridge enforces the PutEvents limits AWS enforces', () => {
  it('accepts an entry of exactly 256 KiB and refuses one byte more, counted as AWS counts it', async () => {
    const fits = entryOf(MAX_ENTRY_BYTES);
    expect(entrySize(fits)).toBe(MAX_ENTRY_BYTES);
    const ok = await bus.send(new PutEventsCommand({ Entries: [fits] }));
    expect(ok.FailedEntryCount).toBe(0);
    await expect(
      bus.send(new PutEventsCommand({ Entries: [entryOf(MAX_ENTRY_BYTES + 1)] })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/Total size of the entries/),
    });
  });

  it('refuses a call whose entries together pass 256 KiB, and one of more than ten entries', async () => {
    const half = entryOf(MAX_ENTRY_BYTES / 2 + 1);
    await expect(bus.send(new PutEventsCommand({ Entries: [half, half] }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const small = entryOf(100);
    await expect(
      bus.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => small) })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    // Nothing of a refused call reached a queue.
    expect(await receiveAll(queues.events.url)).toEqual([]);
  });

  it('fails an entry whose Detail is not a JSON object with MalformedDetail', async () => {
    const out = await bus.send(
      new PutEventsCommand({ Entries: [{ ...entryOf(100), Detail: '[1,2]' }, entryOf(100)] }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]).toMatchObject({ ErrorCode: 'MalformedDetail' });
  });
});

describe('claim checks through the local S3 and bus, with the production adapters', () => {
  it('publishes a 1 MiB event as a reference and gives the worker the whole event back', async () => {
    const event = aCanonicalEvent({ data: { description: 'ü'.repeat(512 * 1024), nested: { ok: true } } });
    await new EventBridgePublisher(bus, localNames.eventBus, claims).publish([event, aCanonicalEvent()]);
    const messages = await receiveAll(queues.events.url);
    expect(messages).toHaveLength(2);
    const big = messages.find((m) => (m.Body ?? '').includes(event.id));
    expect(Buffer.byteLength(big?.Body ?? '')).toBeLessThan(4096);
    expect(JSON.parse(big?.Body ?? '{}').detail.claim.key).toBe(
      `T#${event.tenantId}/events/${event.id}.json`,
    );
    await expect(parseBusEnvelope(big?.Body ?? '', claims)).resolves.toEqual({
      ...event,
      claim: expect.objectContaining({ key: `T#${event.tenantId}/events/${event.id}.json` }),
    });
    // Persisted under the data dir.
    expect(readdirSync(join(aws.dir, 's3', LOCAL_CLAIMS_BUCKET)).length).toBeGreaterThan(0);
  });

  it("tags each object with its org's retention class, which the bucket's lifecycle rules expire by", async () => {
    noteRetention('org_tagged', 31);
    const ref = await claims.put('org_tagged', 'events/evt_t.json', '{"t":1}');
    const meta = readdirSync(join(aws.dir, 's3', LOCAL_CLAIMS_BUCKET))
      .filter((f) => f.endsWith('.object.meta'))
      .map((f) => ({ key: Buffer.from(f.slice(0, -'.object.meta'.length), 'base64url').toString(), f }))
      .find((m) => m.key === ref.key);
    expect(meta).toBeDefined();
    const stored = JSON.parse(
      readFileSync(join(aws.dir, 's3', LOCAL_CLAIMS_BUCKET, String(meta?.f)), 'utf8'),
    );
    expect(stored.tagging).toBe(`${RETENTION_TAG}=60`);
  });

  it('keeps claim-checked objects across a restart of the local S3', async () => {
    const ref = await claims.put('org_restart', 'events/evt_x.json', '{"kept":true}');
    await s3Server.stop();
    s3.destroy();
    s3Server = await startS3();
    s3 = s3Client();
    claims = new S3ClaimCheckStore(s3, LOCAL_CLAIMS_BUCKET);
    await expect(claims.get(ref.key)).resolves.toBe('{"kept":true}');
    expect(existsSync(join(aws.dir, 's3'))).toBe(true);
  });

  it("refuses a reference to a missing, altered or other tenant's object", async () => {
    const event = aCanonicalEvent({ data: { big: 'y'.repeat(300 * 1024) } });
    await new EventBridgePublisher(bus, localNames.eventBus, claims).publish([event]);
    const [message] = await receiveAll(queues.events.url);
    const body = JSON.parse(message?.Body ?? '{}');
    const withClaim = (claim: Record<string, unknown>, tenantId = event.tenantId) =>
      JSON.stringify({
        ...body,
        detail: { ...body.detail, tenantId, claim: { ...body.detail.claim, ...claim } },
      });
    await expect(
      parseBusEnvelope(withClaim({ key: `T#${event.tenantId}/events/evt_gone.json` }), claims),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(parseBusEnvelope(withClaim({ sha256: '0'.repeat(64) }), claims)).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(parseBusEnvelope(withClaim({}, 'org_other'), claims)).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('answers as S3 does: NoSuchKey for a missing object, 404 to HEAD, 204 to DELETE, whatever the key', async () => {
    await expect(
      s3.send(new GetObjectCommand({ Bucket: LOCAL_CLAIMS_BUCKET, Key: 'T#org_1/none.json' })),
    ).rejects.toBeInstanceOf(NoSuchKey);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: LOCAL_CLAIMS_BUCKET, Key: 'T#org_1/none.json' })),
    ).rejects.toBeInstanceOf(NotFound);
    await expect(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' }))).rejects.toMatchObject(
      { name: 'NoSuchBucket' },
    );
    // A key that looks like a path cannot leave the bucket.
    const key = '../../escape.json';
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_CLAIMS_BUCKET, Key: key, Body: 'inside' }));
    expect(existsSync(join(aws.dir, 'escape.json'))).toBe(false);
    const head = await s3.send(new HeadObjectCommand({ Bucket: LOCAL_CLAIMS_BUCKET, Key: key }));
    expect(head.ContentLength).toBe(6);
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: LOCAL_CLAIMS_BUCKET, Key: key }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    await expect(
      s3.send(new GetObjectCommand({ Bucket: LOCAL_CLAIMS_BUCKET, Key: key })),
    ).rejects.toBeInstanceOf(NoSuchKey);
  });
});
