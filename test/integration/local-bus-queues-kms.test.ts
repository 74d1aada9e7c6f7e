import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import type { Message } from '@aws-sdk/client-sqs';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { AwsEmulator } from '../../lib/local/aws-emulator';
import { startAwsEmulator } from '../../lib/local/aws-emulator';
import { localCredentials } from '../../lib/local/dynamodb-local';
import type { FunctionHost } from '../../lib/local/function-host';
import { LocalKms } from '../../lib/local/local-kms';
import { localNames } from '../../lib/local/local-names';
import type { LocalQueue } from '../../lib/local/sqs-local';
import { ensureQueues } from '../../lib/local/sqs-local';
import { startPoller } from '../../lib/local/sqs-poller';
import { EventBridgePublisher } from '../../shared/adapters/eventbridge/eventbridge-publisher';
import { KmsSecretCipher } from '../../shared/adapters/kms/kms-secret-cipher';
import { DependencyUnavailableError } from '../../shared/errors';
import { parseBusEnvelope } from '../../shared/events/bus-envelope';
import type { ClaimCheckStore } from '../../shared/ports/claim-check-store';
import { queues as topologyQueues } from '../../shared/topology';
import { aCanonicalEvent } from '../support/builders';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
let emulator: AwsEmulator;
let queues: Awaited<ReturnType<typeof ensureQueues>>;

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
});
afterAll(async () => {
  await emulator?.stop();
  await aws?.stop();
});

const clientConfig = () => ({
  endpoint: emulator.endpoint,
  region: localNames.region,
  credentials: localCredentials,
});

async function receiveAll(url: string, waitSeconds = 1): Promise<Message[]> {
  const out = await aws.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      VisibilityTimeout: 0,
    }),
  );
  return out.Messages ?? [];
}

/** Every message the queue holds now, each received once (left to reappear after its visibility timeout). */
async function drain(url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    if (!out.Messages?.length) return all;
    all.push(...out.Messages);
  }
}

const canonical = () => aCanonicalEvent();
/** These events fit the bus: nothing is claim-checked (test/integration/claim-checks.test.ts covers that). */
const noClaims: ClaimCheckStore = {
  put: async () => {
    throw new Error('unexpected claim check');
  },
  get: async () => {
    throw new Error('unexpected claim check');
  },
  purgeTenant: async () => {
    throw new Error('unexpected claim check');
  },
};

describe('local EventBridge, KMS and queues with the production adapters', () => {
  it("routes a published event through the topology's rule to its queue, in EventBridge's envelope", async () => {
    const publisher = new EventBridgePublisher(
      new EventBridgeClient(clientConfig()),
      localNames.eventBus,
      noClaims,
    );
    const event = canonical();
    await publisher.publish([event]);
    const messages = await receiveAll(queues.events.url);
    const delivered = await Promise.all(messages.map((m) => parseBusEnvelope(m.Body ?? '', noClaims)));
    expect(delivered).toContainEqual(event);
  });

  it('fails the publish when the bus rejects an entry, so the caller does not acknowledge', async () => {
    const publisher = new EventBridgePublisher(
      new EventBridgeClient(clientConfig()),
      'no-such-bus',
      noClaims,
    );
    await expect(publisher.publish([canonical()])).rejects.toBeInstanceOf(DependencyUnavailableError);
  });

  it("routes the default bus's events only to the rules on the default bus, and the hub bus's only to the hub's", async () => {
    const events = new EventBridgeClient(clientConfig());
    const sesEvent = (marker: string, bus?: string) => ({
      ...(bus === undefined ? {} : { EventBusName: bus }),
      Source: 'aws.ses',
      DetailType: 'Email Bounced',
      Detail: JSON.stringify({ eventType: 'Bounce', mail: { messageId: marker } }),
    });
    const defaultArn = `arn:aws:events:${localNames.region}:${localNames.account}:event-bus/default`;
    // No bus named is the default bus, as in EventBridge; so are its name and its ARN.
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          sesEvent('on-default-implicit'),
          sesEvent('on-default-named', 'default'),
          sesEvent('on-default-arn', defaultArn),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    await events.send(new PutEventsCommand({ Entries: [sesEvent('on-hub', localNames.eventBus)] }));

    const markers = async (url: string) =>
      (await drain(url))
        .map(
          (m) =>
            (JSON.parse(m.Body ?? '{}') as { detail?: { mail?: { messageId?: string } } }).detail?.mail
              ?.messageId,
        )
        .filter((id): id is string => typeof id === 'string' && id.startsWith('on-'))
        .sort();
    // PutEvents answers once every target queue has the event: what is not there now never arrives.
    expect(await markers(queues.mailFeedback.url)).toEqual([
      'on-default-arn',
      'on-default-implicit',
      'on-default-named',
    ]);
    // The same event on the hub's bus is not feedback from the mail service; the hub's rules see it.
    expect(await markers(queues.notify.url)).toEqual(['on-hub']);
  });

  it("does not route a canonical event on the hub's bus to the default bus's rules, nor accept an unknown bus", async () => {
    const publisher = new EventBridgePublisher(
      new EventBridgeClient(clientConfig()),
      localNames.eventBus,
      noClaims,
    );
    const event = canonical();
    await publisher.publish([event]);
    expect(await drain(queues.mailFeedback.url)).toEqual([]);
    const out = await new EventBridgeClient(clientConfig()).send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'no-such-bus', Source: 'aws.ses', DetailType: 'Email Bounced', Detail: '{}' },
        ],
      }),
    );
    expect(out.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');
  });

  it('decrypts a secret only under the encryption context it was encrypted with', async () => {
    const cipher = new KmsSecretCipher(new KMSClient(clientConfig()), localNames.secretsKey);
    const context = { orgId: 'org_A', connectionId: 'con_1' };
    const sealed = await cipher.encrypt('whsec_c2VjcmV0', context);
    expect(sealed).not.toContain('c2VjcmV0');
    await expect(cipher.decrypt(sealed, context)).resolves.toBe('whsec_c2VjcmV0');
    await expect(cipher.decrypt(sealed, { ...context, orgId: 'org_B' })).rejects.toThrow();
  });

  it('deletes what the worker handled, and parks a message that keeps failing in the DLQ', async () => {
    const dlq = await aws.sqs.send(new CreateQueueCommand({ QueueName: 'poller-test-dlq' }));
    const dlqArn = (
      await aws.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    const main = await aws.sqs.send(
      new CreateQueueCommand({
        QueueName: 'poller-test',
        Attributes: {
          VisibilityTimeout: '1',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
        },
      }),
    );
    const queue: LocalQueue = {
      url: String(main.QueueUrl),
      arn: 'arn:test',
      deadLetterUrl: String(dlq.QueueUrl),
    };
    const seen: string[] = [];
    const host = {
      invoke: async (_name: string, event: SQSEvent) => {
        seen.push(...event.Records.map((r) => r.body));
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
    } as unknown as FunctionHost;
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'fine' }));
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'poison' }));
    const poller = startPoller({ sqs: aws.sqs, host, name: 'events', queue, onError: () => undefined });
    let parked: Message[] = [];
    const deadline = Date.now() + 20_000;
    while (parked.length === 0 && Date.now() < deadline) parked = await receiveAll(queue.deadLetterUrl);
    await poller.stop();

    expect(parked.map((m) => m.Body)).toEqual(['poison']);
    expect(seen.filter((b) => b === 'fine')).toHaveLength(1);
    expect(seen.filter((b) => b === 'poison').length).toBeGreaterThanOrEqual(2);
    expect(await receiveAll(queue.url, 0)).toEqual([]);
  });
  it('keeps a queue with local concurrency moving while one of its batches is slow', async () => {
    expect(topologyQueues.deliveries.localConcurrency ?? 1).toBeGreaterThan(1);
    const main = await aws.sqs.send(new CreateQueueCommand({ QueueName: 'poller-concurrency-test' }));
    const queue: LocalQueue = { url: String(main.QueueUrl), arn: 'arn:test', deadLetterUrl: '' };
    // The slow message is held until the fast one has been handled: one poller alone would deadlock.
    let releaseSlow: () => void = () => undefined;
    const slowHeld = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    let slowStarted: () => void = () => undefined;
    const slowRunning = new Promise<void>((resolve) => {
      slowStarted = resolve;
    });
    const handled: string[] = [];
    const host = {
      invoke: async (_name: string, event: SQSEvent) => {
        for (const record of event.Records) {
          if (record.body === 'slow') {
            slowStarted();
            await slowHeld;
          }
          handled.push(record.body);
          if (record.body === 'fast') releaseSlow();
        }
        return { batchItemFailures: [] };
      },
    } as unknown as FunctionHost;
    const poller = startPoller({ sqs: aws.sqs, host, name: 'deliveries', queue, onError: () => undefined });
    try {
      await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'slow' }));
      await slowRunning;
      await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'fast' }));
      await slowHeld;
    } finally {
      releaseSlow();
      await poller.stop();
    }
    expect(handled).toEqual(['fast', 'slow']);
    expect(await receiveAll(queue.url, 0)).toEqual([]);
    // A single poller never reaches the fast message: fail in seconds rather than at the suite's timeout.
  }, 20_000);
});
