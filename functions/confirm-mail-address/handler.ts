import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { PayloadTooLargeError } from '../../shared/errors';
import { apiHandler, byOperation } from '../../shared/http/api-handler';
import { makeConfirmAddress, resolveConfirmation } from '../../shared/notify/email/address-confirmation';
import {
  addressConfirmedPage,
  confirmAddressPage,
  PAGE_HEADERS,
  unknownConfirmationPage,
} from '../../shared/notify/email/unsubscribe-page';
import { systemClock } from '../../shared/ports/clock';

/** The token is the credential; nothing longer than a token is looked at. */
const tokenOf = (event: APIGatewayProxyEventV2): string | undefined => {
  const token = event.queryStringParameters?.token;
  return token !== undefined && token.length <= 100 ? token : undefined;
};

/** The confirm button posts an empty form: anything much longer is not it. */
const MAX_BODY = 2048;

/**
 * The links of address confirmation emails: GET shows which org would email the address and a
 * confirm button, and changes nothing (link scanners open every link); POST spends the token.
 */
export const makeHandler = (deps: {
  resolve: (token: unknown) => ReturnType<typeof resolveConfirmation>;
  confirm: ReturnType<typeof makeConfirmAddress>;
}) =>
  byOperation({
    showEmailConfirmation: apiHandler({
      operation: 'showEmailConfirmation',
      handle: async ({ event }) => {
        const token = tokenOf(event);
        const found = await deps.resolve(token);
        if (!found || token === undefined)
          return { statusCode: 404, headers: { ...PAGE_HEADERS }, body: unknownConfirmationPage() };
        return {
          statusCode: 200,
          headers: { ...PAGE_HEADERS },
          body: confirmAddressPage(found.orgName, token),
        };
      },
    }),
    confirmEmailAddress: apiHandler({
      operation: 'confirmEmailAddress',
      handle: async ({ event, request }) => {
        if ((event.body ?? '').length > MAX_BODY)
          throw new PayloadTooLargeError('A confirmation is an empty form post');
        const done = await deps.confirm(tokenOf(event), { requestId: request.requestId });
        return { statusCode: 200, headers: { ...PAGE_HEADERS }, body: addressConfirmedPage(done.orgName) };
      },
    }),
  });

const deps = {
  confirmations: adapters.addressConfirmationStore(),
  orgs: adapters.tenantDirectory(),
  clock: systemClock,
};
export const handler = makeHandler({
  resolve: (token) => resolveConfirmation(deps, token),
  confirm: makeConfirmAddress(deps),
});
