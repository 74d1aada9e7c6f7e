import type { AuditRecord } from '../audit/audit-record';
import type { Connection, WebhookRoute } from '../connectors/connection';
import type { CanonicalEvent } from '../events/canonical-event';
import type { ApiKey, ApiKeyGrant } from '../identity/api-key';
import type { Org } from '../tenancy/org';

/** A page of a list: `nextCursor` is opaque and null on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface OrgStore {
  /** Creates the org and claims its slug, with the audit record, atomically; ConflictError if the slug is taken. */
  create(org: Org, audit: AuditRecord): Promise<void>;
  get(orgId: string): Promise<Org | null>;
}

export interface ApiKeyStore {
  /** Stores the key's metadata and its hash lookup, with the audit record, atomically. */
  create(key: ApiKey, keyHash: string, audit: AuditRecord | null): Promise<void>;
  /** Creates the platform-admin key used to bootstrap an installation. */
  createPlatformKey(keyId: string, name: string, keyHash: string): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyGrant | null>;
}

export interface ConnectionStore {
  create(connection: Connection, encryptedSecret: string, audit: AuditRecord): Promise<void>;
  findWebhookRoute(connectionId: string): Promise<WebhookRoute | null>;
}

export interface EventStore {
  /** Stores the event once; storing the same event id again changes nothing. */
  put(event: CanonicalEvent): Promise<'stored' | 'duplicate'>;
  list(orgId: string, page: PageRequest): Promise<Page<CanonicalEvent>>;
}
