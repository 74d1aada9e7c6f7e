import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyUnknownError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { OnceRunner } from '../../chat/ports';
import { DependencyUnavailableError, InProgressError } from '../../errors';

/** Platforms retry for minutes to hours; a piece of work's key is remembered for a day. */
const REMEMBER_SECONDS = 24 * 3600;

/**
 * Powertools idempotency around a piece of work: IN_PROGRESS while it runs, COMPLETED once it
 * finished (a replay does nothing), deleted if it failed, so the queue's retry runs it again.
 */
export class IdempotentOnce implements OnceRunner {
  private readonly config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    expiresAfterSeconds: REMEMBER_SECONDS,
  });
  private readonly run: (input: {
    key: string;
    work: () => Promise<void>;
    ran: { value: boolean };
  }) => Promise<boolean>;

  constructor(persistenceStore: BasePersistenceLayer) {
    this.run = makeIdempotent(
      async (input: { key: string; work: () => Promise<void>; ran: { value: boolean } }) => {
        input.ran.value = true;
        await input.work();
        return true;
      },
      { persistenceStore, config: this.config },
    );
  }

  registerLambdaContext(context: Context): void {
    this.config.registerLambdaContext(context);
  }

  async once(key: string, work: () => Promise<void>): Promise<'done' | 'duplicate'> {
    const ran = { value: false };
    try {
      await this.run({ key, work, ran });
      return ran.value ? 'done' : 'duplicate';
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new InProgressError('This chat work is being done; retry shortly', { cause: error });
      }
      if (error instanceof IdempotencyUnknownError) {
        throw new DependencyUnavailableError('The idempotency store is unavailable', { cause: error });
      }
      throw error;
    }
  }
}
