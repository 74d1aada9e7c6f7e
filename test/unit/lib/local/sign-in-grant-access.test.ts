import { actionRefusal, itemRefusal } from '../../../../lib/local/local-iam';
import { localNames } from '../../../../lib/local/local-names';
import { functions } from '../../../../shared/topology';

const domain = localNames.table('domain');
const verify = { kind: 'function', name: 'verifyAuthChallenge' } as const;
const create = { kind: 'function', name: 'createAuthChallenge' } as const;

describe('the custom auth triggers on one machine, held to sign-in-grants:spend', () => {
  it('declare only that: no tenant data, no Cognito call', () => {
    for (const name of ['createAuthChallenge', 'verifyAuthChallenge'] as const) {
      expect(functions[name].access).toEqual(['sign-in-grants:spend']);
    }
    expect(functions.defineAuthChallenge.access).toEqual([]);
    expect(actionRefusal(verify, 'cognito-idp:AdminInitiateAuth')).not.toBeNull();
  });

  it('may read and delete a sign-in grant, and no other platform item', () => {
    expect(itemRefusal(create, { operation: 'GetItem', table: domain, pk: 'P#SIGNINGRANT#abc' })).toBeNull();
    expect(
      itemRefusal(verify, { operation: 'DeleteItem', table: domain, pk: 'P#SIGNINGRANT#abc' }),
    ).toBeNull();
    expect(itemRefusal(verify, { operation: 'GetItem', table: domain, pk: 'P#APIKEY#abc' })).not.toBeNull();
    expect(itemRefusal(verify, { operation: 'DeleteItem', table: domain, pk: 'P#SLUG#acme' })).not.toBeNull();
    expect(itemRefusal(verify, { operation: 'GetItem', table: domain, pk: 'T#org_1#USER' })).not.toBeNull();
  });
});
