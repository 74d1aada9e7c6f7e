import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { destinationRefusal } from '../egress';
import { ValidationError } from '../errors';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { SecretCipher } from '../ports/secret-cipher';
import type { ConnectionStore, OrgStore } from '../ports/stores';
import { PLANS } from '../tenancy/plans';
import { requireOrg } from '../tenancy/require-org';
import type { Connection, Provider } from './connection';
import { DEFAULT_BASE_URLS } from './connection';

export interface CreateConnectionInput {
  readonly provider: Provider;
  readonly name: string;
  readonly config?: { readonly baseUrl?: string | null | undefined } | undefined;
}

/**
 * The provider's base URL: the one given, else the provider's default; Jira has none (every site
 * differs). https only (and no IP literal outside public addresses) where the egress guard says so.
 */
export function baseUrlFor(provider: Provider, given: string | null | undefined): string | null {
  const baseUrl = given ?? DEFAULT_BASE_URLS[provider];
  if (provider === 'jira' && !baseUrl) {
    throw new ValidationError('A Jira connection needs its site, e.g. https://acme.atlassian.net', [
      { path: 'config.baseUrl', message: 'required for Jira' },
    ]);
  }
  const refusal = baseUrl ? destinationRefusal(baseUrl) : undefined;
  if (refusal) {
    throw new ValidationError(`The hub cannot call ${baseUrl}: ${refusal}`, [
      { path: 'config.baseUrl', message: refusal },
    ]);
  }
  return baseUrl ? baseUrl.replace(/\/+$/, '') : null;
}

/** A signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The encryption context that binds a connection's secret to its org and connection. */
export const secretContext = (orgId: string, connectionId: string) => ({
  orgId,
  connectionId,
  purpose: 'webhook',
});

/** Creates a connection; its webhook secret is returned once and stored only encrypted. */
export function makeCreateConnection(deps: {
  orgs: OrgStore;
  connections: ConnectionStore;
  cipher: SecretCipher;
  clock: Clock;
}) {
  return async (
    orgId: string,
    input: CreateConnectionInput,
    principal: Principal,
    request: RequestContext,
  ): Promise<{ connection: Connection; webhookSecret: string }> => {
    const org = await requireOrg(deps.orgs, orgId);
    const at = deps.clock.now();
    const id = newId('con');
    const connection: Connection = {
      id,
      orgId,
      provider: input.provider,
      name: input.name,
      status: 'active',
      config: { baseUrl: baseUrlFor(input.provider, input.config?.baseUrl) },
      lastError: null,
      credentials: null,
      previousSecretExpiresAt: null,
      webhookUrl: `/webhooks/${input.provider}/${id}`,
      createdAt: at.toISOString(),
    };
    const webhookSecret = newWebhookSecret();
    const encrypted = await deps.cipher.encrypt(webhookSecret, secretContext(orgId, id));
    const audit = auditChange({
      action: 'connection.created',
      principal,
      orgId,
      targets: [{ type: 'connection', id }],
      request,
      at,
      after: { provider: connection.provider, name: connection.name, baseUrl: connection.config.baseUrl },
    });
    await deps.connections.create(connection, encrypted, audit, {
      resource: 'connections',
      limit: PLANS[org.plan].connections,
    });
    return { connection, webhookSecret };
  };
}
