import {
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  TooManyRequestsException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { CognitoSessionRevoker } from '../../../../shared/adapters/cognito/cognito-session-revoker';

const cognito = mockClient(CognitoIdentityProviderClient);
beforeEach(() => cognito.reset());

const revoker = () => new CognitoSessionRevoker(new CognitoIdentityProviderClient({}), 'eu-west-1_pool');

describe('signing a hub user out of the Cognito user pool', () => {
  it('signs out the pool user the hub user signs in as: their email', async () => {
    cognito.on(AdminUserGlobalSignOutCommand).resolves({});
    await revoker().signOut({ email: 'ada@acme.test' });
    expect(cognito).toHaveReceivedCommandWith(AdminUserGlobalSignOutCommand, {
      UserPoolId: 'eu-west-1_pool',
      Username: 'ada@acme.test',
    });
  });

  it('takes a user the pool does not know as signed out, and passes any other failure on', async () => {
    cognito
      .on(AdminUserGlobalSignOutCommand)
      .rejectsOnce(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }))
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(revoker().signOut({ email: 'never-signed-in@acme.test' })).resolves.toBeUndefined();
    await expect(revoker().signOut({ email: 'ada@acme.test' })).rejects.toThrow(/Rate exceeded/);
  });
});
