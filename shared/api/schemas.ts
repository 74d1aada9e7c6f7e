import * as z from 'zod';
import { AccessPolicySchema, CustomRoleSchema, MAX_POLICY_CHARS, ORG_PERMISSIONS } from '../authz/org-access';
import { ConnectionConfigSchema, ConnectionSchema, ProviderIdSchema } from '../connectors/connection';
import { CANONICAL_DATA } from '../events/canonical';
import { CanonicalEventSchema } from '../events/canonical-event';
import { ApiKeySchema, PlatformApiKeySchema } from '../identity/api-key';
import { DEFAULT_OVERLAP_SECONDS, MAX_OVERLAP_SECONDS } from '../identity/create-api-key';
import { RoleRefSchema } from '../identity/role-ref';
import { DeadLetterSchema } from '../queues/dead-letter';
import { SyncJobSchema } from '../sync/jobs';
import { LinkSchema } from '../sync/link';
import { MappingInputSchema, MappingSchema } from '../sync/mapping';
import { DEFAULT_GRACE_DAYS, MAX_GRACE_DAYS } from '../tenancy/delete-org';
import { InvitationSchema } from '../tenancy/invitation';
import { OrgSchema, OrgSettingsPatchSchema } from '../tenancy/org';
import { PLAN_NAMES } from '../tenancy/plans';
import { TEAM_ROLES, TeamSchema } from '../tenancy/team';
import { UserSchema } from '../tenancy/user';

/** Request and response schemas: the handlers validate with them and the OpenAPI document is built from them. */

export const OrgIdParam = z.object({ orgId: z.string().meta({ example: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2' }) });
export const ConnectionIdParam = z.object({ connectionId: z.string() });

export const CreateOrgRequest = z
  .object({
    name: z.string().trim().min(1).max(200),
    slug: z
      .string()
      .min(3)
      .max(40)
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case letters, digits and single hyphens'),
    settings: OrgSettingsPatchSchema.optional(),
    plan: z.enum(PLAN_NAMES).optional(),
  })
  .strict()
  .meta({ id: 'CreateOrgRequest' });

export const UpdateOrgRequest = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    settings: OrgSettingsPatchSchema.optional(),
    plan: z.enum(PLAN_NAMES).optional().describe('Platform admins only'),
  })
  .strict()
  .refine(
    (b) => b.name !== undefined || b.settings !== undefined || b.plan !== undefined,
    'Send a name, settings or plan',
  )
  .meta({ id: 'UpdateOrgRequest' });

export const DeleteOrgQuery = z
  .object({
    graceDays: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_DAYS)
      .default(DEFAULT_GRACE_DAYS)
      .describe('Days the org can still be restored before its data is purged'),
  })
  .strict()
  .meta({ id: 'DeleteOrgQuery' });

export const OrgPage = z
  .object({ items: z.array(OrgSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'OrgPage' });

export const ApiKeyIdParam = z.object({ orgId: z.string(), keyId: z.string() });

export const RotateApiKeyRequest = z
  .object({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_OVERLAP_SECONDS)
      .default(DEFAULT_OVERLAP_SECONDS)
      .describe('How long the old key keeps working; a day by default, a week at most'),
  })
  .strict()
  .meta({ id: 'RotateApiKeyRequest' });

export const ApiKeyPage = z
  .object({ items: z.array(ApiKeySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ApiKeyPage' });

export const AuditRecordSchema = z
  .object({
    id: z.string(),
    action: z.string(),
    actor: z.object({
      type: z.enum(['user', 'api_key', 'system', 'provider']),
      id: z.string(),
      name: z.string(),
    }),
    targets: z.array(z.object({ type: z.string(), id: z.string() })),
    orgId: z.string(),
    occurredAt: z.iso.datetime(),
    requestId: z.string(),
    context: z.object({ ip: z.string(), userAgent: z.string() }),
    outcome: z.enum(['success', 'denied', 'failed']),
    channel: z
      .string()
      .optional()
      .describe('The chat platform (a provider id) the person acted through; absent for the API'),
    before: z.record(z.string(), z.unknown()).optional(),
    after: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'AuditRecord' });

export const AuditPage = z
  .object({ items: z.array(AuditRecordSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditPage' });

export const CreateApiKeyRequest = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: RoleRefSchema,
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    owner: z
      .enum(['org', 'me'])
      .default('org')
      .describe(
        "`me`: a personal key of the calling user, refused while that user is deactivated; `org`: the org's",
      ),
  })
  .strict()
  .meta({ id: 'CreateApiKeyRequest' });

export const CreatePlatformApiKeyRequest = z
  .object({
    name: z.string().trim().min(1).max(200),
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the key stops working: 90 days from now by default, a year at most'),
  })
  .strict()
  .meta({ id: 'CreatePlatformApiKeyRequest' });

export const PlatformApiKeyCreated = PlatformApiKeySchema.extend({
  key: z.string().describe('The API key. It is shown only in this response.'),
}).meta({ id: 'PlatformApiKeyCreated' });

export const PlatformApiKeyPage = z
  .object({ items: z.array(PlatformApiKeySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'PlatformApiKeyPage' });

export const PlatformApiKeyIdParam = z.object({ keyId: z.string() });

export const ApiKeyCreated = ApiKeySchema.extend({
  key: z.string().describe('The API key. It is shown only in this response.'),
}).meta({ id: 'ApiKeyCreated' });

export const CreateConnectionRequest = z
  .object({
    provider: ProviderIdSchema,
    name: z.string().trim().min(1).max(200),
    config: z
      .object({ baseUrl: ConnectionConfigSchema.shape.baseUrl.optional() })
      .strict()
      .optional()
      .describe("Defaults to the provider's API where it has one; see ProviderId for what each takes"),
  })
  .strict()
  .meta({ id: 'CreateConnectionRequest' });

export const UpdateConnectionRequest = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    config: z.object({ baseUrl: ConnectionConfigSchema.shape.baseUrl.optional() }).strict().optional(),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.config !== undefined, { message: 'Give a name or a config' })
  .meta({ id: 'UpdateConnectionRequest' });

export const RotateSecretRequest = z
  .object({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(24 * 3600)
      .describe('How long deliveries signed with the old secret are still accepted (a day by default)'),
  })
  .strict()
  .meta({ id: 'RotateSecretRequest' });

export const DeadLetterPage = z
  .object({ items: z.array(DeadLetterSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'DeadLetterPage' });

export const RedriveRequest = z
  .object({
    ids: z
      .array(z.string().max(40))
      .min(1)
      .max(100)
      .optional()
      .describe('Only these; all (up to 100) when left out'),
  })
  .strict()
  .meta({ id: 'RedriveRequest' });

export const RedriveResult = z
  .object({ redriven: z.number().int(), ids: z.array(z.string()) })
  .meta({ id: 'RedriveResult' });

export const ConnectionTestResult = z
  .object({
    ok: z.boolean(),
    latencyMs: z.number(),
    details: z.record(z.string(), z.unknown()).optional().describe('What the provider said, when it worked'),
    error: z.string().optional().describe('Why it did not'),
    kind: z.string().optional(),
    connection: ConnectionSchema,
  })
  .meta({ id: 'ConnectionTestResult' });

export const OrgConnectionParams = z.object({ orgId: z.string(), connectionId: z.string() });

export const ConnectionPage = z
  .object({ items: z.array(ConnectionSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ConnectionPage' });

export const ConnectionCreated = ConnectionSchema.extend({
  webhookSecret: z
    .string()
    .describe(
      "The connection's webhook secret (whsec_ and 32 random bytes in base64). Shown only in this response.",
    ),
}).meta({ id: 'ConnectionCreated' });

export const ListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(2048).optional(),
  })
  .strict()
  .meta({ id: 'ListQuery' });

export const EventPage = z
  .object({ items: z.array(CanonicalEventSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'EventPage' });

export const WebhookAccepted = z
  .union([
    z.object({ eventId: z.string(), duplicate: z.boolean() }),
    z.object({
      ignored: z.literal(true).describe('An event type the hub does not use; acknowledged, not published'),
    }),
  ])
  .meta({ id: 'WebhookAccepted' });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const AuditQuery = ListQuery.extend({
  actorId: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  targetType: z.string().max(50).optional(),
  targetId: z.string().max(100).optional(),
  outcome: z.enum(['success', 'denied', 'failed']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
})
  .strict()
  .meta({ id: 'AuditQuery' });

const limitsShape = {
  users: z.number().int(),
  teams: z.number().int(),
  apiKeys: z.number().int(),
  connections: z.number().int(),
  mappings: z.number().int(),
  notificationRules: z.number().int(),
  webhookEndpoints: z.number().int(),
  apiRequestsPerMinute: z.number().int(),
  webhookEventsPerDay: z.number().int(),
  emailsPerDay: z.number().int(),
  realtimeConnections: z.number().int(),
};

export const UsageReport = z
  .object({
    plan: z.enum(PLAN_NAMES),
    limits: z.object(limitsShape),
    usage: z
      .object(limitsShape)
      .describe(
        'Held resources now (open real-time connections included); requests in the current minute; events and notification emails today (UTC)',
      ),
    at: z.iso.datetime(),
  })
  .meta({ id: 'UsageReport' });

export const UsageHourPage = z
  .object({
    items: z.array(
      z.object({ hour: z.iso.datetime(), apiRequests: z.number().int(), webhookEvents: z.number().int() }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'UsageHourPage' });

export const CreateUserRequest = z
  .object({
    email: z.email().max(254),
    name: z.string().trim().min(1).max(200),
    role: RoleRefSchema.optional().describe("The org's default role when left out"),
  })
  .strict()
  .meta({ id: 'CreateUserRequest' });

export const UserIdParam = z.object({ orgId: z.string(), userId: z.string() });

export const UserPage = z
  .object({ items: z.array(UserSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'UserPage' });

export const CreateTeamRequest = z
  .object({ name: z.string().trim().min(1).max(200), parentId: z.string().max(40).optional() })
  .strict()
  .meta({ id: 'CreateTeamRequest' });

export const TeamPage = z.object({ items: z.array(TeamSchema) }).meta({ id: 'TeamList' });

export const TeamMemberParams = z.object({ orgId: z.string(), teamId: z.string(), userId: z.string() });

export const SetTeamMemberRequest = z
  .object({ role: z.enum(TEAM_ROLES) })
  .strict()
  .meta({ id: 'SetTeamMemberRequest' });

export const TeamMembershipSchema = z
  .object({ teamId: z.string(), userId: z.string(), role: z.enum(TEAM_ROLES) })
  .meta({ id: 'TeamMembership' });

export const UpdateTeamRequest = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    parentId: z
      .string()
      .max(40)
      .nullable()
      .optional()
      .describe('The new parent; null moves the team to the top'),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.parentId !== undefined, { message: 'Give a name or a parentId' })
  .meta({ id: 'UpdateTeamRequest' });

export const TeamIdParam = z.object({ orgId: z.string(), teamId: z.string() });

export const TeamMembers = z
  .object({
    items: z.array(
      z.object({
        userId: z.string(),
        role: z.enum(TEAM_ROLES),
        via: z.string().describe('This team for a direct member; the team above whose maintainer they are'),
      }),
    ),
  })
  .meta({ id: 'TeamMembers' });

export const TeamAnalyticsQuery = z
  .object({ days: z.coerce.number().int().min(1).max(90).default(30) })
  .strict()
  .meta({ id: 'TeamAnalyticsQuery' });

export const TeamAnalytics = z
  .object({
    teamId: z.string(),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    members: z.object({
      total: z.number().int(),
      maintainers: z.number().int(),
      direct: z.number().int(),
      inherited: z.number().int(),
      active: z.number().int().describe('Members with at least one action in the period'),
    }),
    subteams: z.number().int(),
    activityByDay: z.array(z.object({ day: z.string(), actions: z.number().int() })),
    totalActions: z.number().int(),
  })
  .meta({ id: 'TeamAnalytics' });

export const UserTeams = z
  .object({
    items: z.array(
      z.object({
        teamId: z.string(),
        role: z.enum(TEAM_ROLES),
        via: z.string().describe('The team whose membership grants this one'),
      }),
    ),
  })
  .meta({ id: 'UserTeams' });

export const InviteUserRequest = z
  .object({
    email: z.email().max(254),
    role: RoleRefSchema.optional().describe("The org's default role when left out"),
  })
  .strict()
  .meta({ id: 'InviteUserRequest' });

export const InvitationIdParam = z.object({ orgId: z.string(), invitationId: z.string() });

export const InvitationPage = z
  .object({ items: z.array(InvitationSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'InvitationPage' });

export const AcceptInvitationRequest = z
  .object({
    token: z.string().max(100).describe('The token from the invitation email'),
    name: z.string().trim().min(1).max(200).describe("The invitee's name"),
  })
  .strict()
  .meta({ id: 'AcceptInvitationRequest' });

export const CreateRoleRequest = z
  .object({
    name: z.string().trim().min(1).max(64),
    description: z.string().max(500).optional(),
    permissions: z.array(z.enum(ORG_PERMISSIONS)).min(1).max(ORG_PERMISSIONS.length),
  })
  .strict()
  .meta({ id: 'CreateRoleRequest' });

export const UpdateRoleRequest = z
  .object({
    name: z.string().trim().min(1).max(64).optional(),
    description: z.string().max(500).optional(),
    permissions: z.array(z.enum(ORG_PERMISSIONS)).min(1).max(ORG_PERMISSIONS.length).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Give at least one field to change' })
  .meta({ id: 'UpdateRoleRequest' });

export const RoleIdParam = z.object({ orgId: z.string(), roleId: z.string() });

export const RoleList = z
  .object({
    builtIn: z.array(z.object({ name: z.string(), permissions: z.array(z.string()) })),
    custom: z.array(CustomRoleSchema),
  })
  .meta({ id: 'RoleList' });

export const POLICY_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const PolicyIdParam = z.object({
  orgId: z.string(),
  policyId: z.string().regex(POLICY_ID).describe('Letters, digits, `-` and `_`, at most 64'),
});

export const PutPolicyRequest = z
  .object({
    description: z.string().max(500).optional(),
    statement: z.string().min(1).max(MAX_POLICY_CHARS).describe('One Cedar policy'),
  })
  .strict()
  .meta({ id: 'PutPolicyRequest' });

export const PolicyList = z
  .object({
    items: z.array(AccessPolicySchema),
    schema: z.string().describe('The Cedar schema policies are validated against'),
    basePolicy: z
      .object({ id: z.string(), statement: z.string() })
      .describe("The hub's own policy, evaluated with the org's: what roles grant is permitted"),
  })
  .meta({ id: 'PolicyList' });

export {
  AccessPolicySchema,
  ConnectionSchema,
  CustomRoleSchema,
  InvitationSchema,
  LinkSchema,
  MappingInputSchema,
  MappingSchema,
  OrgSchema,
  SyncJobSchema,
  TeamSchema,
  UserSchema,
};

export const OrgMappingParams = z.object({ orgId: z.string(), mappingId: z.string() });
export const OrgLinkParams = z.object({ orgId: z.string(), linkId: z.string() });

export const OrgEventParams = z.object({ orgId: z.string(), eventId: z.string() });

export const MappingList = z.object({ items: z.array(MappingSchema) }).meta({ id: 'MappingList' });

export const LinkPage = z
  .object({ items: z.array(LinkSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'LinkPage' });

export const OpenBranchRequest = z
  .object({
    base: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("The branch to start from; the mapping's base if absent"),
    draft: z.boolean().default(true),
  })
  .strict()
  .meta({ id: 'OpenBranchRequest' });

export const ConnectionSyncStatus = z
  .object({
    connectionId: z.string(),
    status: z.enum(['active', 'disabled', 'needs_attention']),
    lastError: z.object({ message: z.string(), at: z.string() }).nullable(),
    sync: z.object({
      lastSyncedAt: z
        .string()
        .nullable()
        .describe('When a change from this connection last reached the other side'),
      lagMs: z
        .number()
        .nullable()
        .describe('From the source change to the other side written, for that change'),
      changesSynced: z.number().int(),
      failures: z.number().int(),
      lastError: z.object({ message: z.string(), at: z.string() }).nullable(),
    }),
    mappings: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        reconciledAt: z.string().nullable().describe('When reconciliation last finished for the mapping'),
        cursor: z.string().nullable().describe('Changes up to this time have been reconciled'),
      }),
    ),
    deadLetters: z.number().int().describe("This connection's parked messages (first 100 looked at)"),
  })
  .meta({ id: 'ConnectionSyncStatus' });

/**
 * Each canonical event type's `data` schema by its component id: an event's `data` is the one its
 * type names (`CANONICAL_DATA`), or a sender's own for `custom.*` types.
 */
export const CanonicalDataSchemas: Record<string, z.ZodType> = Object.fromEntries(
  [...new Set<z.ZodType>(Object.values(CANONICAL_DATA))].map((schema) => [String(schema.meta()?.id), schema]),
);
