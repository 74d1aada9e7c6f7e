/** Configuration the handler modules read at init; unit tests mock the AWS clients behind these names. */
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  DOMAIN_TABLE_NAME: 'hub-domain',
  AUDIT_TABLE_NAME: 'hub-audit',
  IDEMPOTENCY_TABLE_NAME: 'hub-idempotency',
  EVENT_BUS_NAME: 'hub-events',
  SECRETS_KEY_ID: 'alias/hub-secrets',
  JWT_ISSUER: 'http://127.0.0.1:9/_local/issuer',
  JWT_JWKS_URI: 'http://127.0.0.1:9/_local/issuer/.well-known/jwks.json',
  JWT_AUDIENCE: 'hub-local-client',
  USER_POOL_ID: 'us-east-1_test',
  USER_POOL_CLIENT_ID: 'hub-local-client',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  // As the local runtime configures it: the fakes and test servers are on loopback.
  EGRESS_ALLOW_LOOPBACK: 'true',
});
