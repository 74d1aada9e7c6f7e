import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { NotFoundError } from '../errors';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { MessageQueues } from '../ports/message-queue';
import type { AuditStore, DeadLetterStore, PageRequest } from '../ports/stores';
import type { DeadLetter, StoredDeadLetter } from './dead-letter';

const shown = ({ body: _body, ...letter }: StoredDeadLetter): DeadLetter => letter;

export function makeListDeadLetters(deps: { deadLetters: DeadLetterStore }) {
  return async (orgId: string, page: PageRequest) => {
    const result = await deps.deadLetters.list(orgId, page);
    return { items: result.items.map(shown), nextCursor: result.nextCursor };
  };
}

/** The most letters one redrive puts back; more take another call. */
export const MAX_REDRIVE = 100;

/**
 * Puts parked messages back on the queues they came from (all of the org's, or the ones named),
 * then forgets them. Workers are idempotent, so a message redriven twice is handled once.
 */
export function makeRedriveDeadLetters(deps: {
  deadLetters: DeadLetterStore;
  queues: Pick<MessageQueues, 'send'>;
  audit: Pick<AuditStore, 'append'>;
  clock: Clock;
}) {
  return async (
    orgId: string,
    ids: readonly string[] | undefined,
    principal: Principal,
    request: RequestContext,
  ) => {
    let letters: StoredDeadLetter[];
    if (ids) {
      letters = [];
      for (const id of ids) {
        const letter = await deps.deadLetters.get(orgId, id);
        if (!letter) throw new NotFoundError(`No dead letter ${id}`);
        letters.push(letter);
      }
    } else {
      letters = [...(await deps.deadLetters.list(orgId, { limit: MAX_REDRIVE })).items];
    }
    const redriven: string[] = [];
    for (const letter of letters) {
      // Back on the queue first: if forgetting it then fails, it is redriven twice, never lost.
      await deps.queues.send(letter.queue, letter.body);
      if (await deps.deadLetters.remove(orgId, letter.id)) redriven.push(letter.id);
    }
    await deps.audit.append(
      auditChange({
        action: 'dead_letters.redriven',
        principal,
        orgId,
        targets: redriven.map((id) => ({ type: 'dead_letter', id })),
        request,
        at: deps.clock.now(),
        after: { count: redriven.length },
      }),
    );
    return { redriven: redriven.length, ids: redriven };
  };
}
