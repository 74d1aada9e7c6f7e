import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyUnknownError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { DependencyUnavailableError, InProgressError } from '../../errors';
import type { CanonicalEvent } from '../../events/canonical-event';
import type { DeliveryLedger } from '../../ports/delivery-ledger';
import type { EventPublisher } from '../../ports/event-publisher';

/** What the idempotent function is called with: only `key` identifies the delivery (`eventKeyJmesPath`). */
interface Claim {
  readonly key: string;
  readonly event: CanonicalEvent;
  readonly admit?: () => Promise<void>;
}

/** Providers retry for up to a few days; a delivery key is remembered for a week. */
const REMEMBER_SECONDS = 7 * 24 * 3600;

/**
 * Powertools idempotency around publishing: the record is IN_PROGRESS while the bus is called,
 * COMPLETED once it accepted, and deleted if it did not, so the sender's retry is processed again.
 */
export class IdempotentDeliveryLedger implements DeliveryLedger {
  private readonly publish: (input: Claim) => Promise<{ eventId: string }>;
  private readonly config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    expiresAfterSeconds: REMEMBER_SECONDS,
  });

  constructor(publisher: EventPublisher, persistenceStore: BasePersistenceLayer) {
    this.publish = makeIdempotent(
      async (input: Claim) => {
        // Inside the claim: a replay is answered from the record and never reaches this.
        await input.admit?.();
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

  async publishOnce(
    deliveryKey: string,
    event: CanonicalEvent,
    admit?: () => Promise<void>,
  ): Promise<{ eventId: string; duplicate: boolean }> {
    try {
      const { eventId } = await this.publish({ key: deliveryKey, event, ...(admit ? { admit } : {}) });
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
