import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { functions, routes } from '../../../shared/topology';
import { apiEvent, lambdaContext, member, parse, platformAdmin } from '../../support/api-events';

// Any read would be a failure of the gate: the stores answer nothing but errors.
const ddb = mockClient(DynamoDBDocumentClient);
const raw = mockClient(DynamoDBClient);
ddb.onAnyCommand().rejects(new Error('the gate read before validating the path'));
raw.onAnyCommand().rejects(new Error('the gate read before validating the path'));

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;
const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const LONG = 'x'.repeat(2000);
const withParameters = routes.filter((r) => r.path.includes('{'));
const handlers = new Map<string, Handler>();

beforeAll(async () => {
  // What the remaining handler modules read at init.
  Object.assign(process.env, {
    MAIL_FROM: 'hub@example.test',
    QUEUE_URLS: JSON.stringify({ events: 'q', mail: 'q', sync: 'q', reconcile: 'q' }),
  });
  for (const fn of new Set(withParameters.map((r) => r.function))) {
    const module = (await import(`../../../${functions[fn].entry}`)) as { handler: Handler };
    handlers.set(fn, module.handler);
  }
});

describe('a 2,000-character id in the path, through every handler module', () => {
  it.each(withParameters.map((r) => [`${r.method} ${r.path}`, r]))(
    '%s answers 4xx problem+json, never 500',
    async (_key, route) => {
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
      for (const long of names) {
        for (const principal of [platformAdmin, member(ORG, 'owner')]) {
          const pathParameters = Object.fromEntries(
            names.map((n) => [n, n === long ? LONG : n === 'orgId' ? ORG : 'ok']),
          );
          const handler = handlers.get(route.function);
          if (!handler) throw new Error(`No handler module for ${route.function}`);
          const res = parse(
            await handler(
              apiEvent({
                method: route.method,
                path: route.path,
                routePath: route.path,
                principal,
                pathParameters,
                body: {},
              }),
              lambdaContext(),
            ),
          );
          const seen = { long, kind: principal.kind, status: res.status, type: res.headers['content-type'] };
          // The SCIM service answers in SCIM's own error schema, every other route in problem+json.
          const errorType =
            route.auth === 'scim-token' ? 'application/scim+json' : 'application/problem+json';
          expect(seen).toEqual({ ...seen, type: errorType });
          // A member naming another org (any id but its own), or on a platform route, is out of
          // scope: refused as such.
          const outOfScope =
            principal.kind === 'org_member' &&
            (long === 'orgId' || route.permission?.startsWith('platform:'));
          // The SCIM service takes SCIM tokens alone: any other credential is refused before the path is read.
          const expected = route.auth === 'scim-token' ? [401] : outOfScope ? [403] : [400, 404];
          expect(expected).toContain(res.status);
        }
      }
    },
  );
});
