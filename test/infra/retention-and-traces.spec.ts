import { synthesized } from './synthesized';

type Resource = { Type: string; Properties?: Record<string, unknown> };
/** A rule's or a schedule's target, as far as its dead-letter queue goes. */
type Target = {
  Id?: string;
  DeadLetterConfig?: { Arn: unknown };
  RetryPolicy?: { MaximumEventAgeInSeconds?: number };
};
let resources: Record<string, Resource>;
beforeAll(() => {
  const t = synthesized();
  resources = Object.assign(
    {},
    ...[t.data, t.hub, t.api, t.monitoring].map((x) => x.toJSON().Resources ?? {}),
  );
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
/** SQS's default retention when a queue does not set one. */
const SQS_DEFAULT_RETENTION = 4 * 86400;
const DAY = 86400;
const retentionOf = (queueId: string): number => {
  const queue = resources[queueId];
  expect(queue?.Type).toBe('AWS::SQS::Queue');
  return Number(queue?.Properties?.MessageRetentionPeriod ?? SQS_DEFAULT_RETENTION);
};
/** The logical id of a queue named by `{ Fn::GetAtt: [id, 'Arn'] }`. */
const queueIdOf = (arn: unknown): string => {
  const getAtt = (arn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  expect(getAtt?.[1]).toBe('Arn');
  return getAtt?.[0] ?? '';
};

describe('dead-letter queues', () => {
  it('keep every parked message longer than its source could have held it (SQS ages it from the first enqueue)', () => {
    const pairs: { source: string; kept: number; dlq: string }[] = [];
    for (const [id, queue] of ofType('AWS::SQS::Queue')) {
      const redrive = queue.Properties?.RedrivePolicy as { deadLetterTargetArn: unknown } | undefined;
      if (redrive)
        pairs.push({ source: id, kept: retentionOf(id), dlq: queueIdOf(redrive.deadLetterTargetArn) });
    }
    for (const [id, rule] of ofType('AWS::Events::Rule')) {
      for (const target of (rule.Properties?.Targets ?? []) as Target[]) {
        if (!target.DeadLetterConfig) continue;
        // EventBridge retries for the target's maximum event age (24 hours by default).
        const kept = target.RetryPolicy?.MaximumEventAgeInSeconds ?? DAY;
        pairs.push({ source: `${id}/${target.Id}`, kept, dlq: queueIdOf(target.DeadLetterConfig.Arn) });
      }
    }
    for (const [id, mapping] of ofType('AWS::Lambda::EventSourceMapping')) {
      const onFailure = (mapping.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } })
        ?.OnFailure?.Destination;
      // A DynamoDB stream keeps its records 24 hours.
      if (onFailure) pairs.push({ source: id, kept: DAY, dlq: queueIdOf(onFailure) });
    }
    for (const [id, schedule] of ofType('AWS::Scheduler::Schedule')) {
      const target = schedule.Properties?.Target as Target | undefined;
      if (!target?.DeadLetterConfig) continue;
      const kept = target.RetryPolicy?.MaximumEventAgeInSeconds ?? DAY;
      pairs.push({ source: id, kept, dlq: queueIdOf(target.DeadLetterConfig.Arn) });
    }
    // Every topology queue, the bus targets, the streams and the schedules have their DLQ.
    expect(
      pairs.filter((p) => resources[p.source]?.Type === 'AWS::SQS::Queue').length,
    ).toBeGreaterThanOrEqual(4);
    expect(pairs.length).toBeGreaterThan(ofType('AWS::SQS::Queue').length / 2);
    const tooShort = pairs.filter((p) => retentionOf(p.dlq) <= p.kept);
    expect(tooShort).toEqual([]);
  });
});

describe('traces', () => {
  it("never record a function's response: every Lambda function sets POWERTOOLS_TRACER_CAPTURE_RESPONSE=false", () => {
    const fns = ofType('AWS::Lambda::Function');
    expect(fns.length).toBeGreaterThan(10);
    const capturing = fns
      .filter(([, fn]) => {
        const env = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
          ?.Variables;
        return env?.POWERTOOLS_TRACER_CAPTURE_RESPONSE !== 'false';
      })
      .map(([id]) => id);
    expect(capturing).toEqual([]);
  });
});
