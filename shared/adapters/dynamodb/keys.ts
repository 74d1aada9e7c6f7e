/**
 * Key layout of the single domain table. Every tenant partition key starts with `T#<orgId>#`;
 * platform items (slug claims, credential lookups by hash, webhook routes) live under `P#`.
 */
export const tenantPk = (orgId: string, collection: string): string => `T#${orgId}#${collection}`;
export const platformPk = (collection: string, id: string): string => `P#${collection}#${id}`;

export const TENANT_COLLECTIONS = {
  org: 'ORG',
  apiKeys: 'APIKEY',
  connections: 'CON',
  events: 'EVT',
  audit: 'AUDIT',
  usage: 'USAGE',
  meter: 'METER',
  users: 'USER',
  userEmails: 'USEREMAIL',
  teams: 'TEAM',
  teamTree: 'TEAMTREE',
  access: 'ACCESS',
  deadLetters: 'DEADLETTER',
  teamMembers: 'TEAMMEMBER',
  userTeams: 'USERTEAM',
  invitations: 'INVITE',
  invitationMail: 'INVITEMAIL',
  syncMappings: 'SYNCMAP',
  links: 'LINK',
  linkKeys: 'LINKKEY',
  syncStats: 'SYNCSTAT',
  syncJobs: 'SYNCJOB',
  locks: 'LOCK',
  webhookEndpoints: 'WHEP',
  notifyEvents: 'NEVT',
  messages: 'NMSG',
  endpointAttempts: 'NATT',
  messageAttempts: 'NMATT',
  failedMessages: 'NFAIL',
  deliveryRates: 'NRATE',
  notificationRules: 'NRULE',
  notificationPreferences: 'NOTIFPREF',
  mailSuppressions: 'MAILSUPP',
  addressConfirmations: 'MAILCONF',
  digests: 'DIGEST',
  digestSends: 'DIGESTSEND',
  realtimeConnections: 'WSCONN',
  /** The chat cards posted per item and conversation (`shared/notify/chat`). */
  chatCards: 'CHATCARD',
  /** The conversations a chat bot was added to (`ConversationDirectory`). */
  chatConversations: 'CHATCONV',
  approvals: 'APPROVAL',
  /** Events written with the change they announce, published by the table's stream (`domain-change.ts`). */
  outbox: 'OUTBOX',
  chatIdentities: 'CHATID',
  /** SAML AuthnRequests under way (single use, TTL), by connection and request id. */
  samlRequests: 'SAMLREQ',
  /** SAML assertion ids already accepted (replay cache, TTL), by connection and assertion id. */
  samlAssertions: 'SAMLASSERT',
  /** The email domains an org claims for sign-in routing, by domain name (and their count, `#count`). */
  ssoDomains: 'SSODOMAIN',
  /** The org's SSO connections (SAML and OIDC IdPs), by id (and their count, `#count`). */
  ssoConnections: 'SSOCONN',
  /** Users' sessions (`<userId>#<sessionId>`) and each user's "revoked before" marker (`<userId>#REVOKED`). */
  sessions: 'SESSION',
  /** OIDC sign-ins under way (single use, TTL), by their state's hash. */
  ssoStates: 'SSOSTATE',
  /** Refused SSO sign-ins, by connection and time (TTL), for the org's admins. */
  ssoFailures: 'SSOFAIL',
  /** IdP subjects bound to hub users per connection: `<connectionId>#S#<subjectHash>` and `<connectionId>#U#<userId>`. */
  ssoSubjects: 'SSOSUBJECT',
  /** The org's SCIM tokens (never the token, only its hash beside its metadata). */
  scimTokens: 'SCIMTOKEN',
  /** What an IdP provisioned of each user by SCIM (its profile as sent), by hub user id. */
  scimUsers: 'SCIMUSER',
  /** SCIM userNames (lower case) → hub user id: one user per userName within an org. */
  scimUserNames: 'SCIMUSERNAME',
  /** The `externalId` an IdP gave each SCIM group (a hub team), by team id. */
  scimGroups: 'SCIMGROUP',
  /** Users' passkeys (`<userId>#<passkeyId>`) and each user's count of them (`#count#<userId>`). */
  passkeys: 'PASSKEY',
  /** A passkey registration under way, by user (single use, TTL): the challenge the authenticator signs. */
  passkeyRegistrations: 'PASSKEYREG',
  /** User pool accounts (`sub`) → the hub user each signs in as, bound by its first token. */
  poolAccounts: 'POOLACCT',
} as const;

/** The prefix every key of one tenant starts with. */
export const tenantPrefix = (orgId: string): string => `T#${orgId}#`;

/** Seconds since the epoch, the form DynamoDB's TTL reads. */
export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
