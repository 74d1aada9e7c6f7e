import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { ListQuery } from '../../shared/api/schemas';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';
import type { Domains } from '../../shared/sso/domains';
import { DomainInput, makeDomains } from '../../shared/sso/domains';

/** An org's email domains: claimed, proven by a DNS TXT record, given up. */
export const makeHandler = (deps: { domains: Domains }) =>
  byOperation({
    listDomains: apiHandler({
      operation: 'listDomains',
      query: ListQuery,
      handle: async ({ path, query }) => json(200, await deps.domains.list(path.orgId, query)),
    }),
    addDomain: apiHandler({
      operation: 'addDomain',
      body: DomainInput,
      handle: async ({ path, body, principal, request }) =>
        json(201, await deps.domains.add(path.orgId, body, principal, request)),
    }),
    getDomain: apiHandler({
      operation: 'getDomain',
      handle: async ({ path }) => json(200, await deps.domains.get(path.orgId, path.domain)),
    }),
    verifyDomain: apiHandler({
      operation: 'verifyDomain',
      handle: async ({ path, principal, request }) =>
        json(200, await deps.domains.verify(path.orgId, path.domain, principal, request)),
    }),
    removeDomain: apiHandler({
      operation: 'removeDomain',
      handle: async ({ path, principal, request }) => {
        await deps.domains.remove(path.orgId, path.domain, principal, request);
        return { statusCode: 204 };
      },
    }),
  });

export const handler = makeHandler({
  domains: makeDomains({
    domains: adapters.domainStore(),
    resolver: adapters.txtResolver(),
    clock: hubClock(),
  }),
});
