/** The one egress guard every outbound call to a provider goes through. */
export type { EgressPolicy } from './address-policy';
export { isLoopback, parseAllowedRange, refusalOf } from './address-policy';
export type { EgressFetchOptions } from './egress-fetch';
export {
  customerEndpointPolicy,
  destinationRefusal,
  egressFetch,
  egressPolicy,
  guardGlobalFetch,
  makeEgressFetch,
  tenantEgressFetch,
} from './egress-fetch';
export { EgressRefusedError, egressRefusal } from './egress-refused-error';
export type { Resolver } from './guarded-connector';
export { guardedConnector, guardedLookup, systemResolver } from './guarded-connector';
