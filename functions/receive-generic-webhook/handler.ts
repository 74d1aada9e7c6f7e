import type { Context } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { secretCacheSeconds } from '../../shared/config/config';
import { apiHandler, json } from '../../shared/http/api-handler';
import { logger } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import { makeReceiveGenericWebhook } from '../../shared/webhooks/receive-generic-webhook';

export const makeHandler = (
  receive: ReturnType<typeof makeReceiveGenericWebhook>,
  onInvoke: (context: Context) => void = () => undefined,
) =>
  apiHandler({
    operation: 'receiveGenericWebhook',
    handle: async ({ path, event, context, correlationId }) => {
      onInvoke(context);
      const body = event.isBase64Encoded
        ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
        : (event.body ?? '');
      const accepted = await receive({
        connectionId: path.connectionId ?? '',
        headers: event.headers ?? {},
        body,
        correlationId,
      });
      logger.appendKeys({ tenantId: accepted.orgId });
      logger.info('Webhook accepted', { eventId: accepted.eventId, duplicate: accepted.duplicate });
      return json(202, { eventId: accepted.eventId, duplicate: accepted.duplicate });
    },
  });

const deliveries = adapters.deliveryLedger();

export const handler = makeHandler(
  makeReceiveGenericWebhook({
    connections: adapters.connectionStore(),
    cipher: adapters.secretCipher(),
    deliveries,
    tenants: adapters.tenantDirectory(),
    usage: adapters.usageStore(),
    clock: systemClock,
    secretCacheSeconds: secretCacheSeconds(),
  }),
  (context) => deliveries.registerLambdaContext(context),
);
