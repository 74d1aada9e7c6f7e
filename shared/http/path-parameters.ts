import { POLICY_ID } from '../api/schemas';
import { CHAT_LINK_TOKEN } from '../chat/link-token-format';
import { NotFoundError, ValidationError } from '../errors';
import type { IdPrefix } from '../ids';
import { ID_PATTERN } from '../ids';
import { DOMAIN_NAME } from '../sso/domains';
import type { RouteSpec } from '../topology';

/** What each path parameter of the topology's routes holds, by its name. */
interface ParameterRule {
  readonly pattern: RegExp;
  /** A malformed hub-generated id names nothing (404); a malformed name the caller chose is a bad request (400). */
  readonly refuse: (name: string) => Error;
}

const hubId = (prefix: IdPrefix, what: string): ParameterRule => ({
  pattern: ID_PATTERN(prefix),
  refuse: (name) => new NotFoundError(`The path's ${name} is not ${what} id, so it names nothing here`),
});

/** Every path parameter name the routes use; a route with a parameter missing here fails the gate's unit test. */
export const PATH_PARAMETERS: Readonly<Record<string, ParameterRule>> = {
  orgId: hubId('org', 'an organisation'),
  connectionId: hubId('con', 'a connection'),
  userId: hubId('usr', 'a user'),
  mappingId: hubId('map', 'a mapping'),
  linkId: hubId('lnk', 'a link'),
  invitationId: hubId('inv', 'an invitation'),
  keyId: hubId('key', 'an API key'),
  teamId: hubId('team', 'a team'),
  roleId: hubId('role', 'a custom role'),
  eventId: hubId('evt', 'an event'),
  ruleId: hubId('nrule', 'a notification rule'),
  endpointId: hubId('ep', 'a webhook endpoint'),
  messageId: hubId('msg', 'a delivery message'),
  approvalId: hubId('apr', 'an approval'),
  ssoConnectionId: hubId('sso', 'an SSO connection'),
  sessionId: hubId('ses', 'a session'),
  tokenId: hubId('scim', 'a SCIM token'),
  passkeyId: hubId('pkey', 'a passkey'),
  // A SCIM resource type's id (`User`, `Group`) and a schema's URN: which exist is the service's 404.
  resourceTypeId: {
    pattern: /^[A-Za-z][A-Za-z0-9]{0,63}$/,
    refuse: (name) =>
      new NotFoundError(`The path's ${name} is not a resource type name, so it names nothing here`),
  },
  schemaId: {
    pattern: /^urn:[A-Za-z0-9:._-]{1,250}$/,
    refuse: (name) => new NotFoundError(`The path's ${name} is not a schema URN, so it names nothing here`),
  },
  // An email address, as a suppression names it (URL-encoded in the path; bounded like any address).
  address: {
    pattern: /^[^\s@/]{1,64}@[^\s@/]{1,255}$/,
    refuse: (name) =>
      new NotFoundError(`The path's ${name} is not an email address, so it names nothing here`),
  },
  // An email domain an org claims (lower case, as it was added): anything else names no domain.
  domain: {
    pattern: DOMAIN_NAME,
    refuse: (name) => new NotFoundError(`The path's ${name} is not a domain name, so it names nothing here`),
  },
  // A provider's id, as its module declares it; whether a module does is the endpoint's 404 to give.
  provider: {
    pattern: /^[a-z][a-z0-9-]{0,39}$/,
    refuse: (name) => new NotFoundError(`The path's ${name} is not a provider id, so it names nothing here`),
  },
  // A chat link's signed token (its claims and their HMAC, base64url): its signature is the handler's to check.
  token: {
    pattern: CHAT_LINK_TOKEN,
    refuse: () => new NotFoundError('The link is unknown or has expired; ask the bot for a new one'),
  },
  // A chat platform's user id, as the platform gives it.
  platformUserId: {
    pattern: /^[A-Za-z0-9:._=+-]{1,256}$/,
    refuse: (name) =>
      new NotFoundError(`The path's ${name} is not a chat platform's user id, so it names nothing here`),
  },
  policyId: {
    pattern: POLICY_ID,
    refuse: () =>
      new ValidationError('A policy id is 1-64 letters, digits, - or _', [
        { path: 'policyId', message: 'not a valid policy id' },
      ]),
  },
};

/** The names of a route's path parameters, in order: `/v1/orgs/{orgId}/users/{userId}` → orgId, userId. */
export function parameterNames(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
}

/**
 * Checks every path parameter of the route against its id pattern before anything is read, so a
 * handler gets only well-formed ids (a pattern bounds the length too); throws the parameter's refusal.
 */
export function validatePathParameters(
  route: Pick<RouteSpec, 'path'>,
  sent: Readonly<Record<string, string | undefined>> | undefined,
): Record<string, string> {
  const valid: Record<string, string> = {};
  for (const name of parameterNames(route.path)) {
    const rule = PATH_PARAMETERS[name];
    if (!rule) throw new Error(`The route ${route.path} has a path parameter ${name} with no pattern`);
    const value = sent?.[name] ?? '';
    if (!rule.pattern.test(value)) throw rule.refuse(name);
    valid[name] = value;
  }
  return valid;
}
