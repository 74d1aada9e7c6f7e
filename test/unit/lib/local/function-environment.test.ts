import { commonEnvironment, localFunctionEnvironment } from '../../../../lib/local/function-environment';
import { functionCredentials } from '../../../../lib/local/local-iam';
import type { FunctionName, ResourceAccess } from '../../../../shared/topology';
import { accessImplies, functions } from '../../../../shared/topology';

const options = {
  endpoints: { dynamodb: 'http://127.0.0.1:1', sqs: 'http://127.0.0.1:2', aws: 'http://127.0.0.1:3' },
  queueUrls: { sync: 'http://127.0.0.1:2/000000000000/hub-sync' },
  jwt: { issuer: 'http://127.0.0.1:4/i', jwksUri: 'http://127.0.0.1:4/i/jwks', audience: 'aud' },
  logLevel: 'WARN',
  inherited: {
    SYNC_SETTLE_SECONDS: '0',
    EGRESS_ALLOWED_RANGES: '10.20.0.0/16',
    AWS_ACCESS_KEY_ID: 'the-runtime-s-own',
    SOME_SECRET_OF_THE_SHELL: 'x',
  },
};
const names = Object.keys(functions) as FunctionName[];
const env = (name: FunctionName) => localFunctionEnvironment(name, options);
const holders = (variable: string) => names.filter((n) => variable in env(n)).sort();
const declaring = (...kinds: ResourceAccess[]) =>
  names
    .filter((n) => (functions[n].access as readonly ResourceAccess[]).some((a) => kinds.includes(a)))
    .sort();

describe("a local function's environment", () => {
  it('holds exactly the common variables, its own credentials and what its declared access names', () => {
    const common = Object.keys(commonEnvironment(options));
    for (const name of names) {
      const access = functions[name].access as readonly ResourceAccess[];
      const implied = new Set(access.flatMap((a) => accessImplies[a].resources));
      const expected = new Set([...common, 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
      if (implied.has('domainTable')) expected.add('DOMAIN_TABLE_NAME');
      if (implied.has('auditTable')) expected.add('AUDIT_TABLE_NAME');
      if (implied.has('idempotencyTable')) expected.add('IDEMPOTENCY_TABLE_NAME');
      if (implied.has('eventBus')) expected.add('EVENT_BUS_NAME');
      if (implied.has('secretsKey')) expected.add('SECRETS_KEY_ID');
      if (implied.has('tokenVerification'))
        for (const v of ['JWT_ISSUER', 'JWT_JWKS_URI', 'JWT_AUDIENCE']) expected.add(v);
      if (implied.has('mail')) for (const v of ['MAIL_FROM', 'MAIL_CONFIGURATION_SET']) expected.add(v);
      if (implied.has('tenantRole')) expected.add('TENANT_ROLE_ARN');
      if (implied.has('queueUrls')) expected.add('QUEUE_URLS');
      if (implied.has('claimsBucket')) expected.add('CLAIMS_BUCKET_NAME');
      if (implied.has('userPool'))
        for (const v of ['USER_POOL_ID', 'AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER']) expected.add(v);
      if (implied.has('userPoolClient')) expected.add('USER_POOL_CLIENT_ID');
      if (implied.has('realtimeApi')) expected.add('REALTIME_ENDPOINT');
      expect({ name, keys: Object.keys(env(name)).sort() }).toEqual({ name, keys: [...expected].sort() });
    }
  });

  it('names a resource only to the functions whose access reaches it', () => {
    expect(holders('QUEUE_URLS')).toEqual(declaring('queues:send'));
    expect(holders('SECRETS_KEY_ID')).toEqual(declaring('secrets-key:encrypt', 'secrets-key:decrypt'));
    expect(holders('MAIL_FROM')).toEqual(declaring('mail:send'));
    expect(holders('MAIL_FROM')).toContain('sendInvitationMail');
    expect(holders('IDEMPOTENCY_TABLE_NAME')).toEqual(declaring('idempotency-table:write'));
    expect(holders('EVENT_BUS_NAME')).toEqual(declaring('event-bus:put'));
    expect(holders('JWT_ISSUER')).toEqual(declaring('user-pool:verify-tokens'));
    expect(holders('JWT_ISSUER')).toContain('authorizeRequest');
    expect(holders('REALTIME_ENDPOINT')).toEqual(['pushRealtimeEvents']);
    expect(holders('TENANT_ROLE_ARN')).not.toContain('publishChanges');
    expect(holders('CLAIMS_BUCKET_NAME')).toEqual(
      declaring('claims-bucket:write', 'claims-bucket:read', 'claims-bucket:purge'),
    );
    expect(holders('USER_POOL_ID')).toEqual(['manageSessions', 'serveScim', 'setUserStatus', 'ssoSignIn']);
    expect(Object.keys(env('getOpenapi')).sort()).toEqual(
      [...Object.keys(commonEnvironment(options)), 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].sort(),
    );
  });

  it("gives every function the local clock's offset file, so each sees the time a test moved it to", () => {
    const withClock = { ...options, clockOffsetFile: '/data/clock-offset.json' };
    for (const name of names)
      expect(localFunctionEnvironment(name, withClock).HUB_CLOCK_OFFSET_FILE).toBe('/data/clock-offset.json');
  });

  it("signs with the function's own credentials, never the runtime's, and passes on only operator settings", () => {
    expect(env('receiveWebhook')).toMatchObject({
      AWS_ACCESS_KEY_ID: functionCredentials('receiveWebhook').accessKeyId,
      SYNC_SETTLE_SECONDS: '0',
      EGRESS_ALLOWED_RANGES: '10.20.0.0/16',
    });
    expect(env('receiveWebhook').AWS_ACCESS_KEY_ID).not.toBe(env('storeEvent').AWS_ACCESS_KEY_ID);
    expect(env('receiveWebhook')).not.toHaveProperty('SOME_SECRET_OF_THE_SHELL');
  });

  it("gives the relying party to the passkey functions alone: the runtime's localhost one, or the operator's", () => {
    const local = {
      ...options,
      passkeys: { rpId: 'localhost', rpName: 'Hub (local)', origins: ['http://localhost:3000'] },
    };
    const holding = names.filter((n) => 'PASSKEY_RP_ID' in localFunctionEnvironment(n, local)).sort();
    expect(holding).toEqual(declaring('passkeys:register', 'passkeys:sign-in'));
    expect(holding).toEqual(['manageSessions', 'ssoSignIn']);
    expect(localFunctionEnvironment('ssoSignIn', local)).toMatchObject({
      PASSKEY_RP_ID: 'localhost',
      PASSKEY_ORIGINS: 'http://localhost:3000',
    });
    const operator = {
      ...local,
      inherited: { PASSKEY_RP_ID: 'hub.test', PASSKEY_ORIGINS: 'https://hub.test' },
    };
    expect(localFunctionEnvironment('manageSessions', operator)).toMatchObject({
      PASSKEY_RP_ID: 'hub.test',
      PASSKEY_ORIGINS: 'https://hub.test',
    });
    expect(localFunctionEnvironment('manageSessions', operator)).not.toHaveProperty('PASSKEY_RP_NAME');
    expect(holders('PASSKEY_RP_ID')).toEqual([]);
  });
});
