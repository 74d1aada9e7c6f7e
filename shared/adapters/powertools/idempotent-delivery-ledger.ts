import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
  IdempotencyUnknownError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { DependencyUnavailableError, InProgressError } from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import type { DeliveryLedger } from '../../ports/delivery-ledger';
import type { EventPublisher } from '../../ports/event-publisher';

/** Providers retry for up to a few days; a delivery key is remembered for a week. */
const REMEMBER_SECONDS = 7 * 24 * 3600;

/**
 * Powertools idempotency around publishing: the record is IN_PROGRESS while the bus is called,
 * COMPLETED once it accepted, and deleted if it did not, so the sender's retry is processed again.
 */
export class IdempotentDeliveryLedger implements DeliveryLedger {
  private readonly publish: (input: { key: string; event: CanonicalEvent }) => Promise<{ eventId: string }>;
  private readonly config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    expiresAfterSeconds: REMEMBER_SECONDS,
  });

  constructor(
    publisher: EventPublisher,
    private readonly persistenceStore: BasePersistenceLayer,
  ) {
    this.publish = makeIdempotent(
      async (input: { key: string; event: CanonicalEvent }) => {
        await publisher.publish([input.event]);
        return { eventId: input.event.id };
      },
      { persistenceStore, config: this.config },
    );
  }

  /** Lets an in-progress record expire with the invocation, so a crashed attempt does not block retries. */
  registerLambdaContext(context: Context): void {
    this.config.registerLambdaContext(context);
  }

  async previous(deliveryKey: string): Promise<{ eventId: string } | null> {
    // The same configuration makeIdempotent applies, so the record read is the one it writes.
    this.persistenceStore.configure({ config: this.config });
    let record: Awaited<ReturnType<BasePersistenceLayer['getRecord']>>;
    try {
      record = await this.persistenceStore.getRecord({ key: deliveryKey });
    } catch (error) {
      if (error instanceof IdempotencyItemNotFoundError) return null;
      throw new DependencyUnavailableError('The delivery ledger is unavailable', { cause: error });
    }
    const status = record.getStatus();
    if (status === IdempotencyRecordStatus.COMPLETED) {
      const response = record.getResponse() as { eventId?: unknown } | undefined;
      return typeof response?.eventId === 'string' ? { eventId: response.eventId } : null;
    }
    // An attempt still within its invocation holds the delivery; a crashed one's record is taken over.
    if (
      status === IdempotencyRecordStatus.INPROGRESS &&
      (record.inProgressExpiryTimestamp ?? 0) > Date.now()
    ) {
      throw new InProgressError('This delivery is being processed; retry shortly');
    }
    return null;
  }

  async publishOnce(
    deliveryKey: string,
    event: CanonicalEvent,
  ): Promise<{ eventId: string; duplicate: boolean }> {
    try {
      const { eventId } = await this.publish({ key: deliveryKey, event });
      return { eventId, duplicate: eventId !== event.id };
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new InProgressError('This delivery is being processed; retry shortly', { cause: error });
      }
      if (error instanceof IdempotencyUnknownError) {
        throw new DependencyUnavailableError('The delivery ledger is unavailable', { cause: error });
      }
      throw error;
    }
  }
}
