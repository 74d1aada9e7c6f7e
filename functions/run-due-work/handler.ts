import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { approvalExpiry } from '../../shared/approvals/expiry';
import { makeRunDueWork } from '../../shared/notify/delivery/due-work';
import { instrumented } from '../../shared/observability/instrumented';
import { logger } from '../../shared/observability/observability';

/**
 * Scheduled every minute: queues the delivery retries that have come due, and runs the endpoints'
 * health checks (a warning to the org's admins on day 4 of failing, disabled on day 5), and expires
 * the approvals nobody answered in time.
 */
export const makeHandler = (run: ReturnType<typeof makeRunDueWork>) =>
  instrumented(async () => {
    const done = await run();
    if (done.retries > 0 || Object.keys(done.health).length > 0 || done.other)
      logger.info('Due work queued', done);
    return done;
  });

const clock = hubClock();
export const handler = makeHandler(
  makeRunDueWork({
    dueIndex: adapters.dueIndex(clock),
    queues: adapters.messageQueues(),
    clock,
    tenants: adapters.tenantDirectory(),
    health: {
      endpoints: adapters.webhookEndpointStore(),
      dueIndex: adapters.dueIndex(clock),
      audit: adapters.auditStore(),
      clock,
      mailer: adapters.mailer(),
      users: adapters.userStore(),
    },
    kinds: [approvalExpiry(adapters.approvalStore(), clock)],
  }),
);
