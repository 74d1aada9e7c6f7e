import type { RequestContext } from '../../audit/audit-record';
import { auditChange } from '../../audit/audit-record';
import { ConflictError, NotFoundError } from '../../errors';
import type { Principal } from '../../identity/principal';
import { newId } from '../../ids';
import type { Clock } from '../../ports/clock';
import type { MessageQueues } from '../../ports/message-queue';
import type { SecretCipher } from '../../ports/secret-cipher';
import type { AuditStore, OrgStore, PageRequest } from '../../ports/stores';
import { PLANS } from '../../tenancy/plans';
import { queueOrders } from '../delivery/delivery-queue';
import type { DeliveryOrder, DeliveryStore } from '../delivery/ports';
import type { DeliveryMessage } from '../model';
import type { StoredEndpoint, WebhookEndpoint } from './endpoint';
import { activeSecrets, newSigningSecret, publicEndpoint, secretContext } from './endpoint';
import type { WebhookEndpointStore } from './endpoint-store';

/** The most messages one recovery re-queues; a larger backlog is recovered in steps (a later `since`). */
export const MAX_RECOVER = 10_000;

export interface ManageEndpointsDeps {
  readonly endpoints: WebhookEndpointStore;
  readonly deliveries: DeliveryStore;
  readonly orgs: Pick<OrgStore, 'get'>;
  readonly cipher: Pick<SecretCipher, 'encrypt'>;
  readonly queues: Pick<MessageQueues, 'sendBatch'>;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly clock: Clock;
}

export interface EndpointInput {
  readonly url: string;
  readonly description?: string | undefined;
  readonly eventTypes: readonly string[];
  readonly enabled: boolean;
  readonly rateLimitPerSecond: number;
}

/** What the trail keeps of an endpoint: its settings, never its secrets. */
const settings = (e: WebhookEndpoint) => ({
  url: e.url,
  description: e.description ?? null,
  eventTypes: e.eventTypes,
  enabled: e.enabled,
  rateLimitPerSecond: e.rateLimitPerSecond,
});

/** The use cases of the webhook-endpoint routes. */
export function makeManageEndpoints(deps: ManageEndpointsDeps) {
  const require = async (orgId: string, endpointId: string) => {
    const endpoint = await deps.endpoints.get(orgId, endpointId);
    if (!endpoint) throw new NotFoundError(`Webhook endpoint ${endpointId} does not exist`);
    return endpoint;
  };
  const requireMessage = async (orgId: string, messageId: string) => {
    const message = await deps.deliveries.getMessage(orgId, messageId);
    if (!message) throw new NotFoundError(`Message ${messageId} does not exist`);
    return message;
  };
  const encrypt = (orgId: string, endpointId: string, secret: string) =>
    deps.cipher.encrypt(secret, secretContext(orgId, endpointId));
  const audited = (
    action: string,
    principal: Principal,
    request: RequestContext,
    orgId: string,
    target: { type: string; id: string },
    at: Date,
    change: { before?: Record<string, unknown>; after?: Record<string, unknown> } = {},
  ) => auditChange({ action, principal, orgId, targets: [target], request, at, ...change });

  /** Flips a message back to pending and queues one manual attempt; false when it moved on meanwhile. */
  const requeue = async (message: DeliveryMessage): Promise<DeliveryOrder | null> => {
    const { nextAttemptAt: _n, ...rest } = message;
    const next: DeliveryMessage = { ...rest, status: 'pending' };
    if (message.status !== 'pending' && !(await deps.deliveries.saveMessage(next, message))) return null;
    return { orgId: message.orgId, messageId: message.id, attempt: message.attempts, manual: true };
  };
  const requireEnabledTarget = async (message: DeliveryMessage) => {
    if (message.target.channel !== 'webhook') return;
    const endpoint = await deps.endpoints.get(message.orgId, message.target.endpointId);
    if (!endpoint) throw new ConflictError('The message’s endpoint was deleted; nothing can be sent to it');
    if (!endpoint.enabled) throw new ConflictError('The message’s endpoint is disabled; enable it first');
  };

  return {
    list: async (orgId: string) => ({ items: (await deps.endpoints.list(orgId)).map(publicEndpoint) }),

    get: async (orgId: string, endpointId: string) => publicEndpoint(await require(orgId, endpointId)),

    create: async (orgId: string, input: EndpointInput, principal: Principal, request: RequestContext) => {
      const org = await deps.orgs.get(orgId);
      if (!org) throw new NotFoundError(`Organisation ${orgId} does not exist`);
      const at = deps.clock.now();
      const id = newId('ep');
      const secret = newSigningSecret();
      const endpoint: StoredEndpoint = {
        id,
        orgId,
        url: input.url,
        ...(input.description !== undefined ? { description: input.description } : {}),
        eventTypes: [...input.eventTypes],
        enabled: input.enabled,
        rateLimitPerSecond: input.rateLimitPerSecond,
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
        version: 1,
        secrets: [{ ciphertext: await encrypt(orgId, id, secret) }],
      };
      await deps.endpoints.create(
        endpoint,
        audited('webhook_endpoint.created', principal, request, orgId, { type: 'webhook_endpoint', id }, at, {
          after: settings(endpoint),
        }),
        { resource: 'webhookEndpoints', limit: PLANS[org.plan].webhookEndpoints },
      );
      return { ...publicEndpoint(endpoint), secret };
    },

    update: async (
      orgId: string,
      endpointId: string,
      input: Partial<EndpointInput>,
      principal: Principal,
      request: RequestContext,
    ) => {
      const current = await require(orgId, endpointId);
      const at = deps.clock.now();
      const { disabledReason: _d, failingSince: _f, warnedAt: _w, ...kept } = current;
      // Enabled again by a person: its health starts afresh (else it is kept as the worker records it).
      const reEnabled = input.enabled === true && !current.enabled;
      const next: StoredEndpoint = {
        ...(reEnabled ? kept : current),
        ...(input.url !== undefined ? { url: input.url } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.eventTypes !== undefined ? { eventTypes: [...input.eventTypes] } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        ...(input.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: input.rateLimitPerSecond } : {}),
        updatedAt: at.toISOString(),
        version: current.version + 1,
      };
      const saved = await deps.endpoints.saveSettings(
        next,
        current.version,
        audited(
          'webhook_endpoint.updated',
          principal,
          request,
          orgId,
          { type: 'webhook_endpoint', id: endpointId },
          at,
          {
            before: settings(current),
            after: settings(next),
          },
        ),
        { resetHealth: reEnabled },
      );
      if (!saved) throw new ConflictError(`Endpoint ${endpointId} changed meanwhile; read it again`);
      return publicEndpoint(next);
    },

    remove: async (orgId: string, endpointId: string, principal: Principal, request: RequestContext) => {
      const current = await require(orgId, endpointId);
      const at = deps.clock.now();
      const deleted = await deps.endpoints.delete(
        orgId,
        endpointId,
        audited(
          'webhook_endpoint.deleted',
          principal,
          request,
          orgId,
          { type: 'webhook_endpoint', id: endpointId },
          at,
          {
            before: settings(current),
          },
        ),
      );
      if (!deleted) throw new NotFoundError(`Webhook endpoint ${endpointId} does not exist`);
    },

    rotateSecret: async (
      orgId: string,
      endpointId: string,
      overlapSeconds: number,
      principal: Principal,
      request: RequestContext,
    ) => {
      const current = await require(orgId, endpointId);
      const at = deps.clock.now();
      const secret = newSigningSecret();
      const previous = activeSecrets(current, at)[0];
      const previousSecretExpiresAt = new Date(at.getTime() + overlapSeconds * 1000).toISOString();
      const keepPrevious = previous !== undefined && overlapSeconds > 0;
      const { previousSecretExpiresAt: _p, ...rest } = current;
      const next: StoredEndpoint = {
        ...rest,
        ...(keepPrevious ? { previousSecretExpiresAt } : {}),
        // The current secret signs on through the overlap beside the new one; older ones stop now.
        secrets: [
          { ciphertext: await encrypt(orgId, endpointId, secret) },
          ...(keepPrevious ? [{ ciphertext: previous.ciphertext, expiresAt: previousSecretExpiresAt }] : []),
        ],
        updatedAt: at.toISOString(),
        version: current.version + 1,
      };
      const saved = await deps.endpoints.saveSettings(
        next,
        current.version,
        audited(
          'webhook_endpoint.secret_rotated',
          principal,
          request,
          orgId,
          { type: 'webhook_endpoint', id: endpointId },
          at,
          {
            after: { overlapSeconds, previousSecretExpiresAt: keepPrevious ? previousSecretExpiresAt : null },
          },
        ),
      );
      if (!saved) throw new ConflictError(`Endpoint ${endpointId} changed meanwhile; try again`);
      return { ...publicEndpoint(next), secret };
    },

    attempts: async (
      orgId: string,
      endpointId: string,
      status: 'succeeded' | 'failed' | 'dropped' | undefined,
      page: PageRequest,
    ) => {
      await require(orgId, endpointId);
      return deps.deliveries.listAttempts(orgId, endpointId, status, page);
    },

    recover: async (
      orgId: string,
      endpointId: string,
      since: Date,
      principal: Principal,
      request: RequestContext,
    ) => {
      const endpoint = await require(orgId, endpointId);
      if (!endpoint.enabled) throw new ConflictError('The endpoint is disabled; enable it before recovering');
      const ids = await deps.deliveries.failedSince(orgId, endpointId, since, MAX_RECOVER);
      const orders: DeliveryOrder[] = [];
      for (let i = 0; i < ids.length; i += 25) {
        const chunk = await Promise.all(
          ids.slice(i, i + 25).map(async (id) => {
            const message = await deps.deliveries.getMessage(orgId, id);
            // Failed, dropped while the endpoint was disabled, or flipped to pending by an earlier
            // recovery whose order may not have been queued.
            const again = ['failed', 'dropped', 'pending'];
            if (!message || !again.includes(message.status)) return null;
            return requeue(message);
          }),
        );
        for (const order of chunk) if (order) orders.push(order);
      }
      await queueOrders(deps.queues, orders);
      await deps.audit.append(
        audited(
          'webhook_endpoint.recovered',
          principal,
          request,
          orgId,
          { type: 'webhook_endpoint', id: endpointId },
          deps.clock.now(),
          {
            after: { since: since.toISOString(), queued: orders.length },
          },
        ),
      );
      return { queued: orders.length };
    },

    getMessage: async (orgId: string, messageId: string) => {
      const message = await requireMessage(orgId, messageId);
      return { ...message, history: await deps.deliveries.messageAttempts(orgId, messageId, 50) };
    },

    resend: async (orgId: string, messageId: string, principal: Principal, request: RequestContext) => {
      const message = await requireMessage(orgId, messageId);
      await requireEnabledTarget(message);
      const order = await requeue(message);
      if (!order) throw new ConflictError(`Message ${messageId} changed meanwhile; try again`);
      await queueOrders(deps.queues, [order]);
      await deps.audit.append(
        audited(
          'message.resent',
          principal,
          request,
          orgId,
          { type: 'message', id: messageId },
          deps.clock.now(),
        ),
      );
      return { id: messageId, status: 'pending' as const };
    },
  };
}
