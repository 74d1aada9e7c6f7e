import type { Context } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { secretCacheSeconds } from '../../shared/config/config';
import { makeStoreRawDelivery } from '../../shared/events/raw-delivery';
import { apiHandler, json } from '../../shared/http/api-handler';
import { logger } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import { PROVIDERS } from '../../shared/providers';
import { makeReceiveWebhook } from '../../shared/webhooks/receive-webhook';

/** Every provider's webhook endpoint: one function and one route, whose path says which provider. */
export const makeHandler = (
  receive: ReturnType<typeof makeReceiveWebhook>,
  onInvoke: (context: Context) => void = () => undefined,
) =>
  apiHandler({
    operation: 'receiveWebhook',
    handle: async ({ path, event, context, correlationId }) => {
      onInvoke(context);
      const body = event.isBase64Encoded
        ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
        : (event.body ?? '');
      const provider = path.provider;
      const accepted = await receive(provider, {
        connectionId: path.connectionId,
        headers: event.headers ?? {},
        body,
        correlationId,
      });
      logger.appendKeys({ tenantId: accepted.orgId });
      if (accepted.ignored && accepted.reply) {
        logger.info('Webhook challenge answered', { provider });
        const { status, headers, body: reply } = accepted.reply;
        return reply === undefined
          ? { statusCode: status, headers: { ...headers } }
          : typeof reply === 'string'
            ? { statusCode: status, headers: { 'content-type': 'text/plain', ...headers }, body: reply }
            : json(status, reply, headers);
      }
      if (accepted.ignored) {
        logger.info('Webhook acknowledged; its event type is not used', { provider });
        return json(202, { ignored: true });
      }
      logger.info('Webhook accepted', { eventId: accepted.eventId, duplicate: accepted.duplicate });
      return json(202, { eventId: accepted.eventId, duplicate: accepted.duplicate });
    },
  });

const deliveries = adapters.deliveryLedger();

export const handler = makeHandler(
  makeReceiveWebhook({
    webhooks: PROVIDERS.webhooks,
    actors: PROVIDERS.syncConnectors,
    connections: adapters.connectionStore(),
    cipher: adapters.secretCipher(),
    deliveries,
    tenants: adapters.tenantDirectory(),
    usage: adapters.usageStore(),
    storeRaw: makeStoreRawDelivery(adapters.claimCheckStore()),
    clock: systemClock,
    secretCacheSeconds: secretCacheSeconds(),
  }),
  (context) => deliveries.registerLambdaContext(context),
);
