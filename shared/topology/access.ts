import type { FunctionName, ResourceAccess } from './types';

/**
 * What a function's declared access implies beyond its grants, declared once: the resources its
 * environment names (a grant and the variable that names the resource come together, as
 * Powertools' `bindTable` does) and whether it works on tenant data through the tenant data role.
 * The CDK stack and the local runtime both derive a function's environment from this table; each
 * supplies the variables of a resource (CloudFormation tokens in AWS, strings on one machine).
 */
export type AccessResource =
  | 'domainTable'
  | 'auditTable'
  | 'idempotencyTable'
  | 'eventBus'
  | 'secretsKey'
  | 'tokenVerification'
  | 'mail'
  | 'tenantRole'
  | 'queueUrls'
  | 'claimsBucket'
  | 'userPool'
  | 'userPoolClient'
  | 'realtimeApi'
  | 'passkeys';

export interface AccessImplies {
  /** Resources the function's environment names. */
  readonly resources: readonly AccessResource[];
  /** Reaches tenant items, so it may assume the tenant data role (with a tenant tag). */
  readonly tenantData: boolean;
}

// A `Record` over every access kind: a new kind does not compile until it has its row.
export const accessImplies: Record<ResourceAccess, AccessImplies> = {
  // The stores' configuration names both tables (a change's audit record is written in its transaction).
  'domain-table:read': { resources: ['domainTable', 'auditTable', 'tenantRole'], tenantData: true },
  'domain-table:write': { resources: ['domainTable', 'auditTable', 'tenantRole'], tenantData: true },
  'audit-table:write': { resources: ['domainTable', 'auditTable', 'tenantRole'], tenantData: true },
  'audit-table:read': { resources: ['domainTable', 'auditTable', 'tenantRole'], tenantData: true },
  'usage:count': { resources: ['domainTable', 'auditTable', 'tenantRole'], tenantData: true },
  'api-keys:record-use': { resources: ['domainTable', 'auditTable', 'tenantRole'], tenantData: true },
  'sessions:record': { resources: ['domainTable', 'auditTable', 'tenantRole'], tenantData: true },
  // The pre-token trigger binds a pool account to its hub user (tenant items of that collection only).
  'pool-accounts:bind': { resources: ['domainTable', 'auditTable', 'tenantRole'], tenantData: true },
  'tenant-role:assume': { resources: ['tenantRole'], tenantData: true },
  'idempotency-table:write': { resources: ['idempotencyTable'], tenantData: false },
  'event-bus:put': { resources: ['eventBus'], tenantData: false },
  'secrets-key:encrypt': { resources: ['secretsKey'], tenantData: false },
  'secrets-key:decrypt': { resources: ['secretsKey'], tenantData: false },
  'user-pool:verify-tokens': { resources: ['tokenVerification'], tenantData: false },
  'mail:send': { resources: ['mail'], tenantData: false },
  'queues:send': { resources: ['queueUrls'], tenantData: false },
  'claims-bucket:write': { resources: ['claimsBucket'], tenantData: false },
  'claims-bucket:read': { resources: ['claimsBucket'], tenantData: false },
  'claims-bucket:purge': { resources: ['claimsBucket'], tenantData: false },
  'user-pool:sign-out': { resources: ['userPool'], tenantData: false },
  // Turns a user's authenticator app off (AdminSetUserMFAPreference).
  'user-pool:mfa': { resources: ['userPool'], tenantData: false },
  // Signs a user the hub verified in through the pool's custom auth, on the app client (its tokens'
  // audience), answering with a one-time grant it puts (a `signInGrants` pointer, and no other item).
  'user-pool:custom-auth': { resources: ['userPool', 'userPoolClient', 'domainTable'], tenantData: false },
  // The custom auth triggers: read and spend a one-time sign-in grant (no other item).
  'sign-in-grants:spend': { resources: ['domainTable'], tenantData: false },
  // Posts to the real-time API's connections (the Management API at the endpoint it names).
  'realtime:post': { resources: ['realtimeApi'], tenantData: false },
  // Registers and removes users' passkeys: with the function's own role, the lookup from a
  // credential's id to its org and user (a `passkeyLookups` pointer, and no other item); the
  // passkey itself is the tenant's, written with the function's domain-table:write.
  'passkeys:register': { resources: ['domainTable', 'passkeys'], tenantData: false },
  // Passkey sign-ins: with the function's own role, the single-use challenges of sign-ins under
  // way (a `passkeyChallenges` pointer, and no other item); it reads the credential lookups.
  'passkeys:sign-in': { resources: ['domainTable', 'passkeys'], tenantData: false },
};

/** What issuing a session through the pool's custom auth calls (`user-pool:custom-auth`), in AWS and locally. */
export const CUSTOM_AUTH_ACTIONS = [
  'cognito-idp:AdminGetUser',
  'cognito-idp:AdminCreateUser',
  // Replaces a pool account left bound to another hub user that had the address.
  'cognito-idp:AdminDeleteUser',
  'cognito-idp:AdminInitiateAuth',
  'cognito-idp:AdminRespondToAuthChallenge',
] as const;

/** The resources a function's access names, each once, in the table's order. */
export function resourcesOf(access: readonly ResourceAccess[]): AccessResource[] {
  return [...new Set(access.flatMap((a) => accessImplies[a].resources))];
}

/** True when the access reaches tenant items (and so the tenant data role). */
export const usesTenantData = (access: readonly ResourceAccess[]): boolean =>
  access.some((a) => accessImplies[a].tenantData);

/**
 * A function's environment from its access: the common variables every function gets, then the
 * variables of each resource its access names — nothing else.
 */
export function environmentFor<V>(
  access: readonly ResourceAccess[],
  resources: Readonly<Record<AccessResource, Readonly<Record<string, V>>>>,
  common: Readonly<Record<string, V>> = {},
): Record<string, V> {
  return Object.assign({ ...common }, ...resourcesOf(access).map((r) => resources[r]));
}

/**
 * The platform pointer items (`P#<prefix>#…`) of the domain table, by type. A function's own role
 * and its tenant sessions may write only the types it is listed for below; any function may read them.
 */
export const platformPointers = {
  /** An org API key's credential lookup, by the key's hash. */
  apiKeyLookups: 'APIKEY',
  /** A platform-admin key's record: written by the bootstrap and the platform admins' key route alone. */
  platformKeys: 'PLATFORMKEY',
  webhookRoutes: 'WEBHOOK',
  orgDirectory: 'ORGS',
  purgeSchedule: 'PURGE',
  slugClaims: 'SLUG',
  mappingDirectory: 'SYNCMAP',
  invitationTokens: 'INVITE',
  /** An unsubscribe link's token, by its hash: which org and user (or address) it stops. */
  unsubscribeTokens: 'UNSUB',
  /** An email-address confirmation link's token, by its hash: which org and address it confirms (single use). */
  emailConfirmations: 'MAILCONFIRM',
  /** Work due at a time (`shared/ports/due-index.ts`): entries by kind and minute; and per kind, the minutes that hold entries. */
  dueEntries: 'DUE',
  dueMinutes: 'DUEMINUTES',
  /** A real-time connection's org, by connection id (for `$disconnect`). */
  realtimeConnections: 'WSCONN',
  /** A chat app install under way: its single-use state, by hash (which org and user started it), with a TTL. */
  chatInstallStates: 'CHATSTATE',
  /** A chat platform's installation (Slack team, Teams tenant): the one org and connection it is bound to. */
  chatInstallations: 'CHATINST',
  /** The deployment's app settings of a chat platform, encrypted (set by platform admins). */
  chatApps: 'CHATAPP',
  /** A used chat link token's nonce (single use), until the token would have expired. */
  chatLinkNonces: 'CHATLINK',
  /** A verified email domain's one org (sign-in routing): claimed when an org proves the domain by DNS. */
  ssoDomainClaims: 'SSODOMAIN',
  /** An SSO connection's org, by the connection's id (the SAML endpoints name the connection alone). */
  ssoConnectionOrgs: 'SSOCONN',
  /** A one-time SSO sign-in grant (the user pool's custom auth spends it), by its user's hashed username, with a TTL. */
  signInGrants: 'SIGNINGRANT',
  /** An org SCIM token's credential lookup, by the token's hash. */
  scimTokenLookups: 'SCIMTOKEN',
  /** A one-time bind code, by hash: which org's connection it binds a platform installation to, until when. */
  chatBindCodes: 'CHATBIND',
  /** A passkey's credential, by its id's hash: which org, user and passkey it signs in (written with the passkey). */
  passkeyLookups: 'PASSKEY',
  /** A passkey sign-in under way: its challenge, by hash (single use, with a TTL); no org yet. */
  passkeyChallenges: 'PASSKEYCHAL',
} as const;

export type PlatformPointer = keyof typeof platformPointers;

/** Which pointer types each function writes (with its change, or alone); a function not listed writes none. */
export const pointerWrites: { readonly [F in FunctionName]?: readonly PlatformPointer[] } = {
  createOrg: ['orgDirectory', 'slugClaims'],
  updateOrg: ['orgDirectory'],
  setOrgStatus: ['orgDirectory'],
  deleteOrg: ['orgDirectory', 'purgeSchedule'],
  restoreOrg: ['orgDirectory', 'purgeSchedule'],
  purgeDeletedOrgs: [
    'orgDirectory',
    'purgeSchedule',
    'apiKeyLookups',
    'webhookRoutes',
    'slugClaims',
    'mappingDirectory',
    'invitationTokens',
    'emailConfirmations',
    'ssoDomainClaims',
    'ssoConnectionOrgs',
    'scimTokenLookups',
    'passkeyLookups',
  ],
  managePlatformKeys: ['platformKeys'],
  manageSsoDomains: ['ssoDomainClaims'],
  manageSsoConnections: ['ssoConnectionOrgs'],
  manageScimTokens: ['scimTokenLookups'],
  createApiKey: ['apiKeyLookups'],
  rotateApiKey: ['apiKeyLookups'],
  revokeApiKey: ['apiKeyLookups'],
  createConnection: ['webhookRoutes'],
  manageConnection: ['webhookRoutes'],
  manageMappings: ['mappingDirectory'],
  inviteUser: ['invitationTokens'],
  manageInvitation: ['invitationTokens'],
  acceptInvitation: ['invitationTokens'],
  // Marking a connection as needing attention saves its webhook route with its status.
  testConnection: ['webhookRoutes'],
  storeEvent: ['webhookRoutes'],
  sendInvitationMail: ['webhookRoutes'],
  syncWorkItems: ['webhookRoutes'],
  scanWorkItems: ['webhookRoutes'],
  // The email channel and the digests mint an unsubscribe token per email.
  // The due index (retries, digests, endpoint checks) is platform items: its adders and sweepers write them.
  // The chat channel marks a connection whose app is gone: its webhook route is saved with its status.
  // chatLinkNonces: a notice of a DM that could not be opened is claimed once a day per destination.
  deliverNotifications: ['unsubscribeTokens', 'dueEntries', 'dueMinutes', 'webhookRoutes', 'chatLinkNonces'],
  sendDigests: ['unsubscribeTokens', 'dueEntries', 'dueMinutes'],
  matchNotifications: ['dueEntries', 'dueMinutes'],
  runDueWork: ['dueEntries', 'dueMinutes'],
  // An approval's expiry is indexed when it is asked, and forgotten when it is answered.
  manageApprovals: ['dueEntries', 'dueMinutes'],
  realtimeConnections: ['realtimeConnections'],
  // Adding an address to a rule sends it a confirmation link; the link is spent when confirmed.
  manageNotificationRules: ['emailConfirmations'],
  confirmMailAddress: ['emailConfirmations'],
  // A connection the Management API answers 410 for is forgotten.
  pushRealtimeEvents: ['realtimeConnections', 'webhookRoutes'],
  // A provider's app binds an installation to its org when the OAuth install completes.
  // and consumes the install's single-use state.
  // A Teams tenant is bound by claiming a one-time bind code.
  receiveChatRequest: ['chatInstallations', 'webhookRoutes', 'chatInstallStates', 'chatBindCodes'],
  // An uninstall unbinds the installation and saves the connection (and its route) as needing attention.
  // An approval answered from a chat forgets its expiry entry.
  runChatWork: ['chatInstallations', 'webhookRoutes', 'dueEntries', 'dueMinutes'],
  manageChatApps: ['chatApps'],
  // Starting a chat app's install mints its single-use state; an admin mints one-time bind codes.
  manageChatLinks: ['chatLinkNonces', 'chatInstallStates', 'chatBindCodes'],
};

/** The `P#…` key prefixes a function may write, e.g. `P#APIKEY#`. */
export const pointerPrefixesOf = (name: FunctionName): string[] =>
  (pointerWrites[name] ?? []).map((p) => `P#${platformPointers[p]}#`);
