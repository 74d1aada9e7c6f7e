import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ValidationError } from '../errors';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { SecretCipher } from '../ports/secret-cipher';
import type { ConnectionStore, OrgStore } from '../ports/stores';
import { PLANS } from '../tenancy/plans';
import { requireOrg } from '../tenancy/require-org';
import type { Connection, Provider } from './connection';
import type { ProviderCatalog } from './provider-catalog';

export interface CreateConnectionInput {
  readonly provider: Provider;
  readonly name: string;
  readonly config?: { readonly baseUrl?: string | null | undefined } | undefined;
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
  /** The providers a connection can be of (`shared/providers.ts`). */
  providers: Pick<ProviderCatalog, 'ids' | 'baseUrlFor'>;
}) {
  return async (
    orgId: string,
    input: CreateConnectionInput,
    principal: Principal,
    request: RequestContext,
  ): Promise<{ connection: Connection; webhookSecret: string }> => {
    if (!deps.providers.ids.includes(input.provider)) {
      throw new ValidationError(`No provider ${input.provider}`, [
        { path: 'provider', message: `one of: ${deps.providers.ids.join(', ')}` },
      ]);
    }
    const org = await requireOrg(deps.orgs, orgId);
    const at = deps.clock.now();
    const id = newId('con');
    const connection: Connection = {
      id,
      orgId,
      provider: input.provider,
      name: input.name,
      status: 'active',
      config: { baseUrl: deps.providers.baseUrlFor(input.provider, input.config?.baseUrl) },
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
