import { byPrecedence } from '../../../../lib/local/http-gateway';
import type { RouteSpec } from '../../../../shared/topology';
import { routes } from '../../../../shared/topology';

const compile = (route: RouteSpec) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`),
});
const ordered = byPrecedence(routes.map(compile));
/** The route the local gateway serves a request with: the first match in precedence order. */
const served = (method: string, path: string) =>
  ordered.find((c) => c.route.method === method && c.pattern.test(path))?.route.operationId;

describe("the local gateway's route precedence (API Gateway's: literal segments first)", () => {
  it("never lets a chat app route (/{provider}/…) shadow one of the hub's own", () => {
    // Every concrete path of the hub's own routes, as a caller could send it, is served by that route.
    for (const route of routes.filter((r) => !r.path.startsWith('/{provider}'))) {
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => `sample-${name}`);
      expect({ path, operationId: served(route.method, path) }).toEqual({
        path,
        operationId: route.operationId,
      });
    }
  });

  it('serves a chat app route for any other first segment', () => {
    expect(served('POST', '/slackish/events')).toBe('receiveChatEvent');
    expect(served('GET', '/slackish/oauth/callback')).toBe('completeChatInstall');
    expect(served('GET', '/chat-links/install')).toBe('showChatLink');
  });

  it('orders a literal segment before a path variable, left to right', () => {
    const a = { route: { path: '/{provider}/install' } };
    const b = { route: { path: '/v1/install' } };
    expect(byPrecedence([a, b])).toEqual([b, a]);
  });
});
