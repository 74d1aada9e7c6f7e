import type {
  FunctionSpec,
  QueueSpec,
  RouteSpec,
  RuleSpec,
  ScheduleSpec,
  StreamSpec,
  TableSpec,
} from './types';

/**
 * The hub's topology, declared once. The CDK stacks and the local runtime both read it,
 * so what is deployed and what runs on one machine cannot drift apart.
 */

export const tables = {
  domain: { partitionKey: 'PK', sortKey: 'SK', timeToLiveAttribute: 'expiresAt', stream: true },
  audit: { partitionKey: 'PK', sortKey: 'SK', timeToLiveAttribute: 'expiresAt', stream: true },
  // Powertools idempotency records: platform-level, keyed by a hash, never tenant data.
  idempotency: { partitionKey: 'id', timeToLiveAttribute: 'expiration', stream: false },
} as const satisfies Record<string, TableSpec>;

const fn = (entry: string, description: string, access: FunctionSpec['access']): FunctionSpec => ({
  entry: `functions/${entry}/handler.ts`,
  description,
  memoryMb: 512,
  timeoutSeconds: 10,
  access,
});

/**
 * A function behind the hub's gate: it reads the caller's org (status, IP allow-list), counts the
 * request against the org's rate, and audits refusals.
 */
const api = (entry: string, description: string, access: FunctionSpec['access']): FunctionSpec =>
  fn(entry, description, [
    ...new Set([
      ...access,
      'domain-table:read',
      'audit-table:write',
      'usage:count',
      'tenant-role:assume',
    ] as const),
  ]);

export const functions = {
  authorizeRequest: fn('authorize-request', 'Resolves the caller from an API key or a JWT', [
    'domain-table:read',
    'api-keys:record-use',
    'user-pool:verify-tokens',
  ]),
  addTokenClaims: fn('add-token-claims', "Puts the user's org and role into the user pool's tokens", [
    'domain-table:read',
  ]),
  createOrg: api('create-org', 'Creates an organisation', ['domain-table:write', 'audit-table:write']),
  getOrg: api('get-org', 'Reads an organisation', ['domain-table:read']),
  createApiKey: api('create-api-key', 'Issues an API key, shown once', [
    'domain-table:write',
    'audit-table:write',
  ]),
  createConnection: api('create-connection', 'Creates a connection and its webhook signing secret', [
    'domain-table:write',
    'audit-table:write',
    'secrets-key:encrypt',
  ]),
  listOrgs: api('list-orgs', 'Lists every organisation (platform admin)', []),
  updateOrg: api('update-org', "Updates an organisation's name and settings", ['domain-table:write']),
  setOrgStatus: api('set-org-status', 'Suspends or reactivates an organisation', ['domain-table:write']),
  listApiKeys: api('list-api-keys', "Lists an organisation's API keys", []),
  revokeApiKey: api('revoke-api-key', 'Revokes an API key', ['domain-table:write']),
  rotateApiKey: api('rotate-api-key', 'Rotates an API key with an overlap window', ['domain-table:write']),
  listAuditEvents: api('list-audit-events', "Reads an organisation's audit trail", ['audit-table:read']),
  getUsage: api('get-usage', "Reports an organisation's usage against its plan", []),
  listEvents: api('list-events', "Lists an organisation's canonical events", ['domain-table:read']),
  getOpenapi: fn('get-openapi', 'Serves the OpenAPI document', []),
  receiveGenericWebhook: fn('receive-generic-webhook', 'Verifies, de-duplicates and publishes a webhook', [
    'domain-table:read',
    'usage:count',
    'idempotency-table:write',
    'secrets-key:decrypt',
    'event-bus:put',
  ]),
  publishChanges: {
    entry: 'functions/publish-changes/handler.ts',
    description: 'Publishes domain changes from the table stream as canonical events',
    memoryMb: 512,
    timeoutSeconds: 30,
    access: ['event-bus:put'],
  },
  deleteOrg: api('delete-org', 'Deletes an organisation, to be purged after a grace period', [
    'domain-table:write',
  ]),
  restoreOrg: api('restore-org', 'Restores a deleted organisation within its grace period', [
    'domain-table:write',
  ]),
  purgeDeletedOrgs: {
    entry: 'functions/purge-deleted-orgs/handler.ts',
    description: 'Purges every item of the organisations whose grace period has ended',
    memoryMb: 1024,
    timeoutSeconds: 900,
    access: ['domain-table:write', 'audit-table:write'],
  },
  listUsageHours: api('list-usage-hours', "Lists an organisation's hourly usage aggregates", []),
  meterUsage: {
    entry: 'functions/meter-usage/handler.ts',
    description: "Aggregates each organisation's billable units per hour and emits usage.recorded",
    memoryMb: 512,
    timeoutSeconds: 900,
    access: ['domain-table:write', 'event-bus:put'],
  },
  createUser: api('create-user', 'Adds a user to an organisation', ['domain-table:write']),
  listUsers: api('list-users', "Lists an organisation's users", []),
  setUserStatus: api('set-user-status', 'Deactivates or reactivates a user', ['domain-table:write']),
  listUserActivity: api('list-user-activity', "Reads a user's activity from the audit trail", [
    'audit-table:read',
  ]),
  createTeam: api('create-team', 'Creates a team, at the top or under a parent', ['domain-table:write']),
  listTeams: api('list-teams', "Lists an organisation's teams", []),
  setTeamMember: api('set-team-member', 'Adds a user to a team, or changes their role there', [
    'domain-table:write',
  ]),
  listUserTeams: api(
    'list-user-teams',
    'Lists the teams a user belongs to, directly and by maintaining a parent',
    [],
  ),
  storeEvent: {
    entry: 'functions/store-event/handler.ts',
    description: "Stores canonical events in their organisation's event feed",
    memoryMb: 512,
    timeoutSeconds: 30,
    access: ['domain-table:write'],
  },
} as const satisfies Record<string, FunctionSpec>;

export const routes = [
  {
    method: 'POST',
    path: '/v1/orgs',
    operationId: 'createOrg',
    function: 'createOrg',
    auth: 'hub',
    permission: 'platform:orgs:create',
    summary: 'Create an organisation (platform admin)',
    tag: 'Organisations',
  },
  {
    method: 'GET',
    path: '/v1/orgs',
    operationId: 'listOrgs',
    function: 'listOrgs',
    auth: 'hub',
    permission: 'platform:orgs:list',
    summary: 'List organisations, newest first (platform admin)',
    tag: 'Organisations',
  },
  {
    method: 'PATCH',
    path: '/v1/orgs/{orgId}',
    operationId: 'updateOrg',
    function: 'updateOrg',
    auth: 'hub',
    permission: 'org:update',
    summary: "Update an organisation's name and settings",
    tag: 'Organisations',
  },
  {
    method: 'DELETE',
    path: '/v1/orgs/{orgId}',
    operationId: 'deleteOrg',
    function: 'deleteOrg',
    auth: 'hub',
    permission: 'org:delete',
    summary: 'Delete an organisation: access stops at once; its data is purged after the grace period',
    tag: 'Organisations',
  },
  {
    method: 'POST',
    path: '/v1/orgs/{orgId}/restore',
    operationId: 'restoreOrg',
    function: 'restoreOrg',
    auth: 'hub',
    permission: 'platform:orgs:suspend',
    summary: 'Restore a deleted organisation before it is purged (platform admin)',
    tag: 'Organisations',
  },
  {
    method: 'POST',
    path: '/v1/orgs/{orgId}/suspend',
    operationId: 'suspendOrg',
    function: 'setOrgStatus',
    auth: 'hub',
    permission: 'platform:orgs:suspend',
    summary: 'Suspend an organisation: its keys and tokens stop working within seconds (platform admin)',
    tag: 'Organisations',
  },
  {
    method: 'POST',
    path: '/v1/orgs/{orgId}/reactivate',
    operationId: 'reactivateOrg',
    function: 'setOrgStatus',
    auth: 'hub',
    permission: 'platform:orgs:suspend',
    summary: 'Reactivate a suspended organisation (platform admin)',
    tag: 'Organisations',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{orgId}/api-keys',
    operationId: 'listApiKeys',
    function: 'listApiKeys',
    auth: 'hub',
    permission: 'api_keys:read',
    summary: "List an organisation's API keys (never the keys themselves)",
    tag: 'API keys',
  },
  {
    method: 'DELETE',
    path: '/v1/orgs/{orgId}/api-keys/{keyId}',
    operationId: 'revokeApiKey',
    function: 'revokeApiKey',
    auth: 'hub',
    permission: 'api_keys:revoke',
    summary: 'Revoke an API key',
    tag: 'API keys',
  },
  {
    method: 'POST',
    path: '/v1/orgs/{orgId}/api-keys/{keyId}/rotate',
    operationId: 'rotateApiKey',
    function: 'rotateApiKey',
    auth: 'hub',
    permission: 'api_keys:create',
    summary: 'Rotate an API key: the new key is shown once; the old one works until the overlap ends',
    tag: 'API keys',
  },
  {
    method: 'POST',
    path: '/v1/orgs/{orgId}/users',
    operationId: 'createUser',
    function: 'createUser',
    auth: 'hub',
    permission: 'users:manage',
    summary: "Add a user (the org's default role unless one is given)",
    tag: 'Users',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{orgId}/users',
    operationId: 'listUsers',
    function: 'listUsers',
    auth: 'hub',
    permission: 'users:read',
    summary: "List the organisation's users",
    tag: 'Users',
  },
  {
    method: 'POST',
    path: '/v1/orgs/{orgId}/users/{userId}/deactivate',
    operationId: 'deactivateUser',
    function: 'setUserStatus',
    auth: 'hub',
    permission: 'users:manage',
    summary: 'Deactivate a user: their tokens stop working at once; their data and audit history stay',
    tag: 'Users',
  },
  {
    method: 'POST',
    path: '/v1/orgs/{orgId}/users/{userId}/reactivate',
    operationId: 'reactivateUser',
    function: 'setUserStatus',
    auth: 'hub',
    permission: 'users:manage',
    summary: 'Reactivate a user',
    tag: 'Users',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{orgId}/users/{userId}/activity',
    operationId: 'listUserActivity',
    function: 'listUserActivity',
    auth: 'hub',
    permission: 'audit:read',
    summary: "A user's activity, newest first, from the audit trail (the read is audited)",
    tag: 'Users',
  },
  {
    method: 'POST',
    path: '/v1/orgs/{orgId}/teams',
    operationId: 'createTeam',
    function: 'createTeam',
    auth: 'hub',
    permission: 'teams:manage',
    summary: 'Create a team (under a parent, at most five deep)',
    tag: 'Teams',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{orgId}/teams',
    operationId: 'listTeams',
    function: 'listTeams',
    auth: 'hub',
    permission: 'teams:read',
    summary: "List the organisation's teams",
    tag: 'Teams',
  },
  {
    method: 'PUT',
    path: '/v1/orgs/{orgId}/teams/{teamId}/members/{userId}',
    operationId: 'setTeamMember',
    function: 'setTeamMember',
    auth: 'hub',
    permission: 'teams:manage',
    summary:
      'Add a user to a team with a role (maintainer: this team and those below; member: this team only)',
    tag: 'Teams',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{orgId}/users/{userId}/teams',
    operationId: 'listUserTeams',
    function: 'listUserTeams',
    auth: 'hub',
    permission: 'teams:read',
    summary: 'The teams a user belongs to, directly and through teams they maintain',
    tag: 'Teams',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{orgId}/usage',
    operationId: 'getUsage',
    function: 'getUsage',
    auth: 'hub',
    permission: 'usage:read',
    summary: "The organisation's plan, limits and current usage",
    tag: 'Usage',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{orgId}/usage/hourly',
    operationId: 'listUsageHours',
    function: 'listUsageHours',
    auth: 'hub',
    permission: 'usage:read',
    summary: 'Hourly aggregates of billable units (API requests, webhook events), newest first',
    tag: 'Usage',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{orgId}/audit-events',
    operationId: 'listAuditEvents',
    function: 'listAuditEvents',
    auth: 'hub',
    permission: 'audit:read',
    summary: 'Read the audit trail, newest first, with filters; the read is itself audited',
    tag: 'Audit',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{orgId}',
    operationId: 'getOrg',
    function: 'getOrg',
    auth: 'hub',
    permission: 'org:read',
    summary: 'Read an organisation',
    tag: 'Organisations',
  },
  {
    method: 'POST',
    path: '/v1/orgs/{orgId}/api-keys',
    operationId: 'createApiKey',
    function: 'createApiKey',
    auth: 'hub',
    permission: 'api_keys:create',
    summary: 'Create an API key; the key is shown once',
    tag: 'API keys',
  },
  {
    method: 'POST',
    path: '/v1/orgs/{orgId}/connections',
    operationId: 'createConnection',
    function: 'createConnection',
    auth: 'hub',
    permission: 'connections:create',
    summary: 'Create a connection; its webhook signing secret is shown once',
    tag: 'Connections',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{orgId}/events',
    operationId: 'listEvents',
    function: 'listEvents',
    auth: 'hub',
    permission: 'events:read',
    summary: 'List canonical events, newest first',
    tag: 'Events',
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenapi',
    function: 'getOpenapi',
    auth: 'public',
    permission: null,
    summary: 'This OpenAPI document',
    tag: 'Meta',
  },
  {
    method: 'POST',
    path: '/webhooks/generic/{connectionId}',
    operationId: 'receiveGenericWebhook',
    function: 'receiveGenericWebhook',
    auth: 'webhook-signature',
    permission: null,
    summary: 'Receive a Standard Webhooks delivery for a generic connection',
    tag: 'Webhooks',
  },
] as const satisfies readonly RouteSpec[];

export const queues = {
  events: {
    consumer: 'storeEvent',
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    retentionDays: 14,
  },
} as const satisfies Record<string, QueueSpec>;

export const streams = {
  // Transactional outbox: a change committed to the domain table is published exactly as committed.
  domainChanges: { table: 'domain', consumer: 'publishChanges', batchSize: 100, maxRetries: 10 },
} as const satisfies Record<string, StreamSpec>;

export const schedules = {
  meterUsage: {
    function: 'meterUsage',
    description: "Meter the last full hour's billable units of every organisation",
    everyMinutes: 60,
  },
  purgeDeletedOrgs: {
    function: 'purgeDeletedOrgs',
    description: 'Purge organisations whose grace period after deletion has ended',
    everyMinutes: 60,
  },
} as const satisfies Record<string, ScheduleSpec>;

/** The custom bus's source prefix; every canonical event is published under it. */
export const EVENT_SOURCE_PREFIX = 'integration-hub.';

export const rules = {
  canonicalEventsToStore: {
    description: "Every canonical event is kept in its organisation's event feed",
    pattern: { source: [{ prefix: EVENT_SOURCE_PREFIX }] },
    targetQueues: ['events'],
  },
} as const satisfies Record<string, RuleSpec>;

/** Seconds an authorizer result is cached per Authorization header, in AWS and locally. */
export const AUTHORIZER_CACHE_TTL_SECONDS = 5;
