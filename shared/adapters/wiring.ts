import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { approvalCard } from '../approvals/card';
import { makeApprovals } from '../approvals/manage-approvals';
import { AccessDirectory } from '../authz/access-directory';
import { AccessFactsLoader } from '../authz/access-facts';
import { makeRoleGuard } from '../authz/role-guard';
import { makeAppSettings } from '../chat/chat-apps';
import { chatParts as chatPartsOf } from '../chat/chat-parts';
import type { ChatClient } from '../chat/model';
import type { ChatWorkQueue } from '../chat/ports';
import {
  claimsBucketName,
  customAuthPool,
  domainTableName,
  eventBusName,
  idempotencyTableName,
  jwtConfig,
  mailConfig,
  mfaUserPoolId,
  passkeyConfig,
  publicUrl,
  queueUrls,
  realtimeEndpoint,
  s3ForcePathStyle,
  secretsKeyId,
  signOutUserPoolId,
  tablesConfig,
} from '../config/config';
import { makeMarkNeedsAttention } from '../connectors/manage-connections';
import { lazyTokenSources } from '../connectors/provider-catalog';
import type { ChatDeps } from '../connectors/provider-module';
import type { AccessTokens } from '../connectors/work-items';
import { egressFetch, tenantEgressFetch } from '../egress';
import { feedOfReferences } from '../events/claim-check';
import { makeAccessTokenVerify } from '../identity/jwt-verifier';
import { makePasskeySignIn } from '../identity/passkeys/passkey-sign-in';
import { SessionGate } from '../identity/session-gate';
import type { ChatRenderers } from '../notify/chat/chat-card';
import { makeChatChannel, makeChatRenderer } from '../notify/chat/chat-channel';
import { ConnectionChatRecipients } from '../notify/chat/chat-recipients';
import { makeDmFailureNotices } from '../notify/chat/dm-failure-notices';
import type { ChatProviders } from '../notify/chat/ports';
import { makeRequestConfirmations } from '../notify/email/address-confirmation';
import { EmailDigestCollector } from '../notify/email/digests';
import { makeEmailChannel, makeEmailRenderer } from '../notify/email/email-channel';
import { makeEmailLimits, utcDay } from '../notify/email/email-limits';
import { PreferenceAwareEmailRecipients } from '../notify/email/recipients';
import { CachedRuleDestinations } from '../notify/rules/rule-destinations';
import { renderWebhook } from '../notify/webhooks/webhook-channel';
import { tracer } from '../observability/observability';
import type { ClaimCheckStore } from '../ports/claim-check-store';
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import { noSessionsToEnd } from '../ports/session-revoker';
import { PROVIDER_MODULES, PROVIDERS } from '../providers';
import type { QueueWorkerDeps } from '../queues/queue-worker';
import { makeCompleteSignIn } from '../sso/complete-sign-in';
import type { SsoConnectionStore } from '../sso/connections';
import type { DomainStore } from '../sso/domains';
import { makeOidcSignIn } from '../sso/oidc-sign-in';
import { makeSamlSignIn } from '../sso/saml/saml-sign-in';
import { makeSyncProviders } from '../sync/providers';
import { CHAT_USER_RATE, PLANS } from '../tenancy/plans';
import { TenantDirectory } from '../tenancy/tenant-directory';
import { ManagementApiPoster } from './apigateway/management-api-poster';
import { hubClock } from './clock';
import { CognitoAuthenticatorApps } from './cognito/cognito-authenticator-apps';
import { CognitoSessionIssuer } from './cognito/cognito-session-issuer';
import { CognitoSessionRevoker } from './cognito/cognito-session-revoker';
import { txtResolverFrom } from './dns/txt-resolver';
import { documentClient, dynamoDbClient, platformDocumentClient } from './dynamodb/document-client';
import { DynamoDbAccessStore } from './dynamodb/dynamodb-access-store';
import { DynamoDbAddressConfirmationStore } from './dynamodb/dynamodb-address-confirmation-store';
import { DynamoDbApiKeyStore } from './dynamodb/dynamodb-api-key-store';
import { DynamoDbApprovalStore } from './dynamodb/dynamodb-approval-store';
import { DynamoDbAuditStore } from './dynamodb/dynamodb-audit-store';
import { DynamoDbChatRates } from './dynamodb/dynamodb-chat-rates';
import {
  DynamoDbBindCodeStore,
  DynamoDbChatAppStore,
  DynamoDbIdentityLinkStore,
  DynamoDbInstallationDirectory,
  DynamoDbUsedTokens,
} from './dynamodb/dynamodb-chat-store';
import { DynamoDbConnectionStore } from './dynamodb/dynamodb-connection-store';
import { DynamoDbConversationDirectory } from './dynamodb/dynamodb-conversation-directory';
import { DynamoDbDeadLetterStore } from './dynamodb/dynamodb-dead-letter-store';
import { DynamoDbDeliveryStore } from './dynamodb/dynamodb-delivery-store';
import { DynamoDbDigestStore } from './dynamodb/dynamodb-digest-store';
import { DynamoDbDomainStore } from './dynamodb/dynamodb-domain-store';
import { DynamoDbDueIndex } from './dynamodb/dynamodb-due-index';
import { DynamoDbEmailQuotaStore } from './dynamodb/dynamodb-email-quota-store';
import { DynamoDbEventStore } from './dynamodb/dynamodb-event-store';
import { DynamoDbInstallStates } from './dynamodb/dynamodb-install-states';
import { DynamoDbInvitationStore } from './dynamodb/dynamodb-invitation-store';
import { DynamoDbLockStore } from './dynamodb/dynamodb-lock-store';
import { DynamoDbMailSuppressionStore } from './dynamodb/dynamodb-mail-suppression-store';
import { DynamoDbNotificationPreferenceStore } from './dynamodb/dynamodb-notification-preference-store';
import { DynamoDbNotificationRuleStore } from './dynamodb/dynamodb-notification-rule-store';
import { DynamoDbOrgPurger } from './dynamodb/dynamodb-org-purger';
import { DynamoDbOrgStore } from './dynamodb/dynamodb-org-store';
import { DynamoDbPasskeyChallenges, DynamoDbPasskeyStore } from './dynamodb/dynamodb-passkey-store';
import { DynamoDbPoolAccounts } from './dynamodb/dynamodb-pool-accounts';
import { DynamoDbPostedRefStore } from './dynamodb/dynamodb-posted-ref-store';
import { DynamoDbRealtimeConnections } from './dynamodb/dynamodb-realtime-connections';
import { DynamoDbSamlAssertionLedger, DynamoDbSamlRequestCache } from './dynamodb/dynamodb-saml-caches';
import { DynamoDbScimGroupStore } from './dynamodb/dynamodb-scim-group-store';
import { DynamoDbScimTokenStore } from './dynamodb/dynamodb-scim-token-store';
import { DynamoDbScimUserStore } from './dynamodb/dynamodb-scim-user-store';
import { DynamoDbSessionStore } from './dynamodb/dynamodb-session-store';
import { DynamoDbSignInGrants } from './dynamodb/dynamodb-sign-in-grants';
import { DynamoDbSsoConnectionStore } from './dynamodb/dynamodb-sso-connection-store';
import { DynamoDbPendingOidcStore, DynamoDbSignInFailureStore } from './dynamodb/dynamodb-sso-sign-in-store';
import { DynamoDbSsoSubjectStore } from './dynamodb/dynamodb-sso-subject-store';
import { DynamoDbSyncStore } from './dynamodb/dynamodb-sync-store';
import { DynamoDbTeamStore } from './dynamodb/dynamodb-team-store';
import { DynamoDbUnsubscribeTokenStore } from './dynamodb/dynamodb-unsubscribe-token-store';
import { DynamoDbUsageStore } from './dynamodb/dynamodb-usage-store';
import { DynamoDbUserStore } from './dynamodb/dynamodb-user-store';
import { DynamoDbWebhookEndpointStore } from './dynamodb/dynamodb-webhook-endpoint-store';
import { EventBridgePublisher } from './eventbridge/eventbridge-publisher';
import { KmsSecretCipher } from './kms/kms-secret-cipher';
import { IdempotentDeliveryLedger } from './powertools/idempotent-delivery-ledger';
import { IdempotentOnce } from './powertools/idempotent-once';
import { SesMailer } from './ses/ses-mailer';
import { SqsMessageQueues } from './sqs/sqs-message-queues';
import { metadataFetcher, oidcDiscovery, openIdClient } from './sso/idp-http';

/**
 * The production adapters, one factory per port. Handlers call these at init; swapping an adapter
 * touches one line here. Locally the same adapters reach local servers through AWS_ENDPOINT_URL_*.
 */
// Separate exports, imported as a namespace: a bundle keeps only the adapters its handler uses.
export const orgStore = () => new DynamoDbOrgStore(documentClient(), tablesConfig());
export const apiKeyStore = () => new DynamoDbApiKeyStore(documentClient(), tablesConfig());
export const connectionStore = () => new DynamoDbConnectionStore(documentClient(), tablesConfig());
export const eventStore = () =>
  feedOfReferences(new DynamoDbEventStore(documentClient(), tablesConfig().domainTable));
export const secretCipher = () =>
  new KmsSecretCipher(tracer.captureAWSv3Client(new KMSClient({})), secretsKeyId());
let claims: Promise<ClaimCheckStore> | undefined;
// Loaded on first use: most events fit the bus, so a cold start does not pay for the S3 client.
const s3ClaimCheckStore = () =>
  (claims ??= Promise.all([import('@aws-sdk/client-s3'), import('./s3/s3-claim-check-store')]).then(
    ([{ S3Client }, { S3ClaimCheckStore }]) =>
      new S3ClaimCheckStore(
        tracer.captureAWSv3Client(new S3Client({ forcePathStyle: s3ForcePathStyle() })),
        claimsBucketName(),
      ),
  ));
/**
 * The claim-check bucket, built on first use: a function meets the bucket (and its
 * CLAIMS_BUCKET_NAME) only when an event is too large for the bus.
 */
export const claimCheckStore = (): ClaimCheckStore => ({
  put: async (tenantId, name, body) => (await s3ClaimCheckStore()).put(tenantId, name, body),
  get: async (key) => (await s3ClaimCheckStore()).get(key),
  purgeTenant: async (tenantId, shouldStop) => (await s3ClaimCheckStore()).purgeTenant(tenantId, shouldStop),
});
export const eventPublisher = () =>
  new EventBridgePublisher(
    tracer.captureAWSv3Client(new EventBridgeClient({})),
    eventBusName(),
    claimCheckStore(),
  );
export const deliveryLedger = () =>
  new IdempotentDeliveryLedger(
    eventPublisher(),
    new DynamoDBPersistenceLayer({ tableName: idempotencyTableName(), awsSdkV3Client: dynamoDbClient() }),
  );
export const auditStore = () =>
  new DynamoDbAuditStore(documentClient(), tablesConfig(), platformDocumentClient());

let tenants: TenantDirectory | undefined;
/** One tenant cache per execution environment, shared by everything in it. */
export const tenantDirectory = () => {
  tenants ??= new TenantDirectory(orgStore());
  return tenants;
};
export const usageStore = () => new DynamoDbUsageStore(documentClient(), tablesConfig().domainTable);
export const orgPurger = () =>
  new DynamoDbOrgPurger(documentClient(), tablesConfig().domainTable, claimCheckStore());
export const userStore = () => new DynamoDbUserStore(documentClient(), tablesConfig());
export const teamStore = () => new DynamoDbTeamStore(documentClient(), tablesConfig());
export const invitationStore = () => new DynamoDbInvitationStore(documentClient(), tablesConfig());
export const mailer = () =>
  new SesMailer(
    tracer.captureAWSv3Client(new SESv2Client({})),
    mailConfig().from,
    mailConfig().configurationSet,
  );
export const accessStore = () => new DynamoDbAccessStore(documentClient(), tablesConfig());
export const roleGuard = () => makeRoleGuard(accessStore());
export const sessionStore = () => new DynamoDbSessionStore(documentClient(), tablesConfig());
let sessions: SessionGate | undefined;
/** One cache of users' sessions per execution environment (the gate's). */
export const sessionGate = () => {
  sessions ??= new SessionGate(sessionStore());
  return sessions;
};
export const sessionRevoker = () => {
  const userPoolId = signOutUserPoolId();
  return userPoolId
    ? new CognitoSessionRevoker(tracer.captureAWSv3Client(new CognitoIdentityProviderClient({})), userPoolId)
    : noSessionsToEnd;
};
export const signInGrants = () => new DynamoDbSignInGrants(documentClient(), domainTableName());
/** The same grants, read only: the pre-token trigger reads a session's spent grant for its `amr`. */
export const signInGrantReader = (): Pick<DynamoDbSignInGrants, 'find'> =>
  new DynamoDbSignInGrants(documentClient(), domainTableName());
/** Which hub user each user pool account signs in as (`shared/identity/pool-accounts.ts`). */
export const poolAccounts = () => new DynamoDbPoolAccounts(documentClient(), domainTableName());
/** Users' authenticator apps, in the user pool (locally the local pool). */
export const authenticatorApps = () =>
  new CognitoAuthenticatorApps(
    tracer.captureAWSv3Client(new CognitoIdentityProviderClient({})),
    mfaUserPoolId(),
  );
/** Users' passkeys in their orgs, and the lookups by credential id that registering writes. */
export const passkeyStore = () => new DynamoDbPasskeyStore(documentClient(), tablesConfig());
/** The single-use challenges of passkey registrations (and sign-ins) under way. */
export const passkeyRegistrations = () => new DynamoDbPasskeyChallenges(documentClient(), domainTableName());
/** Passkey sign-ins: their challenges, the passkeys they check, and the session the pool issues. */
export const passkeySignIn = (clock: Clock = hubClock()) =>
  makePasskeySignIn({
    passkeys: passkeyStore(),
    challenges: new DynamoDbPasskeyChallenges(documentClient(), domainTableName()),
    orgs: orgStore(),
    users: userStore(),
    sessions: sessionIssuer(),
    audit: auditStore(),
    relyingParty: passkeyConfig(),
    clock,
  });
/** Verifies users' access tokens of the pool, as the token-authorised pool calls take them. */
export const accessTokenVerify = () => makeAccessTokenVerify(jwtConfig());
/** Sessions for SSO sign-ins, from the user pool (locally the local pool, through AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER). */
export const sessionIssuer = () =>
  new CognitoSessionIssuer(
    tracer.captureAWSv3Client(new CognitoIdentityProviderClient({})),
    customAuthPool(),
    signInGrants(),
    new DynamoDbPoolAccounts(documentClient(), domainTableName()),
    hubClock(),
  );

let access: AccessDirectory | undefined;
/** One cache of org roles and policies per execution environment. */
export const accessDirectory = () => {
  access ??= new AccessDirectory(accessStore());
  return access;
};
export const accessFacts = () =>
  new AccessFactsLoader({ teams: teamStore(), users: userStore(), keys: apiKeyStore() });
export const deadLetterStore = () =>
  new DynamoDbDeadLetterStore(documentClient(), tablesConfig().domainTable);
export const messageQueues = () =>
  new SqsMessageQueues(tracer.captureAWSv3Client(new SQSClient({})), queueUrls());
/** What a queue worker needs to apply the failure policy to its messages. */
export const queueWorker = (queue: string): QueueWorkerDeps => ({
  queue,
  deadLetters: deadLetterStore(),
  queues: messageQueues(),
  audit: auditStore(),
  clock: systemClock,
  markNeedsAttention: makeMarkNeedsAttention({ connections: connectionStore(), clock: systemClock }),
  // A suspended or deleted org's messages are acknowledged without work, in every worker.
  tenants: tenantDirectory(),
});
export const syncStore = () => new DynamoDbSyncStore(documentClient(), tablesConfig());
/** Leases (conditional writes that expire) in the domain table. */
export const lockStore = () => new DynamoDbLockStore(documentClient(), tablesConfig().domainTable);
export const dueIndex = (clock: Clock = systemClock) =>
  new DynamoDbDueIndex(documentClient(), tablesConfig().domainTable, clock);
/** Outbound webhook endpoints (secrets encrypted), under each org's partition. */
export const webhookEndpointStore = () => new DynamoDbWebhookEndpointStore(documentClient(), tablesConfig());
/** Delivery messages, their attempts, the events they carry and per-endpoint rate windows. */
export const deliveryStore = (clock: Clock = systemClock) =>
  new DynamoDbDeliveryStore(
    documentClient(),
    tablesConfig().domainTable,
    () => clock.now(),
    claimCheckStore(),
  );
export const notificationPreferenceStore = () =>
  new DynamoDbNotificationPreferenceStore(documentClient(), tablesConfig());
export const mailSuppressionStore = () => new DynamoDbMailSuppressionStore(documentClient(), tablesConfig());
export const unsubscribeTokenStore = () =>
  new DynamoDbUnsubscribeTokenStore(documentClient(), tablesConfig().domainTable);
export const digestStore = () => new DynamoDbDigestStore(documentClient(), tablesConfig());
/** An org's SCIM tokens, and their lookups by hash. */
export const scimTokenStore = () => new DynamoDbScimTokenStore(documentClient(), tablesConfig());
/** What the SCIM service keeps of provisioned users (profiles, userName claims) beside the hub users. */
export const scimUserStore = () => new DynamoDbScimUserStore(documentClient(), tablesConfig());
/** What the SCIM service keeps of groups (the IdP's externalIds) beside the hub teams. */
export const scimGroupStore = () => new DynamoDbScimGroupStore(documentClient(), tablesConfig());
/** The email domains orgs claim for sign-in routing, and their platform claims. */
export const domainStore = () => new DynamoDbDomainStore(documentClient(), tablesConfig());
/** Which org holds a verified domain (sign-in routing reads the claims, never writes them). */
export const domainClaims = (): Pick<DomainStore, 'orgOf'> => domainStore();
/** SSO connections as sign-in reads them: by org, and a connection's org by its id (no writes). */
export const ssoConnectionReader = (): Pick<SsoConnectionStore, 'list' | 'get' | 'orgOf'> =>
  new DynamoDbSsoConnectionStore(documentClient(), tablesConfig());
/** TXT lookups for domain proofs: public DNS in AWS, the runtime's file on one machine. */
export const txtResolver = () => txtResolverFrom();
/** The org's SSO connections, and the pointers from each connection's id to its org. */
export const ssoConnectionStore = () => new DynamoDbSsoConnectionStore(documentClient(), tablesConfig());
/** Refused SSO sign-ins per connection, for the org's admins. */
export const signInFailureStore = () =>
  new DynamoDbSignInFailureStore(documentClient(), tablesConfig().domainTable);
/** Which IdP subject is which hub user, per SSO connection (bound at first sign-in, reset by admins). */
export const ssoSubjectStore = () => new DynamoDbSsoSubjectStore(documentClient(), tablesConfig());
/** The OIDC authorization code flow (state, nonce, PKCE kept in the org's partition for one use). */
export const oidcSignIn = (clock: Clock = hubClock()) =>
  makeOidcSignIn({
    pending: new DynamoDbPendingOidcStore(documentClient(), tablesConfig().domainTable),
    client: openIdClient(tenantEgressFetch()),
    cipher: secretCipher(),
    clock,
    publicUrl: publicUrl(),
  });
/** SAML sign-in with its request and replay caches shared by every instance. */
export const samlSignIn = (clock: Clock = hubClock()) =>
  makeSamlSignIn({
    requests: new DynamoDbSamlRequestCache(documentClient(), tablesConfig().domainTable),
    assertions: new DynamoDbSamlAssertionLedger(documentClient(), tablesConfig().domainTable),
    clock,
  });
/** The hub's side of every SSO sign-in: domains, JIT users, group mappings, MFA, then the session. */
export const completeSignIn = (clock: Clock = hubClock()) =>
  makeCompleteSignIn({
    orgs: orgStore(),
    domains: domainClaims(),
    users: userStore(),
    teams: teamStore(),
    access: accessStore(),
    sessions: sessionIssuer(),
    subjects: ssoSubjectStore(),
    failures: signInFailureStore(),
    audit: auditStore(),
    clock,
  });
/** OIDC discovery and SAML metadata, fetched through the egress guard. */
export const idpDiscovery = () => ({
  // An org's IdP: public addresses only, never the operator's private ranges.
  discovery: oidcDiscovery(tenantEgressFetch()),
  metadata: metadataFetcher(tenantEgressFetch()),
});
/** Each provider's display name, for the templates (which name no provider). */
export const providerDisplayNames = () => (provider: string) => PROVIDERS.module(provider)?.displayName;
/** The email channel of the notify system, for the delivery worker's map of channels. */
export const emailChannel = (clock: Clock = hubClock()) =>
  makeEmailChannel({
    mailer: mailer(),
    tokens: unsubscribeTokenStore(),
    suppressions: mailSuppressionStore(),
    clock,
    users: userStore(),
    preferences: notificationPreferenceStore(),
    publicUrl: publicUrl(),
    providerNames: providerDisplayNames(),
    orgName: async (orgId) => (await tenantDirectory().get(orgId))?.name ?? null,
  });
/**
 * The chat cards of event types another part renders, by type prefix (the approvals' interactive
 * card joins as `'approval.'`); every other event gets the neutral `chatCard`.
 */
// An approval's card carries its answer buttons (or who decided).
const CHAT_RENDERERS: ChatRenderers = { 'approval.': (event) => approvalCard(event) };
/** Which providers play the chat part, from the modules (rule validation, the matcher). */
export const chatProviders = (): ChatProviders => ({
  has: (provider) => PROVIDERS.module(provider)?.chat !== undefined,
});
/** The chat cards posted per item and conversation (updated in place, threads), in the domain table. */
export const postedRefStore = () => new DynamoDbPostedRefStore(documentClient(), tablesConfig().domainTable);
/**
 * What a chat provider's client is built with. The app part's wiring supplies the installation
 * directory and the app's secret; a notification's post needs neither (the connection's token does).
 */
let chatClientsByProvider: Readonly<Record<string, ChatClient>> | undefined;
/** Each chat provider's client, by provider id, once per execution environment (its token refreshes shared). */
export const chatClients = () => {
  chatClientsByProvider ??= Object.fromEntries(
    PROVIDER_MODULES.flatMap((m) => {
      const chat = (m as { readonly chat?: { client(deps: ChatDeps): ChatClient } }).chat;
      return chat ? [[m.id, chat.client(chatDeps(m.id))] as const] : [];
    }),
  );
  return chatClientsByProvider;
};
/** The chat channel of the notify system, for the delivery worker's map of channels. */
export const chatChannel = (clock: Clock = hubClock()) =>
  makeChatChannel({
    clients: chatClients(),
    identities: identityLinkStore(),
    refs: postedRefStore(),
    connections: connectionStore(),
    users: userStore(),
    preferences: notificationPreferenceStore(),
    markNeedsAttention: makeMarkNeedsAttention({ connections: connectionStore(), clock }),
    dmFailures: makeDmFailureNotices({
      rules: notificationRuleStore(),
      users: userStore(),
      once: usedChatTokens(),
      clients: chatClients(),
      mailer: mailer(),
      suppressions: mailSuppressionStore(),
      providerName: (provider) => providerDisplayNames()(provider) ?? provider,
      dmFix: (provider) => PROVIDERS.module(provider)?.chat?.undeliverableDmFix,
      clock,
    }),
    clock,
    providerNames: providerDisplayNames(),
    renderers: CHAT_RENDERERS,
  });
/** Which conversation a chat destination reaches after the connection's state and users' preferences (for the matcher). */
export const chatRecipients = (clock: Clock = hubClock()) =>
  new ConnectionChatRecipients({
    connections: connectionStore(),
    providers: chatProviders(),
    users: userStore(),
    preferences: notificationPreferenceStore(),
    clock,
  });
/** The channels' renderings alone, for trying a rule (nothing sent: no mailer, no secret, no token). */
export const renderingChannels = () => ({
  chat: makeChatRenderer({ providerNames: providerDisplayNames(), renderers: CHAT_RENDERERS }),
  webhook: { render: renderWebhook },
  email: makeEmailRenderer({
    publicUrl: publicUrl(),
    providerNames: providerDisplayNames(),
    orgName: async (orgId) => (await tenantDirectory().get(orgId))?.name ?? null,
  }),
});
/** Bare addresses' double opt-in per org, and their confirmation tokens by hash. */
export const addressConfirmationStore = () =>
  new DynamoDbAddressConfirmationStore(documentClient(), tablesConfig());
/** Sends the confirmation emails of a rule's new bare addresses (for the rules' routes). */
export const addressConfirmationRequests = (clock: Clock = hubClock()) =>
  makeRequestConfirmations({
    confirmations: addressConfirmationStore(),
    suppressions: mailSuppressionStore(),
    users: userStore(),
    clock,
    mailer: mailer(),
    publicUrl: publicUrl(),
    orgName: async (orgId) => (await tenantDirectory().get(orgId))?.name ?? null,
    // A confirmation email counts against the org's daily email quota like any notification email.
    takeQuota: async (orgId, address, at) => {
      const plan = (await tenantDirectory().get(orgId))?.plan;
      if (!plan) return false;
      const day = utcDay(at);
      return (
        (await emailQuotaStore().consume(
          orgId,
          day,
          `confirm-${day}-${address}`,
          1,
          PLANS[plan].emailsPerDay,
        )) === 1
      );
    },
  });
/** Each org's notification emails per UTC day, in its usage partition. */
export const emailQuotaStore = () => new DynamoDbEmailQuotaStore(documentClient(), tablesConfig());
/** The per-event cap and the daily quota on email, telling the org's admins once a day (for the matcher). */
export const emailLimits = (clock: Clock = hubClock()) =>
  makeEmailLimits({
    quota: emailQuotaStore(),
    planOf: async (orgId) => (await tenantDirectory().get(orgId))?.plan ?? null,
    audit: auditStore(),
    clock,
    mailer: mailer(),
    users: userStore(),
  });
/** Who an email destination reaches after preferences and suppressions (for the matcher). */
export const emailRecipients = (clock: Clock = hubClock()) =>
  new PreferenceAwareEmailRecipients({
    users: userStore(),
    teams: teamStore(),
    preferences: notificationPreferenceStore(),
    suppressions: mailSuppressionStore(),
    confirmations: addressConfirmationStore(),
    clock,
  });
/** Collects digest events and indexes each user at their next digest (for the matcher). */
export const digestCollector = (clock: Clock = hubClock()) =>
  new EmailDigestCollector({
    digests: digestStore(),
    preferences: notificationPreferenceStore(),
    due: dueIndex(clock),
    clock,
    providerNames: providerDisplayNames(),
  });
/** Real-time connections per org (and their lookup by connection id), with a TTL. */
export const realtimeConnections = () =>
  new DynamoDbRealtimeConnections(documentClient(), tablesConfig().domainTable);
/** How many real-time connections an org has open (reads only: the usage report, the connect quota). */
export const realtimeConnectionCounts = () => {
  const store = realtimeConnections();
  return { countOpen: (orgId: string, at: Date) => store.countOpen(orgId, at) };
};
/** Posts to real-time connections through the WebSocket API's Management API. */
export const connectionPoster = () => {
  const { endpoint, region } = realtimeEndpoint();
  return new ManagementApiPoster(
    tracer.captureAWSv3Client(new ApiGatewayManagementApiClient({ endpoint, region })),
  );
};
let tokens: Readonly<Record<string, AccessTokens>> | undefined;
/**
 * One source of access tokens per provider whose module has one, per execution environment (its
 * refreshes are shared), each built on its first use.
 */
export const providerTokens = () => {
  tokens ??= lazyTokenSources(PROVIDER_MODULES, () => ({
    connections: connectionStore(),
    cipher: secretCipher(),
    locks: new DynamoDbLockStore(documentClient(), tablesConfig().domainTable),
    audit: auditStore(),
    clock: systemClock,
    // A chat platform's token refresh authenticates as the deployment's app.
    appSecret: (provider: string) => chatAppSettings()(provider),
  }));
  return tokens;
};
/** The providers that can take part in a sync, by id: the modules' tracker and code-host parts. */
export const syncConnectors = () => PROVIDERS.syncConnectors;
/** Provider clients for the sync engine, built from each connection's credentials and cached briefly. */
export const syncProviders = () =>
  makeSyncProviders({
    connections: connectionStore(),
    cipher: secretCipher(),
    tokens: providerTokens(),
    connectors: syncConnectors(),
  });
export const notificationRuleStore = () =>
  new DynamoDbNotificationRuleStore(documentClient(), tablesConfig());
let ruleDestinations: CachedRuleDestinations | undefined;
/** One cache of the orgs' enabled notification rules per execution environment. */
export const notificationRuleDestinations = () => {
  ruleDestinations ??= new CachedRuleDestinations(notificationRuleStore());
  return ruleDestinations;
};
/** Agents' approvals, written with their audit records and events (the outbox) in one transaction. */
export const approvalStore = () => new DynamoDbApprovalStore(documentClient(), tablesConfig());
/** The approvals use cases (asked over the API, answered there or from a chat button). */
export const approvals = (clock: Clock = hubClock()) =>
  makeApprovals({
    approvals: approvalStore(),
    orgs: orgStore(),
    users: userStore(),
    teams: teamStore(),
    connections: connectionStore(),
    endpoints: webhookEndpointStore(),
    providers: PROVIDERS,
    audit: auditStore(),
    dueIndex: dueIndex(clock),
    clock,
  });
/** Which org and connection each chat installation (Slack team, Teams tenant) is bound to. */
export const installationDirectory = () =>
  new DynamoDbInstallationDirectory(documentClient(), tablesConfig().domainTable);
/** Platform users linked to hub users, under each org. */
export const identityLinkStore = () => new DynamoDbIdentityLinkStore(documentClient(), tablesConfig());
/** Each chat user's rate of work to the bot, per org (refusals counted as successes are). */
export const chatRates = () =>
  new DynamoDbChatRates(documentClient(), tablesConfig().domainTable, CHAT_USER_RATE);
/** The deployment's chat app settings per platform, encrypted. */
export const chatAppStore = () => new DynamoDbChatAppStore(documentClient(), tablesConfig());
/** Used chat link tokens (single use). */
export const usedChatTokens = () => new DynamoDbUsedTokens(documentClient(), tablesConfig().domainTable);
/** The conversations chat providers were added to, under each org. */
export const conversationDirectory = () =>
  new DynamoDbConversationDirectory(documentClient(), tablesConfig());
/** One-time bind codes (by hash), single use, with their audit records. */
export const chatBindCodes = () => new DynamoDbBindCodeStore(documentClient(), tablesConfig());
/** A chat platform's app settings, decrypted, by provider id. */
export const chatAppSettings = () => makeAppSettings({ store: chatAppStore(), cipher: secretCipher() });
/** Runs each piece of chat work once (Powertools idempotency). */
export const chatOnce = () =>
  new IdempotentOnce(
    new DynamoDBPersistenceLayer({ tableName: idempotencyTableName(), awsSdkV3Client: dynamoDbClient() }),
  );
/** Puts chat work on the `chat` queue, grouped by org (SQS fair queues). */
export const chatWorkQueue = (): ChatWorkQueue => {
  const queues = messageQueues();
  return {
    enqueue: (work) =>
      queues.sendBatch(
        'chat',
        work.map((w) => ({ body: JSON.stringify(w), groupId: w.orgId })),
      ),
  };
};
/** Each chat provider's chat part, by provider id. */
export const chatParts = () => chatPartsOf(PROVIDER_MODULES);
/** What a chat provider's client and app endpoint get: every call out through the egress guard. */
export const chatDeps = (provider: string): ChatDeps => {
  const settings = chatAppSettings();
  const tokenSource = providerTokens()[provider];
  return {
    fetch: egressFetch(),
    clock: hubClock(),
    cipher: secretCipher(),
    connections: connectionStore(),
    installations: installationDirectory(),
    audit: auditStore(),
    ...(tokenSource ? { accessTokens: tokenSource } : {}),
    appSecret: () => settings(provider),
    publicUrl: publicUrl(),
    conversations: conversationDirectory(),
    installStates: new DynamoDbInstallStates(documentClient(), tablesConfig().domainTable),
    orgs: orgStore(),
    bindCodes: chatBindCodes(),
  };
};
