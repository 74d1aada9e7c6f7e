import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { PayloadTooLargeError } from '../../shared/errors';
import { apiHandler, byOperation } from '../../shared/http/api-handler';
import { isOneClickBody, makeUnsubscribe, resolveUnsubscribe } from '../../shared/notify/email/unsubscribe';
import {
  confirmPage,
  donePage,
  PAGE_HEADERS,
  unknownLinkPage,
} from '../../shared/notify/email/unsubscribe-page';
import { systemClock } from '../../shared/ports/clock';

/** The token is the credential; nothing longer than a token is looked at. */
const tokenOf = (event: APIGatewayProxyEventV2): string | undefined => {
  const token = event.queryStringParameters?.token;
  return token !== undefined && token.length <= 100 ? token : undefined;
};

const MAX_BODY = 1024;

function bodyOf(event: APIGatewayProxyEventV2): string {
  const raw = event.body ?? '';
  if (raw.length > MAX_BODY * 2)
    throw new PayloadTooLargeError('An unsubscribe request is one short form field');
  return event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
}

/**
 * The unsubscribe links of notification emails: GET shows what the link stops and a confirm
 * button, and changes nothing (link scanners open every link); POST is RFC 8058's one click.
 */
export const makeHandler = (deps: {
  resolve: (token: unknown) => ReturnType<typeof resolveUnsubscribe>;
  unsubscribe: ReturnType<typeof makeUnsubscribe>;
}) =>
  byOperation({
    showUnsubscribe: apiHandler({
      operation: 'showUnsubscribe',
      handle: async ({ event }) => {
        const token = tokenOf(event);
        const found = await deps.resolve(token);
        if (!found || token === undefined)
          return { statusCode: 404, headers: { ...PAGE_HEADERS }, body: unknownLinkPage() };
        return {
          statusCode: 200,
          headers: { ...PAGE_HEADERS },
          body: confirmPage(found.orgName, token, 'userId' in found.subject ? 'user' : 'address'),
        };
      },
    }),
    unsubscribe: apiHandler({
      operation: 'unsubscribe',
      handle: async ({ event, request }) => {
        const oneClick = isOneClickBody(event.headers?.['content-type'], bodyOf(event));
        const done = await deps.unsubscribe(tokenOf(event), { requestId: request.requestId, oneClick });
        return { statusCode: 200, headers: { ...PAGE_HEADERS }, body: donePage(done.orgName) };
      },
    }),
  });

const deps = {
  tokens: adapters.unsubscribeTokenStore(),
  orgs: adapters.tenantDirectory(),
  users: adapters.userStore(),
  preferences: adapters.notificationPreferenceStore(),
  suppressions: adapters.mailSuppressionStore(),
  clock: systemClock,
};
export const handler = makeHandler({
  resolve: (token) => resolveUnsubscribe(deps, token),
  unsubscribe: makeUnsubscribe(deps),
});
