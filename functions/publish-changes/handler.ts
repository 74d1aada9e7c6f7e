import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { domainEventFromInsert, isAnnouncedKey } from '../../shared/events/domain-change';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';
import type { Clock } from '../../shared/ports/clock';
import { systemClock } from '../../shared/ports/clock';
import type { EventPublisher } from '../../shared/ports/event-publisher';

/**
 * Reads the domain table's stream and announces new orgs, connections and API keys on the bus.
 * A failed record is reported by sequence number, so the stream retries from it, in order.
 */
export const makeHandler = (publisher: EventPublisher, clock: Clock) => {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const publishRecord = async (record: DynamoDBRecord) => {
    if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return;
    // Skipped unread: an item that is not announced (an event, a dead letter, up to 400 KB) is never parsed.
    if (!isAnnouncedKey(record.dynamodb.Keys?.PK?.S ?? record.dynamodb.NewImage.PK?.S)) return;
    const item = unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>);
    const event = domainEventFromInsert(item, record.eventID ?? '', clock.now());
    if (!event) return;
    await publisher.publish([event]);
    metrics.addMetric('DomainEventPublished', MetricUnit.Count, 1);
    logger.debug('Domain event published', { eventId: event.id, type: event.type, tenantId: event.tenantId });
  };
  return instrumented(async (event: DynamoDBStreamEvent, context: Context) => {
    metrics.addMetric('StreamRecordsRead', MetricUnit.Count, event.Records.length);
    return processPartialResponse(event, publishRecord, processor, { context });
  });
};

export const handler = makeHandler(adapters.eventPublisher(), systemClock);
