import * as z from 'zod';
import { destinationRefusal } from '../egress';
import { urlOnHosts } from '../egress/url-hosts';
import { ValidationError } from '../errors';
import type { ResourceAccess } from '../topology/types';
import type { ConnectionCredentials, CredentialSummary } from './connection';
import type { ProviderProbe } from './outbound';
import type { CredentialKind, ProviderModule, TokenSourceDeps, WebhookPart } from './provider-module';
import type { AccessTokens, WorkItemConnector } from './work-items';

/** The credentials a list of modules takes: the union of every kind's schema output. */
export type CredentialsOf<M extends readonly ProviderModule[]> = z.output<
  M[number]['credentials'][number]['schema']
>;

/** True for a field its schema marks secret (`secret()`, `.meta({ writeOnly: true })`), however wrapped. */
export function isSecretField(field: z.ZodType): boolean {
  let current: z.ZodType | undefined = field;
  for (let depth = 0; current && depth < 8; depth++) {
    if (current.meta()?.writeOnly === true) return true;
    const def = current._zod.def as { innerType?: z.ZodType; in?: z.ZodType };
    current = def.innerType ?? def.in;
  }
  return false;
}

/** The fields of a credential kind, secret or not, in its schema's order (`kind` left out). */
export function credentialFields(
  kind: CredentialKind,
): { name: string; secret: boolean; schema: z.ZodType }[] {
  return Object.entries(kind.schema.shape as Record<string, z.ZodType>)
    .filter(([name]) => name !== 'kind')
    .map(([name, schema]) => ({ name, secret: isSecretField(schema), schema }));
}

/**
 * A schema the API document can show as a response field: a field that transforms what it is given
 * (an app id given as a number, stored as a string) is documented as it is taken.
 */
function documentable(schema: z.ZodType): z.ZodType {
  try {
    z.toJSONSchema(schema, { io: 'output' });
    return schema;
  } catch {
    const { $schema: _, ...shape } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
    return z.unknown().meta(shape);
  }
}

/**
 * Everything derived from one list of provider modules: the generic layers take one of these (by
 * injection) instead of naming providers. `shared/providers.ts` builds the hub's.
 */
export interface ProviderCatalog<M extends readonly ProviderModule[] = readonly ProviderModule[]> {
  readonly modules: M;
  /** The provider ids, in the list's order. */
  readonly ids: readonly string[];
  module(provider: string): ProviderModule | undefined;
  /** The credentials a connection may be given: a union on `kind` of every module's kinds. */
  readonly credentialsSchema: z.ZodType<CredentialsOf<M>>;
  /** The kinds of credentials a provider takes. */
  kindsOf(provider: string): readonly CredentialKind[];
  /** The non-secret fields of the credentials and when they were set: all a response or the audit trail gets. */
  summarise(credentials: ConnectionCredentials, at: Date): CredentialSummary;
  /** ValidationError unless the provider takes this kind and its URL fields are destinations the hub may call. */
  checkCredentials(provider: string, credentials: ConnectionCredentials): void;
  /**
   * The connection's base URL: the one given, else the provider's default; required when the
   * provider calls out and has no default. https only (and no IP literal outside public addresses)
   * where the egress guard says so.
   */
  baseUrlFor(provider: string, given: string | null | undefined): string | null;
  /** The webhook part of each provider. */
  readonly webhooks: Readonly<Record<string, WebhookPart>>;
  /** The sync part of each provider that has one. */
  readonly syncConnectors: Readonly<Record<string, WorkItemConnector>>;
  /** Each provider's probe, given the token sources. */
  probes(tokens: Readonly<Record<string, AccessTokens>>): Readonly<Record<string, ProviderProbe>>;
  /** The AWS access any provider's adapters need (a function that opens provider clients gets all of it). */
  readonly access: readonly ResourceAccess[];
}

const RESERVED_IDS = new Set(['hub']);

/** Builds the catalog of a list of modules; ids and credential kinds must be unique. */
export function providerCatalog<const M extends readonly ProviderModule[]>(modules: M): ProviderCatalog<M> {
  const byId = new Map<string, ProviderModule>();
  const kinds = new Map<string, { provider: string; kind: CredentialKind }>();
  for (const module of modules) {
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(module.id))
      throw new Error(`Provider id ${module.id} is not lower-case`);
    if (byId.has(module.id)) throw new Error(`Provider ${module.id} is listed twice`);
    // The hub publishes its own domain events as provider `hub`; rules trust that source.
    if (RESERVED_IDS.has(module.id)) throw new Error(`Provider id ${module.id} is reserved for the hub`);
    byId.set(module.id, module);
    for (const kind of module.credentials) {
      if (kinds.has(kind.kind)) throw new Error(`Credential kind ${kind.kind} is declared twice`);
      kinds.set(kind.kind, { provider: module.id, kind });
    }
  }
  const allKinds = [...kinds.values()].map((k) => k.kind);
  // What a person may give: kinds an install writes are no input of the API (nor of its document).
  const schemas = allKinds.filter((k) => !k.installedOnly).map((k) => k.schema);
  // A union needs two members; a hub with one kind (or none) still validates and documents the same way.
  const credentialsSchema = (schemas.length >= 2
    ? z.discriminatedUnion('kind', schemas as unknown as [z.ZodObject, z.ZodObject])
    : (schemas[0] ?? z.never())
  ).meta({ id: 'ConnectionCredentials' }) as unknown as z.ZodType<CredentialsOf<M>>;
  const refuse = (path: string, url: string) => {
    const refusal = destinationRefusal(url);
    if (refusal)
      throw new ValidationError(`The hub cannot call ${url}: ${refusal}`, [{ path, message: refusal }]);
  };
  const kindsOf = (provider: string) => byId.get(provider)?.credentials ?? [];

  return {
    modules,
    ids: modules.map((m) => m.id),
    module: (provider) => byId.get(provider),
    credentialsSchema,
    kindsOf,
    summarise: (credentials, at) => {
      const kind = kinds.get(credentials.kind)?.kind;
      const values = credentials as unknown as Record<string, unknown>;
      const fields = kind
        ? credentialFields(kind).filter((f) => !f.secret && values[f.name] !== undefined)
        : [];
      return {
        kind: credentials.kind,
        ...Object.fromEntries(fields.map((f) => [f.name, values[f.name]])),
        setAt: at.toISOString(),
      };
    },
    checkCredentials: (provider, credentials) => {
      const taken = kindsOf(provider);
      const kind = taken.find((k) => k.kind === credentials.kind);
      if (!kind) {
        throw new ValidationError(`A ${provider} connection does not take ${credentials.kind} credentials`, [
          { path: 'kind', message: `one of: ${taken.map((k) => k.kind).join(', ') || 'none'}` },
        ]);
      }
      if (kind.installedOnly)
        throw new ValidationError(
          `${credentials.kind} credentials are set by installing the app, not by hand`,
          [{ path: 'kind', message: 'set by the install' }],
        );
      // Where else the credentials are sent (a token endpoint) is held to the egress rules too.
      const values = credentials as unknown as Record<string, unknown>;
      for (const field of kind.urlFields ?? []) {
        const url = values[field];
        if (typeof url === 'string') refuse(field, url);
        const hosts = kind.urlHosts?.[field];
        if (typeof url === 'string' && hosts && !urlOnHosts(url, hosts))
          throw new ValidationError(`${field} must be a URL on ${hosts.join(', ')}`, [
            { path: field, message: `not on ${hosts.join(', ')}` },
          ]);
      }
    },
    baseUrlFor: (provider, given) => {
      const module = byId.get(provider);
      if (!module)
        throw new ValidationError(`No provider ${provider}`, [{ path: 'provider', message: 'unknown' }]);
      const baseUrl = given ?? module.api.defaultBaseUrl;
      // A provider the hub calls needs to know where; one it never calls (no credentials) needs nothing.
      if (!baseUrl && module.credentials.length > 0) {
        throw new ValidationError(
          `A ${module.displayName} connection needs its base URL: ${module.api.baseUrlHint}`,
          [{ path: 'config.baseUrl', message: `required for ${module.displayName}` }],
        );
      }
      if (
        given &&
        module.api.defaultBaseUrl &&
        !module.api.customBaseUrl &&
        given !== module.api.defaultBaseUrl
      ) {
        throw new ValidationError(
          `A ${module.displayName} connection always uses ${module.api.defaultBaseUrl}`,
          [{ path: 'config.baseUrl', message: 'this provider takes no other server' }],
        );
      }
      if (baseUrl) refuse('config.baseUrl', baseUrl);
      return baseUrl ? baseUrl.replace(/\/+$/, '') : null;
    },
    webhooks: Object.fromEntries(modules.map((m) => [m.id, m.webhook])),
    syncConnectors: Object.fromEntries(modules.flatMap((m) => (m.sync ? [[m.id, m.sync]] : []))),
    probes: (tokens) =>
      Object.fromEntries(
        modules.flatMap((m) => (m.probe ? [[m.id, m.probe({ accessTokens: tokens[m.id] })]] : [])),
      ),
    access: [...new Set(modules.flatMap((m) => m.access))],
  };
}

/**
 * What a connection returns about credentials of each kind, for the API document: the non-secret
 * fields and `setAt`. Apart from the catalog: only the document's bundle pays for JSON Schema.
 */
export function credentialSummarySchema(modules: readonly ProviderModule[]): z.ZodType {
  const allKinds = modules.flatMap((m) => m.credentials);
  const summaryOf = (kind: CredentialKind) =>
    z
      .object({
        kind: kind.schema.shape.kind as z.ZodType,
        ...Object.fromEntries(
          credentialFields(kind)
            .filter((f) => !f.secret)
            .map((f) => [f.name, documentable(f.schema).optional()]),
        ),
        setAt: z.iso.datetime(),
      })
      .describe(kind.description);
  const summaries = allKinds.map(summaryOf);
  return summaries.length >= 2
    ? z.union(summaries)
    : (summaries[0] ?? z.object({ kind: z.string(), setAt: z.iso.datetime() }));
}

/**
 * One token source per provider that has one, each built on its first use (a function that never
 * opens an OAuth connection never builds one), sharing the deps, which are built once, lazily too.
 */
export function lazyTokenSources(
  modules: readonly ProviderModule[],
  deps: () => TokenSourceDeps,
): Readonly<Record<string, AccessTokens>> {
  let shared: TokenSourceDeps | undefined;
  return Object.fromEntries(
    modules.flatMap((m) => {
      const make = m.tokens;
      if (!make) return [];
      let built: AccessTokens | undefined;
      const source: AccessTokens = {
        token: (orgId, connectionId, baseUrl) => {
          shared ??= deps();
          built ??= make(shared);
          return built.token(orgId, connectionId, baseUrl);
        },
      };
      return [[m.id, source]];
    }),
  );
}
