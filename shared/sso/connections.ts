import { X509Certificate } from 'node:crypto';
import * as z from 'zod';
import type { AuditRecord, RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { RoleGuard } from '../authz/role-guard';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { Principal } from '../identity/principal';
import { RoleRefSchema } from '../identity/role-ref';
import { ID_PATTERN, newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { SecretCipher } from '../ports/secret-cipher';
import type { Page, PageRequest } from '../ports/stores';
import { InvalidIdpMetadataError, parseIdpMetadata, toPem } from './saml/idp-metadata';
import { isSingleFactorContext } from './saml/mfa-context';
import { samlServiceProviderFor } from './saml/saml-sign-in';

/** The most SSO connections one org may have (one per IdP, and a few while moving between them). */
export const MAX_SSO_CONNECTIONS_PER_ORG = 10;
const MAX_METADATA_BYTES = 256 * 1024;

const isLoopbackHost = (host: string) => host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
/** https, or http to loopback only (an IdP on the developer's machine). */
const IdpUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || isLoopbackHost(url.hostname);
  }, 'must be https (http only on loopback)')
  .refine((u) => !new URL(u).username && !new URL(u).password, 'must carry no credentials');

const Certificate = z
  .string()
  .max(16_384)
  .refine((c) => {
    try {
      new X509Certificate(toPem(c));
      return true;
    } catch {
      return false;
    }
  }, 'not an X.509 certificate (PEM or base64 DER)');

const GroupMapping = z
  .object({
    group: z.string().min(1).max(256).describe("The group's name or id as the IdP sends it"),
    role: RoleRefSchema.optional().describe(
      'The role members of the group get (the highest of those that apply)',
    ),
    teamIds: z
      .array(z.string().regex(ID_PATTERN('team')))
      .max(50)
      .default([])
      .describe('Teams the members of the group are put in'),
  })
  .strict();

const common = {
  name: z.string().trim().min(1).max(100),
  enabled: z.boolean().default(true).describe('A disabled connection takes no sign-ins'),
  defaultRole: RoleRefSchema.default('member').describe(
    'The role a user provisioned at first sign-in gets when no group mapping applies',
  ),
  groupMappings: z.array(GroupMapping).max(100).default([]),
};

export const SamlConnectionInput = z
  .object({
    protocol: z.literal('saml'),
    ...common,
    metadataXml: z.string().max(MAX_METADATA_BYTES).optional().describe("The IdP's metadata document"),
    metadataUrl: IdpUrl.optional().describe(
      'Where the IdP publishes its metadata (fetched once, when saved)',
    ),
    idpEntityId: z.string().min(1).max(1024).optional(),
    ssoUrl: IdpUrl.optional().describe("The IdP's SingleSignOnService URL (HTTP-Redirect binding)"),
    signingCertificates: z.array(Certificate).min(1).max(5).optional(),
    allowIdpInitiated: z
      .boolean()
      .default(false)
      .describe(
        'Accept sign-ins started from the IdP (no AuthnRequest of the hub asked for them). Off by default: such a response is bound to no browser the hub saw (login CSRF), only to its freshness (at most 2 minutes old, plus the bounded clock skew) and the single use of its assertion id',
      ),
    emailAttribute: z.string().min(1).max(256).optional(),
    nameAttribute: z.string().min(1).max(256).optional(),
    groupsAttribute: z.string().min(1).max(256).optional(),
    mfaContextClasses: z
      .array(
        z
          .string()
          .min(1)
          .max(256)
          .regex(/^[\x21-\x7e]+$/, 'must be a URI'),
      )
      .max(10)
      .optional()
      .refine((classes) => !classes?.some(isSingleFactorContext), {
        message:
          'must not name a single-factor context (a password, PasswordProtectedTransport, unspecified)',
      })
      .describe(
        "Further authentication context classes (or `authnmethodsreferences` values) that mean a second factor, beside the standard ones: how an Okta org whose sign-on policy requires MFA says so (Okta's context class is `PasswordProtectedTransport` whatever the factors; map a value of your own, e.g. Okta's `AuthnContextClassRef` override)",
      ),
  })
  .strict()
  .superRefine((v, ctx) => {
    const manual = [v.idpEntityId, v.ssoUrl, v.signingCertificates].filter((x) => x !== undefined).length;
    const sources = [v.metadataXml !== undefined, v.metadataUrl !== undefined, manual > 0].filter(
      Boolean,
    ).length;
    if (sources !== 1 || (manual > 0 && manual < 3))
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          'Give the IdP as metadataXml, as metadataUrl, or as idpEntityId + ssoUrl + signingCertificates',
      });
  })
  .meta({ id: 'SamlConnectionInput' });

export const OidcConnectionInput = z
  .object({
    protocol: z.literal('oidc'),
    ...common,
    issuer: IdpUrl.describe("The IdP's issuer; its discovery document is read when saved"),
    clientId: z.string().min(1).max(256),
    clientSecret: z.string().min(1).max(1024).optional().meta({
      writeOnly: true,
      description: 'Stored encrypted, never shown; on a replace, left out keeps it',
    }),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/))
      .max(20)
      .default(['openid', 'email', 'profile'])
      .refine((s) => s.includes('openid'), 'must include openid'),
    groupsClaim: z.string().min(1).max(100).default('groups'),
    requireEmailVerified: z
      .boolean()
      .default(true)
      .describe(
        "Refuse an ID token whose `email_verified` is not `true` (`email_unverified`). Turn it off only for an IdP that never sends the claim, such as Microsoft Entra ID: the hub then takes the email as the org's own IdP gives it, still only in the org's verified domains",
      ),
  })
  .strict()
  .meta({ id: 'OidcConnectionInput' });

export const SsoConnectionInput = z
  .discriminatedUnion('protocol', [SamlConnectionInput, OidcConnectionInput])
  .meta({ id: 'SsoConnectionInput' });
export type SsoConnectionInput = z.infer<typeof SsoConnectionInput>;

export interface SamlSettings {
  readonly idpEntityId: string;
  readonly ssoUrl: string;
  readonly signingCertificates: readonly string[];
  readonly allowIdpInitiated: boolean;
  readonly emailAttribute?: string | undefined;
  readonly nameAttribute?: string | undefined;
  readonly groupsAttribute?: string | undefined;
  /** Context classes beside the standard ones that mean a second factor (`isMfaContext`). */
  readonly mfaContextClasses?: readonly string[] | undefined;
}
export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** `email_verified` must be `true`; absent (a connection saved before it existed) means true. */
  readonly requireEmailVerified?: boolean | undefined;
  readonly groupsClaim: string;
}

export interface SsoConnection {
  readonly id: string;
  readonly orgId: string;
  readonly protocol: 'saml' | 'oidc';
  readonly name: string;
  readonly enabled: boolean;
  readonly defaultRole: string;
  readonly groupMappings: readonly z.infer<typeof GroupMapping>[];
  /**
   * The role of whoever last set the connection up: its sign-ins may only reach users that role
   * covers (an admin's IdP cannot sign in as an owner).
   */
  readonly configuredByRole: string;
  readonly saml: SamlSettings | null;
  readonly oidc: OidcSettings | null;
  /** The OIDC client secret, sealed under the org and the connection; never leaves the store otherwise. */
  readonly encryptedSecret: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const SsoConnectionSchema = z
  .object({
    id: z.string(),
    protocol: z.enum(['saml', 'oidc']),
    name: z.string(),
    enabled: z.boolean(),
    defaultRole: z.string(),
    groupMappings: z.array(GroupMapping),
    saml: z
      .object({
        idpEntityId: z.string(),
        ssoUrl: z.string(),
        signingCertificates: z
          .array(z.object({ subject: z.string(), notAfter: z.string(), fingerprint256: z.string() }))
          .describe("The certificates' details, not the certificates"),
        allowIdpInitiated: z.boolean(),
        emailAttribute: z.string().optional(),
        nameAttribute: z.string().optional(),
        groupsAttribute: z.string().optional(),
        mfaContextClasses: z.array(z.string()).optional(),
        serviceProvider: z
          .object({ entityId: z.string(), acsUrl: z.string(), metadataUrl: z.string() })
          .describe('What to give the IdP: the hub as a service provider for this connection'),
      })
      .nullable(),
    oidc: z
      .object({
        issuer: z.string(),
        clientId: z.string(),
        scopes: z.array(z.string()),
        groupsClaim: z.string(),
        requireEmailVerified: z.boolean(),
        hasClientSecret: z.boolean(),
        redirectUri: z.string().describe('The redirect URI to register at the IdP'),
      })
      .nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'SsoConnection' });

export const SsoConnectionPage = z
  .object({ items: z.array(SsoConnectionSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'SsoConnectionPage' });

export interface SsoConnectionStore {
  /** ConflictError when the org holds the most it may. */
  create(connection: SsoConnection, audit: AuditRecord, limit: number): Promise<void>;
  get(orgId: string, id: string): Promise<SsoConnection | null>;
  list(orgId: string, page: PageRequest): Promise<Page<SsoConnection>>;
  /** Replaces it if it is still as it was at `expectedUpdatedAt`; ConflictError otherwise. */
  replace(connection: SsoConnection, expectedUpdatedAt: string, audit: AuditRecord): Promise<void>;
  remove(orgId: string, id: string, audit: AuditRecord): Promise<void>;
  /** The org of a connection, by its id alone (the IdP posts to a URL naming only the connection). */
  orgOf(id: string): Promise<string | null>;
}

/** Reads what the hub needs of an OIDC issuer's discovery document, through the egress guard. */
export interface OidcDiscovery {
  check(issuer: string): Promise<void>;
}
/** Fetches an IdP's SAML metadata document, through the egress guard, bounded. */
export interface MetadataFetcher {
  fetch(url: string): Promise<string>;
}

export const ssoSecretContext = (orgId: string, ssoConnectionId: string) => ({ orgId, ssoConnectionId });

/** The OIDC redirect URI: one for every connection, the `state` names the sign-in. */
export const oidcRedirectUri = (publicBaseUrl: string) =>
  `${publicBaseUrl.replace(/\/+$/, '')}/sso/oidc/callback`;

const certificateView = (pem: string) => {
  const cert = new X509Certificate(toPem(pem));
  return {
    subject: cert.subject,
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
  };
};

export function ssoConnectionView(
  c: SsoConnection,
  publicBaseUrl: string,
): z.infer<typeof SsoConnectionSchema> {
  const sp = samlServiceProviderFor(publicBaseUrl, c.id);
  return {
    id: c.id,
    protocol: c.protocol,
    name: c.name,
    enabled: c.enabled,
    defaultRole: c.defaultRole,
    groupMappings: c.groupMappings.map((m) => ({ ...m, teamIds: [...m.teamIds] })),
    saml: c.saml
      ? {
          idpEntityId: c.saml.idpEntityId,
          ssoUrl: c.saml.ssoUrl,
          signingCertificates: c.saml.signingCertificates.map(certificateView),
          allowIdpInitiated: c.saml.allowIdpInitiated,
          ...(c.saml.emailAttribute ? { emailAttribute: c.saml.emailAttribute } : {}),
          ...(c.saml.nameAttribute ? { nameAttribute: c.saml.nameAttribute } : {}),
          ...(c.saml.groupsAttribute ? { groupsAttribute: c.saml.groupsAttribute } : {}),
          ...(c.saml.mfaContextClasses?.length ? { mfaContextClasses: [...c.saml.mfaContextClasses] } : {}),
          serviceProvider: { entityId: sp.spEntityId, acsUrl: sp.acsUrl, metadataUrl: sp.metadataUrl },
        }
      : null,
    oidc: c.oidc
      ? {
          issuer: c.oidc.issuer,
          clientId: c.oidc.clientId,
          scopes: [...c.oidc.scopes],
          groupsClaim: c.oidc.groupsClaim,
          requireEmailVerified: c.oidc.requireEmailVerified !== false,
          hasClientSecret: c.encryptedSecret !== null,
          redirectUri: oidcRedirectUri(publicBaseUrl),
        }
      : null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** An org's SSO connections: SAML 2.0 and OIDC identity providers, their secrets sealed. */
export function makeSsoConnections(deps: {
  store: SsoConnectionStore;
  cipher: SecretCipher;
  discovery: OidcDiscovery;
  metadata: MetadataFetcher;
  clock: Clock;
  publicUrl: string;
  /** Whoever sets the roles sign-ins will grant must hold them (no admin mints owners through SSO). */
  mayGrant: RoleGuard;
}) {
  const view = (c: SsoConnection) => ssoConnectionView(c, deps.publicUrl);

  async function samlSettings(input: z.infer<typeof SamlConnectionInput>): Promise<SamlSettings> {
    const attributes = {
      allowIdpInitiated: input.allowIdpInitiated,
      emailAttribute: input.emailAttribute,
      nameAttribute: input.nameAttribute,
      groupsAttribute: input.groupsAttribute,
      ...(input.mfaContextClasses?.length ? { mfaContextClasses: [...input.mfaContextClasses] } : {}),
    };
    if (input.idpEntityId && input.ssoUrl && input.signingCertificates)
      return {
        idpEntityId: input.idpEntityId,
        ssoUrl: input.ssoUrl,
        signingCertificates: input.signingCertificates.map(toPem),
        ...attributes,
      };
    const xml = input.metadataXml ?? (await deps.metadata.fetch(String(input.metadataUrl)));
    try {
      const metadata = parseIdpMetadata(xml);
      const ssoUrl = metadata.ssoUrlRedirect;
      if (!ssoUrl || !IdpUrl.safeParse(ssoUrl).success)
        throw new InvalidIdpMetadataError('the metadata has no usable HTTP-Redirect SingleSignOnService');
      if (metadata.signingCertificates.length === 0)
        throw new InvalidIdpMetadataError('the metadata has no signing certificate');
      return {
        idpEntityId: metadata.entityId,
        ssoUrl,
        signingCertificates: metadata.signingCertificates.slice(0, 5),
        ...attributes,
      };
    } catch (error) {
      if (error instanceof InvalidIdpMetadataError)
        throw new ValidationError(`The IdP metadata cannot be used: ${error.message}`, [
          { path: input.metadataXml ? 'metadataXml' : 'metadataUrl', message: error.message },
        ]);
      throw error;
    }
  }

  async function build(
    orgId: string,
    id: string,
    input: SsoConnectionInput,
    previous: SsoConnection | null,
    at: string,
    principal: Principal,
  ): Promise<SsoConnection> {
    const base = {
      id,
      orgId,
      protocol: input.protocol,
      name: input.name,
      enabled: input.enabled,
      defaultRole: input.defaultRole,
      groupMappings: input.groupMappings,
      configuredByRole: principal.kind === 'org_member' ? principal.role : 'owner',
      createdAt: previous?.createdAt ?? at,
      updatedAt: at,
    };
    if (input.protocol === 'saml')
      return { ...base, saml: await samlSettings(input), oidc: null, encryptedSecret: null };
    await deps.discovery.check(input.issuer);
    // A secret goes only to the server it was entered for: a new issuer or client needs it again.
    if (
      input.clientSecret === undefined &&
      previous?.oidc &&
      (previous.oidc.issuer !== input.issuer || previous.oidc.clientId !== input.clientId)
    )
      throw new ValidationError('A new issuer or client id needs its clientSecret again', [
        { path: 'clientSecret', message: 'required when issuer or clientId changes' },
      ]);
    const encryptedSecret =
      input.clientSecret !== undefined
        ? await deps.cipher.encrypt(input.clientSecret, ssoSecretContext(orgId, id))
        : (previous?.encryptedSecret ?? null);
    return {
      ...base,
      saml: null,
      oidc: {
        issuer: input.issuer,
        clientId: input.clientId,
        scopes: input.scopes,
        groupsClaim: input.groupsClaim,
        requireEmailVerified: input.requireEmailVerified,
      },
      encryptedSecret,
    };
  }

  // Audit records say what changed, never a secret or a certificate's body.
  const summary = (c: SsoConnection) => ({
    protocol: c.protocol,
    name: c.name,
    enabled: c.enabled,
    defaultRole: c.defaultRole,
    groupMappings: c.groupMappings.length,
    ...(c.saml
      ? {
          idpEntityId: c.saml.idpEntityId,
          ssoUrl: c.saml.ssoUrl,
          allowIdpInitiated: c.saml.allowIdpInitiated,
          certificates: c.saml.signingCertificates.map((p) => certificateView(p).fingerprint256),
        }
      : {}),
    ...(c.oidc
      ? { issuer: c.oidc.issuer, clientId: c.oidc.clientId, hasClientSecret: c.encryptedSecret !== null }
      : {}),
  });
  const audited = (
    action: string,
    c: SsoConnection,
    principal: Principal,
    request: RequestContext,
    before?: SsoConnection,
  ) =>
    auditChange({
      action,
      principal,
      orgId: c.orgId,
      targets: [{ type: 'sso_connection', id: c.id }],
      request,
      at: new Date(c.updatedAt),
      ...(before ? { before: summary(before) } : {}),
      after: summary(c),
    });
  const found = async (orgId: string, id: string) => {
    const c = await deps.store.get(orgId, id);
    if (!c) throw new NotFoundError(`No SSO connection ${id}`);
    return c;
  };

  const mayGrantRoles = async (orgId: string, input: SsoConnectionInput, principal: Principal) => {
    const roles = new Set([
      input.defaultRole,
      ...input.groupMappings.flatMap((m) => (m.role ? [m.role] : [])),
    ]);
    for (const role of roles) await deps.mayGrant(orgId, principal, role, 'let sign-ins grant a user');
  };

  return {
    async create(orgId: string, input: SsoConnectionInput, principal: Principal, request: RequestContext) {
      await mayGrantRoles(orgId, input, principal);
      if (input.protocol === 'oidc' && input.clientSecret === undefined)
        throw new ValidationError('An OIDC connection needs its clientSecret', [
          { path: 'clientSecret', message: 'required' },
        ]);
      const at = deps.clock.now().toISOString();
      const connection = await build(orgId, newId('sso'), input, null, at, principal);
      await deps.store.create(
        connection,
        audited('sso_connection.created', connection, principal, request),
        MAX_SSO_CONNECTIONS_PER_ORG,
      );
      return view(connection);
    },
    async list(orgId: string, page: PageRequest) {
      const out = await deps.store.list(orgId, page);
      return { items: out.items.map(view), nextCursor: out.nextCursor };
    },
    async get(orgId: string, id: string) {
      return view(await found(orgId, id));
    },
    async replace(
      orgId: string,
      id: string,
      input: SsoConnectionInput,
      principal: Principal,
      request: RequestContext,
    ) {
      const previous = await found(orgId, id);
      await mayGrantRoles(orgId, input, principal);
      if (previous.protocol !== input.protocol)
        throw new ConflictError(
          `The connection is ${previous.protocol}: its protocol cannot change; create another`,
        );
      const connection = await build(orgId, id, input, previous, deps.clock.now().toISOString(), principal);
      await deps.store.replace(
        connection,
        previous.updatedAt,
        audited('sso_connection.updated', connection, principal, request, previous),
      );
      return view(connection);
    },
    async remove(orgId: string, id: string, principal: Principal, request: RequestContext) {
      const previous = await found(orgId, id);
      await deps.store.remove(
        orgId,
        id,
        auditChange({
          action: 'sso_connection.deleted',
          principal,
          orgId,
          targets: [{ type: 'sso_connection', id }],
          request,
          at: deps.clock.now(),
          before: summary(previous),
        }),
      );
    },
  };
}

export type SsoConnections = ReturnType<typeof makeSsoConnections>;
