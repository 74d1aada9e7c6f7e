import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { openApiDocument } from '../../shared/api/openapi';
import { apiHandler, json } from '../../shared/http/api-handler';
import { answerUnmatchedRoute } from '../../shared/http/unmatched-route';
import { PROVIDERS } from '../../shared/providers';
import { UNMATCHED_ROUTE_KEY } from '../../shared/topology';

const serveDocument = apiHandler({
  operation: 'getOpenapi',
  handle: async () => json(200, openApiDocument(PROVIDERS), { 'cache-control': 'public, max-age=300' }),
});

export const handler = (event: APIGatewayProxyEventV2, context: Context) =>
  event.routeKey === UNMATCHED_ROUTE_KEY ? answerUnmatchedRoute(event) : serveDocument(event, context);
