import type { Context } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { secretCacheSeconds } from '../../shared/config/config';
import type { Provider } from '../../shared/connectors/connection';
import { WEBHOOK_CONNECTORS } from '../../shared/connectors/registry';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import { logger } from '../../shared/observability/observability';
import { systemClock } from '../../shared/ports/clock';
import { makeReceiveWebhook } from '../../shared/webhooks/receive-webhook';

/** Every provider's webhook endpoint: one function, the route says which provider. */
export const makeHandler = (
  receive: ReturnType<typeof makeReceiveWebhook>,
  onInvoke: (context: Context) => void = () => undefined,
) => {
  const endpoint = (
    operation: 'receiveGenericWebhook' | 'receiveGithubWebhook' | 'receiveJiraWebhook',
    provider: Provider,
  ) =>
    apiHandler({
      operation,
      handle: async ({ path, event, context, correlationId }) => {
        onInvoke(context);
        const body = event.isBase64Encoded
          ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
          : (event.body ?? '');
        const accepted = await receive(provider, {
          connectionId: path.connectionId,
          headers: event.headers ?? {},
          body,
          correlationId,
        });
        logger.appendKeys({ tenantId: accepted.orgId });
        if (accepted.ignored) {
          logger.info('Webhook acknowledged; its event type is not used', { provider });
          return json(202, { ignored: true });
        }
        logger.info('Webhook accepted', { eventId: accepted.eventId, duplicate: accepted.duplicate });
        return json(202, { eventId: accepted.eventId, duplicate: accepted.duplicate });
      },
    });
  return byOperation({
    receiveGenericWebhook: endpoint('receiveGenericWebhook', 'generic'),
    receiveGithubWebhook: endpoint('receiveGithubWebhook', 'github'),
    receiveJiraWebhook: endpoint('receiveJiraWebhook', 'jira'),
  });
};

const deliveries = adapters.deliveryLedger();

export const handler = makeHandler(
  makeReceiveWebhook({
    connectors: WEBHOOK_CONNECTORS,
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
