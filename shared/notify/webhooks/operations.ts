import * as z from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { OperationDoc } from '../../api/operation-doc';
import { authErrors, jsonBody, ok, problem } from '../../api/operation-doc';
import { CanonicalEventSchema } from '../../events/canonical-event';
import {
  AttemptsQuerySchema,
  createEndpointSchema,
  RecoverSchema,
  RotateSecretSchema,
  updateEndpointSchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from './endpoint';
import { WEBHOOK_PAYLOAD_VERSION } from './payload';

const OrgParam = z.object({ orgId: z.string().meta({ example: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2' }) });
const EndpointParams = OrgParam.extend({
  endpointId: z.string().meta({ example: 'ep_01JD3Q4ZK8M7X2V9N6B5C4D3E2' }),
});
const MessageParams = OrgParam.extend({
  messageId: z.string().meta({ example: 'msg_01JD3Q4ZK8M7X2V9N6B5C4D3E2' }),
});

export const DeliveryAttemptSchema = z
  .object({
    id: z.string().describe('`att_…`'),
    messageId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    channel: z.string(),
    endpointId: z.string().optional(),
    status: z
      .enum(['succeeded', 'failed', 'dropped'])
      .describe('`dropped`: no request was made (the endpoint was disabled or deleted, the event expired)'),
    at: z.iso.datetime(),
    attempt: z.number().int().describe("The message's attempt count after this one"),
    statusCode: z.number().int().optional(),
    durationMs: z.number().int(),
    responseExcerpt: z.string().optional().describe('At most 1 KiB of what the endpoint answered'),
    error: z.string().optional().describe('`HTTP 500`, `timeout`, `connection refused`…'),
    manual: z.boolean().optional().describe('A resend or a recovery'),
    recoverable: z
      .boolean()
      .optional()
      .describe('A drop while the endpoint was disabled: `recover` re-sends it once the endpoint is enabled'),
  })
  .meta({ id: 'DeliveryAttempt' });

export const DeliveryMessageSchema = z
  .object({
    id: z.string().describe('`msg_…`: the `webhook-id` of every attempt, resends included'),
    orgId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    target: z.union([
      z.object({ channel: z.literal('webhook'), endpointId: z.string() }),
      z.object({ channel: z.literal('email'), address: z.string(), userId: z.string().optional() }),
    ]),
    status: z.enum(['pending', 'scheduled', 'delivered', 'failed', 'dropped']),
    attempts: z.number().int(),
    createdAt: z.iso.datetime(),
    nextAttemptAt: z.iso.datetime().optional(),
    lastAttemptAt: z.iso.datetime().optional(),
    deliveredAt: z.iso.datetime().optional(),
    reason: z
      .string()
      .optional()
      .describe('Why the last attempt failed, or why it was dropped or failed for good'),
  })
  .meta({ id: 'DeliveryMessage' });

const MessageWithHistory = DeliveryMessageSchema.extend({
  history: z.array(DeliveryAttemptSchema).describe('Its attempts, newest first (the last 50)'),
}).meta({ id: 'DeliveryMessageWithHistory' });
const AttemptPage = z
  .object({ items: z.array(DeliveryAttemptSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'DeliveryAttemptPage' });
const EndpointList = z.object({ items: z.array(WebhookEndpointSchema) }).meta({ id: 'WebhookEndpointList' });
const notFound = problem('No such endpoint in this organisation');

/** The webhook-endpoint and message operations, as the OpenAPI document shows them. */
export const webhookEndpointOperations = {
  listWebhookEndpoints: {
    requestParams: { path: OrgParam },
    responses: {
      '200': ok("The org's endpoints, with their health; never their secrets", EndpointList),
      ...authErrors,
    },
  },
  createWebhookEndpoint: {
    requestParams: { path: OrgParam },
    requestBody: jsonBody(createEndpointSchema()),
    responses: {
      '201': ok('The endpoint, with its signing secret: shown this once', WebhookEndpointWithSecretSchema),
      '400': problem(
        'The body is not valid: a URL the hub cannot call (https only; no private address), an event-type pattern it does not know',
      ),
      ...authErrors,
      '429': problem("The organisation's plan allows no more webhook endpoints (deleting one gives it back)"),
    },
  },
  getWebhookEndpoint: {
    requestParams: { path: EndpointParams },
    responses: {
      '200': ok('The endpoint and its health', WebhookEndpointSchema),
      '404': notFound,
      ...authErrors,
    },
  },
  updateWebhookEndpoint: {
    requestParams: { path: EndpointParams },
    requestBody: jsonBody(updateEndpointSchema()),
    responses: {
      '200': ok('The endpoint as changed (enabled again: its health starts afresh)', WebhookEndpointSchema),
      '400': problem('The body is not valid'),
      '404': notFound,
      '409': problem('It changed meanwhile; read it again'),
      ...authErrors,
    },
  },
  deleteWebhookEndpoint: {
    requestParams: { path: EndpointParams },
    responses: {
      '204': { description: 'Deleted; messages queued for it are dropped' },
      '404': notFound,
      ...authErrors,
    },
  },
  rotateWebhookEndpointSecret: {
    requestParams: { path: EndpointParams },
    requestBody: jsonBody(RotateSecretSchema),
    responses: {
      '200': ok(
        'The new secret, shown this once. Until `previousSecretExpiresAt` every delivery carries both signatures in `webhook-signature`, space-separated: a receiver may switch secrets at any time in the overlap',
        WebhookEndpointWithSecretSchema,
      ),
      '400': problem('The body is not valid'),
      '404': notFound,
      ...authErrors,
    },
  },
  listWebhookAttempts: {
    requestParams: { path: EndpointParams, query: AttemptsQuerySchema },
    responses: {
      '200': ok(
        'Attempts to the endpoint, newest first, and its messages dropped without a request (`status: dropped`; `recoverable` ones are re-sent by `recover`)',
        AttemptPage,
      ),
      '400': problem('The query is not valid'),
      '404': notFound,
      ...authErrors,
    },
  },
  recoverWebhookEndpoint: {
    requestParams: { path: EndpointParams },
    requestBody: jsonBody(RecoverSchema),
    responses: {
      '202': ok(
        'The messages to it that failed since then, or were dropped while it was disabled, are queued again (one attempt each, same webhook-id)',
        z.object({ queued: z.number().int() }),
      ),
      '400': problem('The body is not valid'),
      '404': notFound,
      '409': problem('The endpoint is disabled; enable it first'),
      ...authErrors,
    },
  },
  getNotificationMessage: {
    requestParams: { path: MessageParams },
    responses: {
      '200': ok('The message, its state and its attempts', MessageWithHistory),
      '404': problem('No such message in this organisation'),
      ...authErrors,
    },
  },
  resendNotificationMessage: {
    requestParams: { path: MessageParams },
    responses: {
      '202': ok(
        'Queued for one more attempt, with the same webhook-id',
        z.object({ id: z.string(), status: z.literal('pending') }),
      ),
      '404': problem('No such message in this organisation'),
      '409': problem('Its endpoint is disabled or was deleted'),
      ...authErrors,
    },
  },
} satisfies Record<string, OperationDoc>;

/** Version 1 of what an outbound webhook delivers: the canonical event envelope, as on the bus, and its version. */
export const WebhookPayloadV1 = CanonicalEventSchema.omit({ claim: true })
  .extend({
    version: z
      .literal(WEBHOOK_PAYLOAD_VERSION)
      .describe(
        "The payload's version: `1` for this schema. Fields are only added within a version; any other change comes as a new version, announced before endpoints receive it",
      ),
  })
  .meta({
    id: 'WebhookPayloadV1',
    description:
      'The canonical event, as the hub has it (its `data` is the typed model its `type` names), with the payload `version` at its top level. Fields are only added within a version.',
  });

const signatureHeaders = z.object({
  'webhook-id': z
    .string()
    .describe(
      'The message id (`msg_…`): the same on every retry and resend of this event to this endpoint; de-duplicate on it',
    ),
  'webhook-timestamp': z
    .string()
    .describe('Seconds since the epoch when this attempt was signed; refuse ones too old'),
  'webhook-signature': z
    .string()
    .describe(
      '`v1,<base64 HMAC-SHA256 of id.timestamp.body>` per active secret, space-separated (two during a rotation overlap)',
    ),
});

/** The OpenAPI 3.1 `webhooks` section: what endpoints receive. */
export const webhookPayloadDocs: ZodOpenApiPathsObject = {
  'canonical-event': {
    post: {
      operationId: 'deliverCanonicalEvent',
      summary: 'An event delivered to a webhook endpoint (Standard Webhooks)',
      description:
        'Signed as the Standard Webhooks specification says; verify it with any Standard Webhooks library and the endpoint secret. The body carries its schema version as `version` (top-level metadata, as the specification suggests): read it before the rest. A 2xx within 15 s is success; anything else is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (with jitter). 429 and 503 may send Retry-After. 410 disables the endpoint. Ordering is not promised: deliveries may arrive in any order and, rarely, more than once (the same `webhook-id`).',
      tags: ['Webhook endpoints'],
      requestParams: { header: signatureHeaders },
      requestBody: jsonBody(WebhookPayloadV1),
      responses: {
        '200': { description: 'Any 2xx: received' },
        '410': { description: 'Gone: the hub disables the endpoint' },
        '429': { description: 'Slow down: retried after Retry-After (bounded)' },
      },
    },
  },
};
