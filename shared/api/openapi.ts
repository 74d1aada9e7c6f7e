import * as z from 'zod';
import type { ZodOpenApiPathsObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import { createDocument } from 'zod-openapi';
import { approvalOperations } from '../approvals/operations';
import { chatOperations } from '../chat/operations';
import type { ProviderCatalog } from '../connectors/provider-catalog';
import { credentialSummarySchema } from '../connectors/provider-catalog';
import { mfaOperations } from '../identity/mfa/operations';
import { sessionOperations } from '../identity/operations';
import { passkeyOperations } from '../identity/passkeys/operations';
import { notificationPreferenceOperations } from '../notify/email/operations';
import { notificationRuleOperations } from '../notify/rules/operations';
import { webhookEndpointOperations, webhookPayloadDocs } from '../notify/webhooks/operations';
import { scimOperations, scimTokenOperations } from '../scim/operations';
import { ssoConnectionOperations, ssoOperations, ssoSignInOperations } from '../sso/operations';
import { routes } from '../topology';
import { typeCanonicalEvents } from './canonical-event-docs';
import type { OperationDoc } from './operation-doc';
import { authErrors, jsonBody, ok, problem } from './operation-doc';
import {
  AcceptInvitationRequest,
  AccessPolicySchema,
  ApiKeyCreated,
  ApiKeyIdParam,
  ApiKeyPage,
  AuditPage,
  AuditQuery,
  CanonicalDataSchemas,
  ConnectionCreated,
  ConnectionPage,
  ConnectionSchema,
  ConnectionSyncStatus,
  ConnectionTestResult,
  CreateApiKeyRequest,
  CreateConnectionRequest,
  CreateOrgRequest,
  CreatePlatformApiKeyRequest,
  CreateRoleRequest,
  CreateTeamRequest,
  CreateUserRequest,
  CustomRoleSchema,
  DeadLetterPage,
  DeleteOrgQuery,
  EventPage,
  InvitationIdParam,
  InvitationPage,
  InvitationSchema,
  InviteUserRequest,
  LinkPage,
  LinkSchema,
  ListQuery,
  MappingInputSchema,
  MappingList,
  MappingSchema,
  OpenBranchRequest,
  OrgConnectionParams,
  OrgEventParams,
  OrgIdParam,
  OrgLinkParams,
  OrgMappingParams,
  OrgPage,
  OrgSchema,
  PlatformApiKeyCreated,
  PlatformApiKeyIdParam,
  PlatformApiKeyPage,
  PolicyIdParam,
  PolicyList,
  PutPolicyRequest,
  RedriveRequest,
  RedriveResult,
  RoleIdParam,
  RoleList,
  RotateApiKeyRequest,
  RotateSecretRequest,
  SetTeamMemberRequest,
  SyncJobSchema,
  TeamAnalytics,
  TeamAnalyticsQuery,
  TeamIdParam,
  TeamMemberParams,
  TeamMembers,
  TeamMembershipSchema,
  TeamPage,
  TeamSchema,
  UpdateConnectionRequest,
  UpdateOrgRequest,
  UpdateRoleRequest,
  UpdateTeamRequest,
  UsageHourPage,
  UsageReport,
  UserIdParam,
  UserPage,
  UserSchema,
  UserTeams,
  WebhookAccepted,
} from './schemas';

type Operation = (typeof routes)[number]['operationId'];
/** The operations whose bodies and documentation come from the provider modules. */
type ProviderOperation = 'setConnectionCredentials' | 'receiveWebhook';
/** What each operation takes and answers, beyond what the topology says. */
/** Operations documented beside their feature (the notify system's), merged into the document below. */
type FeatureOperation =
  | keyof typeof notificationRuleOperations
  | keyof typeof webhookEndpointOperations
  | keyof typeof notificationPreferenceOperations
  | keyof typeof approvalOperations
  | keyof typeof ssoOperations
  | keyof typeof ssoConnectionOperations
  | keyof typeof ssoSignInOperations
  | keyof typeof sessionOperations
  | keyof typeof mfaOperations
  | keyof typeof passkeyOperations
  | keyof typeof scimTokenOperations
  | keyof typeof scimOperations
  | keyof ReturnType<typeof chatOperations>;

const operations: Record<Exclude<Operation, ProviderOperation | FeatureOperation>, OperationDoc> = {
  createOrg: {
    requestBody: jsonBody(CreateOrgRequest),
    responses: {
      '201': ok('The organisation', OrgSchema),
      '400': problem('The body is not valid'),
      ...authErrors,
      '409': problem('The slug is taken'),
    },
  },
  getOrg: {
    requestParams: { path: OrgIdParam },
    responses: {
      '200': ok('The organisation', OrgSchema),
      ...authErrors,
      '404': problem('No such organisation'),
    },
  },
  createApiKey: {
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(CreateApiKeyRequest),
    responses: {
      '201': ok('The key, shown once', ApiKeyCreated),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No such organisation'),
    },
  },
  createConnection: {
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(CreateConnectionRequest),
    responses: {
      '201': ok('The connection and its signing secret, shown once', ConnectionCreated),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No such organisation'),
    },
  },
  listConnections: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    responses: {
      '200': ok('A page of connections', ConnectionPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  getConnection: {
    requestParams: { path: OrgConnectionParams },
    responses: {
      '200': ok('The connection', ConnectionSchema),
      ...authErrors,
      '404': problem('No such connection'),
    },
  },
  updateConnection: {
    requestParams: { path: OrgConnectionParams },
    requestBody: jsonBody(UpdateConnectionRequest),
    responses: {
      '200': ok('The connection as changed', ConnectionSchema),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No such connection'),
      '409': problem('Changed meanwhile; read it again'),
    },
  },
  disableConnection: {
    requestParams: { path: OrgConnectionParams },
    responses: {
      '200': ok('The connection, disabled', ConnectionSchema),
      ...authErrors,
      '404': problem('No such connection'),
      '409': problem('Already disabled'),
    },
  },
  enableConnection: {
    requestParams: { path: OrgConnectionParams },
    responses: {
      '200': ok('The connection, active', ConnectionSchema),
      ...authErrors,
      '404': problem('No such connection'),
      '409': problem('Already active'),
    },
  },
  deleteConnection: {
    requestParams: { path: OrgConnectionParams },
    responses: { '204': { description: 'Deleted' }, ...authErrors, '404': problem('No such connection') },
  },
  rotateConnectionSecret: {
    requestParams: { path: OrgConnectionParams },
    requestBody: jsonBody(RotateSecretRequest),
    responses: {
      '200': ok('The connection and its new secret, shown once', ConnectionCreated),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No such connection'),
    },
  },
  testConnection: {
    requestParams: { path: OrgConnectionParams },
    responses: {
      '200': ok(
        'Whether the provider accepted the call, how fast, and the connection as it is now',
        ConnectionTestResult,
      ),
      '400': problem('The provider has nothing to test'),
      ...authErrors,
      '404': problem('No such connection'),
      '409': problem('No credentials set'),
    },
  },
  getConnectionStatus: {
    requestParams: { path: OrgConnectionParams },
    responses: {
      '200': ok("The connection's sync status", ConnectionSyncStatus),
      ...authErrors,
      '404': problem('No such connection'),
    },
  },
  listMappings: {
    requestParams: { path: OrgIdParam },
    responses: { '200': ok("The org's mappings", MappingList), ...authErrors },
  },
  createMapping: {
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(MappingInputSchema),
    responses: {
      '201': ok('The mapping', MappingSchema),
      '400': problem('The body is not valid, or a connection is missing or of the wrong provider'),
      ...authErrors,
      '429': problem("The organisation's plan allows no more sync mappings (deleting one gives it back)"),
    },
  },
  getMapping: {
    requestParams: { path: OrgMappingParams },
    responses: { '200': ok('The mapping', MappingSchema), ...authErrors, '404': problem('No such mapping') },
  },
  replaceMapping: {
    requestParams: { path: OrgMappingParams },
    requestBody: jsonBody(MappingInputSchema),
    responses: {
      '200': ok('The mapping as changed', MappingSchema),
      '400': problem('The body is not valid, or it changes the connections'),
      ...authErrors,
      '404': problem('No such mapping'),
      '409': problem('The mapping changed meanwhile'),
    },
  },
  deleteMapping: {
    requestParams: { path: OrgMappingParams },
    responses: { '204': { description: 'Deleted' }, ...authErrors, '404': problem('No such mapping') },
  },
  startBackfill: {
    requestParams: { path: OrgMappingParams },
    responses: {
      '202': ok('The backfill, started: follow it with GET …/backfill', SyncJobSchema),
      ...authErrors,
      '404': problem('No such mapping'),
      '409': problem(
        'A backfill of this mapping is still running (one that has not moved for 15 minutes gives way)',
      ),
    },
  },
  getBackfill: {
    requestParams: { path: OrgMappingParams },
    responses: {
      '200': ok('The latest backfill: status, counts, ETA, last error', SyncJobSchema),
      ...authErrors,
      '404': problem('No such mapping, or no backfill yet'),
    },
  },
  listLinks: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    responses: {
      '200': ok('A page of links', LinkPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  getLink: {
    requestParams: { path: OrgLinkParams },
    responses: { '200': ok('The link', LinkSchema), ...authErrors, '404': problem('No such link') },
  },
  openLinkBranch: {
    requestParams: { path: OrgLinkParams },
    requestBody: jsonBody(OpenBranchRequest),
    responses: {
      '200': ok('The link with its branch and draft pull request', LinkSchema),
      '400': problem('The body is not valid, or the code host refused the branch or pull request'),
      ...authErrors,
      '404': problem('No such link'),
      '409': problem('The link has ended: one of its items was deleted'),
    },
  },
  listDeadLetters: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    responses: {
      '200': ok('A page of dead letters', DeadLetterPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  redriveDeadLetters: {
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(RedriveRequest),
    responses: {
      '200': ok('What was put back', RedriveResult),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No dead letter with one of the ids'),
    },
  },
  listEvents: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    responses: {
      '200': ok('A page of events', EventPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  getRawEvent: {
    requestParams: { path: OrgEventParams },
    responses: {
      '200': {
        description:
          "The delivery's body byte for byte, as `application/octet-stream` to save (an attachment, never a page the API's origin renders); the type the provider sent is in `x-original-content-type` (application/json if it said none)",
        headers: {
          'x-original-content-type': {
            description: 'The content type the provider sent the delivery with',
            schema: { type: 'string' },
          },
          'x-delivery-id': { description: "The provider's delivery id", schema: { type: 'string' } },
          'x-content-sha256': {
            description: 'Hex SHA-256 of the body, as on the event',
            schema: { type: 'string' },
          },
        },
        content: { 'application/octet-stream': { schema: z.string() } },
      },
      ...authErrors,
      '404': problem(
        'No such event, or its raw delivery is not kept (past its retention, or it did not come by webhook)',
      ),
    },
  },
  listOrgs: {
    requestParams: { query: ListQuery },
    responses: {
      '200': ok('A page of organisations', OrgPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  updateOrg: {
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(UpdateOrgRequest),
    responses: {
      '200': ok('The organisation as updated', OrgSchema),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No such organisation'),
      '409': problem('Changed concurrently; read it again'),
    },
  },
  deleteOrg: {
    requestParams: { path: OrgIdParam, query: DeleteOrgQuery },
    responses: {
      '200': ok('The organisation, deleted, with the time it will be purged', OrgSchema),
      '400': problem('Bad grace period'),
      ...authErrors,
      '404': problem('No such organisation'),
      '409': problem('Already deleted'),
    },
  },
  restoreOrg: {
    requestParams: { path: OrgIdParam },
    responses: {
      '200': ok('The organisation, active again', OrgSchema),
      ...authErrors,
      '404': problem('No such organisation (or already purged)'),
      '409': problem('Not deleted, or its purge has begun'),
    },
  },
  suspendOrg: {
    requestParams: { path: OrgIdParam },
    responses: {
      '200': ok('The organisation, suspended', OrgSchema),
      ...authErrors,
      '404': problem('No such organisation'),
      '409': problem('Already suspended'),
    },
  },
  reactivateOrg: {
    requestParams: { path: OrgIdParam },
    responses: {
      '200': ok('The organisation, active', OrgSchema),
      ...authErrors,
      '404': problem('No such organisation'),
      '409': problem('Already active'),
    },
  },
  listApiKeys: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    responses: {
      '200': ok('A page of API keys', ApiKeyPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  rotateApiKey: {
    requestParams: { path: ApiKeyIdParam },
    requestBody: jsonBody(RotateApiKeyRequest),
    responses: {
      '201': ok('The new key, shown once; previousExpiresAt says when the old one stops', ApiKeyCreated),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No active key with that id'),
      '409': problem('Already rotated'),
    },
  },
  listPlatformApiKeys: {
    requestParams: { query: ListQuery },
    responses: {
      '200': ok('A page of platform API keys', PlatformApiKeyPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  createPlatformApiKey: {
    requestBody: jsonBody(CreatePlatformApiKeyRequest),
    responses: {
      '201': ok('The key, shown once', PlatformApiKeyCreated),
      '400': problem('The body is not valid, or the expiry is past or more than a year away'),
      ...authErrors,
    },
  },
  revokePlatformApiKey: {
    requestParams: { path: PlatformApiKeyIdParam },
    responses: {
      '204': { description: 'Revoked' },
      '400': problem('Not a key id'),
      ...authErrors,
      '404': problem('No active platform key with that id'),
    },
  },
  revokeApiKey: {
    requestParams: { path: ApiKeyIdParam },
    responses: {
      '204': { description: 'Revoked' },
      ...authErrors,
      '404': problem('No active key with that id'),
    },
  },
  createUser: {
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(CreateUserRequest),
    responses: {
      '201': ok('The user', UserSchema),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No such organisation'),
      '409': problem('The email is already a user of this organisation'),
    },
  },
  listUsers: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    responses: {
      '200': ok('A page of users', UserPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  deactivateUser: {
    requestParams: { path: UserIdParam },
    responses: {
      '200': ok('The user, deactivated and signed out of the user pool', UserSchema),
      ...authErrors,
      '404': problem('No such user'),
      '409': problem('Already deactivated (the sign-out is repeated first)'),
      '503': problem('Deactivated, but the sign-out from the user pool failed; deactivate again to retry it'),
    },
  },
  reactivateUser: {
    requestParams: { path: UserIdParam },
    responses: {
      '200': ok('The user, active', UserSchema),
      ...authErrors,
      '404': problem('No such user'),
      '409': problem('Already active'),
    },
  },
  listUserActivity: {
    requestParams: { path: UserIdParam, query: ListQuery },
    responses: {
      '200': ok("The user's audit records", AuditPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  inviteUser: {
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(InviteUserRequest),
    responses: {
      '201': ok('The invitation; its token is sent by email only', InvitationSchema),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No such organisation'),
      '409': problem('The email is already a user of this organisation'),
    },
  },
  listInvitations: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    responses: {
      '200': ok('A page of invitations', InvitationPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  resendInvitation: {
    requestParams: { path: InvitationIdParam },
    responses: {
      '200': ok('The invitation with its new expiry', InvitationSchema),
      ...authErrors,
      '404': problem('No such invitation'),
      '409': problem('Not pending (accepted or revoked), or changed meanwhile'),
    },
  },
  revokeInvitation: {
    requestParams: { path: InvitationIdParam },
    responses: {
      '200': ok('The invitation, revoked', InvitationSchema),
      ...authErrors,
      '404': problem('No such invitation'),
      '409': problem('Not pending (accepted or revoked)'),
    },
  },
  acceptInvitation: {
    security: [],
    description:
      'The token is the credential: it works once, until its expiry, and only the latest one sent. An ' +
      'unknown, used or revoked token gets the same 404.',
    requestBody: jsonBody(AcceptInvitationRequest),
    responses: {
      '201': ok('The new user', UserSchema),
      '400': problem('The body is not valid'),
      '403': problem("The organisation is not active, or no longer admits the email's domain"),
      '404': problem('The token is not valid, or was already used or revoked'),
      '409': problem('The email is already a user, or the token was spent meanwhile'),
      '410': problem('The invitation has expired; ask for it to be sent again'),
      '429': problem("The organisation's plan allows no more users"),
    },
  },
  createTeam: {
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(CreateTeamRequest),
    responses: {
      '201': ok('The team', TeamSchema),
      '400': problem('The body is not valid, or the team would nest too deep'),
      ...authErrors,
      '404': problem('No such organisation or parent team'),
    },
  },
  listTeams: {
    requestParams: { path: OrgIdParam },
    responses: { '200': ok('Every team of the org', TeamPage), ...authErrors },
  },
  setTeamMember: {
    requestParams: { path: TeamMemberParams },
    requestBody: jsonBody(SetTeamMemberRequest),
    responses: {
      '200': ok('The membership', TeamMembershipSchema),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No such team or user'),
    },
  },
  removeTeamMember: {
    requestParams: { path: TeamMemberParams },
    responses: {
      '204': { description: 'Removed' },
      ...authErrors,
      '404': problem('The user is not a member of the team'),
    },
  },
  listTeamMembers: {
    requestParams: { path: TeamIdParam },
    responses: {
      '200': ok("The team's members", TeamMembers),
      ...authErrors,
      '404': problem('No such team'),
    },
  },
  updateTeam: {
    requestParams: { path: TeamIdParam },
    requestBody: jsonBody(UpdateTeamRequest),
    responses: {
      '200': ok('The team as changed', TeamSchema),
      '400': problem('The body is not valid, or the move would form a cycle or nest too deep'),
      ...authErrors,
      '404': problem('No such team or parent'),
      '409': problem('The hierarchy changed meanwhile, or the subtree is too large to move at once'),
    },
  },
  deleteTeam: {
    requestParams: { path: TeamIdParam },
    responses: {
      '204': { description: 'Deleted' },
      ...authErrors,
      '404': problem('No such team'),
      '409': problem('The team has child teams, or the hierarchy changed meanwhile'),
    },
  },
  getTeamAnalytics: {
    requestParams: { path: TeamIdParam, query: TeamAnalyticsQuery },
    responses: {
      '200': ok("The team's members and activity", TeamAnalytics),
      '400': problem('Bad query'),
      ...authErrors,
      '404': problem('No such team'),
    },
  },
  listUserTeams: {
    requestParams: { path: UserIdParam },
    responses: { '200': ok("The user's teams", UserTeams), ...authErrors, '404': problem('No such user') },
  },
  listRoles: {
    requestParams: { path: OrgIdParam },
    responses: { '200': ok('Built-in and custom roles', RoleList), ...authErrors },
  },
  createRole: {
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(CreateRoleRequest),
    responses: {
      '201': ok('The role; give its id as a role', CustomRoleSchema),
      '400': problem('The body is not valid, or the name is a built-in role'),
      ...authErrors,
      '409': problem('A role of that name exists, the limit is reached, or the roles changed meanwhile'),
    },
  },
  updateRole: {
    requestParams: { path: RoleIdParam },
    requestBody: jsonBody(UpdateRoleRequest),
    responses: {
      '200': ok('The role as changed', CustomRoleSchema),
      '400': problem('The body is not valid'),
      ...authErrors,
      '404': problem('No such custom role'),
      '409': problem('The name is taken, or the roles changed meanwhile'),
    },
  },
  deleteRole: {
    requestParams: { path: RoleIdParam },
    responses: { '204': { description: 'Deleted' }, ...authErrors, '404': problem('No such custom role') },
  },
  listPolicies: {
    requestParams: { path: OrgIdParam },
    responses: { '200': ok('Policies, schema and base policy', PolicyList), ...authErrors },
  },
  putPolicy: {
    requestParams: { path: PolicyIdParam },
    description:
      'Policies are Cedar, validated in strict mode against the schema `GET …/policies` returns. The ' +
      "hub's base policy permits what the principal's role grants (`context.rbac`); a `forbid` narrows " +
      'that and a `permit` widens it. Platform admins are not subject to org policies.',
    requestBody: jsonBody(PutPolicyRequest),
    responses: {
      '200': ok('The policy, replaced', AccessPolicySchema),
      '201': ok('The policy, created', AccessPolicySchema),
      '400': problem('Not valid Cedar, or not valid against the schema; `errors` says where'),
      ...authErrors,
      '409': problem('The limit is reached, or the policies changed meanwhile'),
    },
  },
  deletePolicy: {
    requestParams: { path: PolicyIdParam },
    responses: { '204': { description: 'Deleted' }, ...authErrors, '404': problem('No such policy') },
  },
  getUsage: {
    requestParams: { path: OrgIdParam },
    responses: {
      '200': ok('Plan, limits and usage', UsageReport),
      ...authErrors,
      '404': problem('No such organisation'),
    },
  },
  listUsageHours: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    responses: {
      '200': ok('Hourly usage, newest first', UsageHourPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  listAuditEvents: {
    requestParams: { path: OrgIdParam, query: AuditQuery },
    responses: {
      '200': ok('A page of audit records', AuditPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  getOpenapi: {
    security: [],
    responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': {} } } },
  },
};

/** What the document takes from the provider modules. */
export type OpenApiProviders = Pick<ProviderCatalog, 'modules' | 'ids' | 'credentialsSchema'>;

/** The operations documented from the modules: the credential union, and each provider's webhook setup. */
function providerOperations(providers: OpenApiProviders): Record<ProviderOperation, OperationDoc> {
  const ids = providers.ids as [string, ...string[]];
  const payloads = providers.modules.flatMap((m) => (m.webhook.docs.payload ? [m.webhook.docs.payload] : []));
  const anyPayload = z.looseObject({}).describe("The provider's own JSON payload");
  const challenged = providers.modules.filter((m) => m.webhook.handshake).map((m) => m.id);
  return {
    setConnectionCredentials: {
      requestParams: { path: OrgConnectionParams },
      requestBody: jsonBody(providers.credentialsSchema),
      responses: {
        '200': ok('The connection, with a summary of its credentials', ConnectionSchema),
        '400': problem('Not credentials this provider takes'),
        ...authErrors,
        '404': problem('No such connection'),
      },
    },
    receiveWebhook: {
      security: [],
      description: [
        "Each connection's `webhookUrl`: the provider posts here, signed (or carrying a token) made with the " +
          "connection's secret. A delivery is acknowledged only once the event bus has accepted it; a repeated " +
          'delivery id is acknowledged again without publishing twice, or counting against the daily allowance. ' +
          'Event types the hub does not use are acknowledged with `{"ignored": true}`. Bodies of at most 5 MiB, ' +
          'nested at most 128 levels deep; an event too large for the bus is claim-checked, not refused.',
        ...providers.modules.map(
          (m) =>
            `**${m.id}** (${m.webhook.docs.summary}). ${m.webhook.docs.setup} Headers: ${m.webhook.docs.headers
              .map((h) => `\`${h}\``)
              .join(', ')}.`,
        ),
      ].join('\n\n'),
      requestParams: {
        path: z.object({
          provider: z.enum(ids).describe("The connection's provider"),
          connectionId: z.string(),
        }),
      },
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: payloads.length ? z.union([...payloads, anyPayload]) : anyPayload },
        },
      },
      responses: {
        ...(challenged.length
          ? { '200': { description: `The answer to a challenge of the endpoint (${challenged.join(', ')})` } }
          : {}),
        '202': ok('Accepted (or already accepted, or ignored)', WebhookAccepted),
        '400': problem(
          "A header the provider always sends is missing, or the body is not JSON, not the provider's payload, or nests deeper than 128 levels",
        ),
        '401': problem("The signature (or token) is missing or does not match the connection's secret"),
        '404': problem('No such provider, or no active connection of it with this id'),
        '409': problem('The same delivery is being processed; retry'),
        '413': problem('The body is larger than 5 MiB'),
        '503': problem('The bus did not accept the event; retry'),
      } satisfies ZodOpenApiResponsesObject,
    },
  };
}

/** Components whose provider-agnostic schema the document replaces with what the modules say. */
function providerComponents(providers: OpenApiProviders) {
  return {
    ProviderId: z
      .enum(providers.ids as [string, ...string[]])
      .describe(
        providers.modules
          .map((m) => `\`${m.id}\`: ${m.displayName}; base URL ${m.api.baseUrlHint}`)
          .join('. '),
      ),
    CredentialSummary: credentialSummarySchema(providers.modules).describe(
      'What credentials are set: their kind, their non-secret fields and when (the secret parts are never returned)',
    ),
  };
}

const cached = new WeakMap<OpenApiProviders, ReturnType<typeof createDocument>>();

/**
 * The OpenAPI 3.1 document, generated from the topology's routes, the validating schemas and the
 * provider modules (the provider enum, the credential union and summaries, the webhook endpoint).
 */
export function openApiDocument(providers: OpenApiProviders) {
  const known = cached.get(providers);
  if (known) return known;
  const documented = {
    ...operations,
    ...notificationRuleOperations,
    ...webhookEndpointOperations,
    ...notificationPreferenceOperations,
    ...approvalOperations,
    ...ssoOperations,
    ...ssoConnectionOperations,
    ...ssoSignInOperations,
    ...sessionOperations,
    ...mfaOperations,
    ...passkeyOperations,
    ...scimTokenOperations,
    ...scimOperations,
    ...providerOperations(providers),
    ...chatOperations(providers.modules),
  };
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    paths[route.path] = {
      ...paths[route.path],
      [method]: {
        operationId: route.operationId,
        summary: route.summary,
        tags: [route.tag],
        ...(route.permission ? { 'x-permission': route.permission } : {}),
        ...documented[route.operationId],
      },
    };
  }
  const replacements = providerComponents(providers);
  const document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Integration Hub API',
      version: '1.0.0',
      description: 'Connects an AI development platform to the tools organisations already use.',
    },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: "An API key (`hub_…`) or a JWT issued by the hub's user pool",
        },
        scimToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'An org SCIM token (`hubscim_…`): it opens `/scim/v2` alone, which takes nothing else',
        },
      },
      schemas: {
        // The canonical event model: what an event's `data` holds, per type.
        ...CanonicalDataSchemas,
        ProviderIdOfModules: replacements.ProviderId,
        CredentialSummaryOfModules: replacements.CredentialSummary,
      },
    },
    paths,
    // What outbound webhook endpoints receive (OpenAPI 3.1's webhooks section).
    webhooks: webhookPayloadDocs,
  });
  // The provider-agnostic schemas (any id, any summary) give way to the modules' under their own names.
  const schemas = document.components?.schemas ?? {};
  for (const name of ['ProviderId', 'CredentialSummary'] as const) {
    const derived = schemas[`${name}OfModules`];
    if (derived) schemas[name] = derived;
    delete schemas[`${name}OfModules`];
  }
  // An event's data is its type's component, not any object.
  typeCanonicalEvents(schemas as Record<string, unknown>);
  cached.set(providers, document);
  return document;
}
