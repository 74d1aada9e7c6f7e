import type { PlatformPointer, ResourceAccess } from '../topology';
import type * as wiring from './wiring';

/**
 * The AWS access each wiring factory's adapters need at the least, whatever their caller does with
 * them: a function whose handler builds a factory must declare at least this in the topology (a
 * test holds every handler to it). A `Record` over the factories: a new factory does not compile
 * until it says what it touches.
 */
export const wiringAccess: Record<keyof typeof wiring, readonly ResourceAccess[]> = {
  orgStore: ['domain-table:read'],
  apiKeyStore: ['domain-table:read'],
  connectionStore: ['domain-table:read'],
  eventStore: ['domain-table:read'],
  // Encrypt or Decrypt, by what the caller does: the local KMS holds each call to the declaration.
  secretCipher: [],
  // An event too large for the bus is claim-checked: stored whole in the bucket, then published.
  eventPublisher: ['event-bus:put', 'claims-bucket:write'],
  deliveryLedger: ['event-bus:put', 'claims-bucket:write', 'idempotency-table:write'],
  // Put or Get, by what the caller does: the local S3 holds each call to the declaration.
  claimCheckStore: [],
  // Standalone records (a refusal, a read of the trail) are appended with the function's own grant.
  auditStore: ['audit-table:write'],
  tenantDirectory: ['domain-table:read'],
  usageStore: ['domain-table:read'],
  // The org's claim-checked event bodies go with its items.
  orgPurger: ['domain-table:write', 'claims-bucket:purge'],
  userStore: ['domain-table:read'],
  teamStore: ['domain-table:read'],
  invitationStore: ['domain-table:read'],
  mailer: ['mail:send'],
  accessStore: ['domain-table:read'],
  roleGuard: ['domain-table:read'],
  accessDirectory: ['domain-table:read'],
  accessFacts: ['domain-table:read'],
  deadLetterStore: ['domain-table:read'],
  // Delays a retry on the consumer's own queue (Lambda's event source grants that); sends need queues:send.
  messageQueues: [],
  // Parks dead letters, marks connections needing attention, audits a dropped message.
  queueWorker: ['domain-table:write', 'audit-table:write'],
  syncStore: ['domain-table:read'],
  lockStore: ['domain-table:write'],
  dueIndex: ['domain-table:write'],
  // Endpoints are changed with their audit record in one transaction.
  webhookEndpointStore: ['domain-table:write', 'audit-table:write'],
  deliveryStore: ['domain-table:write'],
  notificationPreferenceStore: ['domain-table:read'],
  mailSuppressionStore: ['domain-table:read'],
  // Minting a token writes its platform lookup (the `unsubscribeTokens` pointer type).
  unsubscribeTokenStore: ['domain-table:read'],
  digestStore: ['domain-table:write'],
  // Verifying claims the domain across the platform (the `ssoDomainClaims` pointer type).
  domainStore: ['domain-table:write', 'audit-table:write'],
  txtResolver: [],
  domainClaims: ['domain-table:read'],
  ssoConnectionReader: ['domain-table:read'],
  ssoConnectionStore: ['domain-table:write', 'audit-table:write'],
  idpDiscovery: [],
  signInFailureStore: ['domain-table:write'],
  // A binding and its audit record are written together.
  ssoSubjectStore: ['domain-table:write', 'audit-table:write'],
  oidcSignIn: ['domain-table:write', 'secrets-key:decrypt'],
  samlSignIn: ['domain-table:write'],
  completeSignIn: ['domain-table:write', 'audit-table:write'],
  // Reads lookups; issuing and revoking (their callers declare the write) write the `scimTokenLookups` pointers.
  scimTokenStore: ['domain-table:read'],
  // Every change is written with its audit record in one transaction.
  scimUserStore: ['domain-table:write', 'audit-table:write'],
  // An externalId is written with its audit record in one transaction.
  scimGroupStore: ['domain-table:write', 'audit-table:write'],
  providerDisplayNames: [],
  emailChannel: ['mail:send', 'domain-table:write'],
  // Reads the day's count; counting writes tenant items (its caller, the matcher, declares the write).
  // Asking and confirming write tenant items and the token pointers (their callers declare the write).
  addressConfirmationStore: ['domain-table:read'],
  addressConfirmationRequests: ['domain-table:write', 'audit-table:write', 'mail:send'],
  emailQuotaStore: ['domain-table:read'],
  emailLimits: ['domain-table:write', 'audit-table:write', 'mail:send'],
  emailRecipients: ['domain-table:read'],
  chatProviders: [],
  postedRefStore: ['domain-table:write'],
  // Each client reads its connection's credentials and decrypts them; token refreshes are the modules'.
  chatClients: ['domain-table:read', 'secrets-key:decrypt'],
  // Posts through the clients, claims and records cards, marks a connection whose app is gone (with its audit record).
  // Also tells whoever asked for a DM that could not be opened: a chat reply or an email, claimed once a day.
  chatChannel: ['domain-table:write', 'audit-table:write', 'secrets-key:decrypt', 'mail:send'],
  chatRecipients: ['domain-table:read'],
  renderingChannels: ['domain-table:read'],
  digestCollector: ['domain-table:write'],
  realtimeConnections: ['domain-table:write'],
  realtimeConnectionCounts: ['domain-table:read'],
  connectionPoster: ['realtime:post'],
  sessionStore: ['domain-table:read'],
  // Records each session's use (tenant items of the sessions collection), at most once a minute.
  sessionGate: ['domain-table:read', 'sessions:record'],
  sessionRevoker: ['user-pool:sign-out'],
  // The Create trigger reads a grant and the Verify trigger spends it.
  signInGrants: ['sign-in-grants:spend'],
  // The pre-token trigger reads a spent grant (a platform item): nothing written.
  signInGrantReader: ['domain-table:read'],
  // The pre-token trigger binds each pool account to its hub user on its first token.
  poolAccounts: ['domain-table:read', 'pool-accounts:bind'],
  authenticatorApps: ['user-pool:mfa'],
  // A passkey is written with its audit record; its lookup by credential id with the own role.
  passkeyStore: ['domain-table:write', 'audit-table:write', 'passkeys:register'],
  passkeyRegistrations: ['domain-table:write'],
  // Spends sign-in challenges (own role), moves the passkey's counter on, audits, issues the session.
  passkeySignIn: ['domain-table:write', 'audit-table:write', 'passkeys:sign-in', 'user-pool:custom-auth'],
  accessTokenVerify: ['user-pool:verify-tokens'],
  // Puts the one-time grant it answers the pool's challenge with.
  // and reads which hub user the email's pool account is bound to.
  sessionIssuer: ['user-pool:custom-auth', 'domain-table:read', 'pool-accounts:bind'],
  // What the providers' token sources need comes from their modules (`providerClientAccess`):
  // a function that builds these must be flagged `providerClients` in the topology.
  providerTokens: [],
  // The modules' sync parts, as data: opening a client is syncProviders'.
  syncConnectors: [],
  // Reads each connection with its credentials and decrypts them; the rest is the providers'.
  syncProviders: ['domain-table:read', 'secrets-key:decrypt'],
  notificationRuleStore: ['domain-table:read'],
  notificationRuleDestinations: ['domain-table:read'],
  // An approval's change, its audit record and its outbox event are one transaction.
  approvalStore: ['domain-table:write', 'audit-table:write'],
  approvals: ['domain-table:write', 'audit-table:write'],
  installationDirectory: ['domain-table:read'],
  // Links are written with their audit record.
  identityLinkStore: ['domain-table:read'],
  chatAppStore: ['domain-table:read'],
  // Counting is a conditional update of the person's window item.
  chatRates: ['domain-table:write'],
  usedChatTokens: ['domain-table:write'],
  // Remembered and forgotten under the org's partition.
  conversationDirectory: ['domain-table:write'],
  // A code's hash is written with its audit record, and claimed with a conditional update.
  chatBindCodes: ['domain-table:write', 'audit-table:write'],
  // Decrypts the settings it reads.
  chatAppSettings: ['domain-table:read', 'secrets-key:decrypt'],
  chatOnce: ['idempotency-table:write'],
  chatWorkQueue: ['queues:send'],
  chatParts: [],
  // The provider's client and app: connections, their tokens, the app settings, the installations.
  chatDeps: ['domain-table:read', 'secrets-key:decrypt', 'audit-table:write'],
};

/** The factories that open provider clients or their token sources: their functions get the modules' access. */
export const providerClientFactories: readonly (keyof typeof wiring)[] = [
  'providerTokens',
  'syncProviders',
  'chatClients',
  'chatChannel',
  'chatDeps',
];

/** The platform pointer types a factory's adapters write whatever their caller does (see `pointerWrites`). */
export const wiringPointerWrites: { readonly [K in keyof typeof wiring]?: readonly PlatformPointer[] } = {
  // Marking a connection as needing attention saves its webhook route with its status.
  queueWorker: ['webhookRoutes'],
  // Every email it sends carries a fresh unsubscribe token, stored by its hash.
  emailChannel: ['unsubscribeTokens'],
  // Marking a connection whose app is gone saves its webhook route with its status; a DM failure's
  // notice is claimed once a day (a single-use nonce).
  chatChannel: ['webhookRoutes', 'chatLinkNonces'],
  // Adding and sweeping write the entries and the kind's cursor, platform items.
  dueIndex: ['dueEntries', 'dueMinutes'],
  digestCollector: ['dueEntries', 'dueMinutes'],
  // An approval's expiry is indexed when it is asked, forgotten when it is answered.
  approvals: ['dueEntries', 'dueMinutes'],
  // Each confirmation email's token is stored by its hash.
  addressConfirmationRequests: ['emailConfirmations'],
  // A connection's org by its id, written and deleted with the connection.
  realtimeConnections: ['realtimeConnections'],
  usedChatTokens: ['chatLinkNonces'],
  domainStore: ['ssoDomainClaims'],
  ssoConnectionStore: ['ssoConnectionOrgs'],
  chatBindCodes: ['chatBindCodes'],
};
