import { itemRefusal } from '../../../../lib/local/local-iam';
import { localNames } from '../../../../lib/local/local-names';

const domain = localNames.table('domain');
const sessions = { kind: 'function', name: 'manageSessions' } as const;
const signIn = { kind: 'function', name: 'ssoSignIn' } as const;
const other = { kind: 'function', name: 'getOrg' } as const;

describe("passkeys' platform items on one machine, held to their access kinds", () => {
  it('lets the sessions function put and delete credential lookups with its own role, and no sign-in challenge', () => {
    for (const operation of ['PutItem', 'DeleteItem'])
      expect(itemRefusal(sessions, { operation, table: domain, pk: 'P#PASSKEY#abc' })).toBeNull();
    expect(
      itemRefusal(sessions, { operation: 'PutItem', table: domain, pk: 'P#PASSKEYCHAL#abc' }),
    ).not.toBeNull();
  });

  it('lets the sign-in function put and delete sign-in challenges, read lookups, and write no lookup', () => {
    for (const operation of ['PutItem', 'DeleteItem'])
      expect(itemRefusal(signIn, { operation, table: domain, pk: 'P#PASSKEYCHAL#abc' })).toBeNull();
    expect(itemRefusal(signIn, { operation: 'GetItem', table: domain, pk: 'P#PASSKEY#abc' })).toBeNull();
    expect(itemRefusal(signIn, { operation: 'PutItem', table: domain, pk: 'P#PASSKEY#abc' })).not.toBeNull();
    expect(
      itemRefusal(signIn, { operation: 'DeleteItem', table: domain, pk: 'P#PASSKEY#abc' }),
    ).not.toBeNull();
  });

  it('lets no other function write either', () => {
    for (const pk of ['P#PASSKEY#abc', 'P#PASSKEYCHAL#abc'])
      expect(itemRefusal(other, { operation: 'PutItem', table: domain, pk })).not.toBeNull();
  });
});
