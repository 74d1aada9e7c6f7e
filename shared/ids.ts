import { monotonicFactory } from 'ulid';

/** Type prefixes of the hub's ids: a ULID after the prefix sorts by time and says what it is. */
export type IdPrefix =
  | 'org'
  | 'usr'
  | 'team'
  | 'con'
  | 'key'
  | 'evt'
  | 'aud'
  | 'inv'
  | 'mail'
  | 'role'
  | 'pol'
  | 'dlq'
  | 'map'
  | 'lnk'
  | 'job'
  | 'nrule'
  | 'ep'
  | 'msg'
  | 'att'
  | 'wsc'
  | 'apr'
  | 'ses'
  | 'sso'
  | 'scim'
  | 'pkey';

const nextUlid = monotonicFactory();

/** Creates a new id, e.g. `org_01JD3Q4…`. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid()}`;
}

export const ID_PATTERN = (prefix: IdPrefix): RegExp => new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`);
