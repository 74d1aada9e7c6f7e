import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsEmulator } from '../../lib/local/aws-emulator';
import { startAwsEmulator } from '../../lib/local/aws-emulator';
import { localCredentials } from '../../lib/local/dynamodb-local';
import { LocalCognito, lastSignOut } from '../../lib/local/local-cognito';
import { LocalKms } from '../../lib/local/local-kms';
import { localNames } from '../../lib/local/local-names';
import { CognitoSessionRevoker } from '../../shared/adapters/cognito/cognito-session-revoker';

let emulator: AwsEmulator;
let cognito: LocalCognito;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-cognito-'));
  cognito = new LocalCognito(dir);
  emulator = await startAwsEmulator({
    // Nothing here publishes events: the queues are never reached.
    sqs: new SQSClient({ region: localNames.region, credentials: localCredentials }),
    queueUrls: {
      events: '',
      mail: '',
      sync: '',
      reconcile: '',
      notify: '',
      deliveries: '',
      mailFeedback: '',
      realtime: '',
      chat: '',
    },
    kms: new LocalKms(dir),
    cognito,
  });
});
afterAll(async () => {
  await emulator?.stop();
});

const client = () =>
  new CognitoIdentityProviderClient({
    endpoint: emulator.endpoint,
    region: localNames.region,
    credentials: localCredentials,
  });

describe('the local user pool (AdminUserGlobalSignOut)', () => {
  it("records the production adapter's sign-out of a hub user by their email, where the CLI can read it", async () => {
    const revoker = new CognitoSessionRevoker(client(), 'local_pool');
    const before = Date.now();
    await revoker.signOut({ email: 'ada@acme.test' });
    expect(cognito.signOuts()).toEqual([
      { userPoolId: 'local_pool', username: 'ada@acme.test', at: expect.any(String) },
    ]);
    expect(lastSignOut(dir, 'Ada@Acme.test')?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(lastSignOut(dir, 'someone-else@acme.test')).toBeNull();
  });

  it('refuses a call without a pool as Cognito would, and the adapter passes the error on', async () => {
    const revoker = new CognitoSessionRevoker(client(), '');
    await expect(revoker.signOut({ email: 'ada@acme.test' })).rejects.toThrow(
      /UserPoolId and Username are required/,
    );
  });
});
