import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { EgressPolicy } from '../../egress';
import { customerEndpointPolicy, destinationRefusal } from '../../egress';
import { ID_PATTERN } from '../../ids';
import { KnownEventTypePatternSchema } from '../model';

/** How long the previous secret keeps signing after a rotation, unless the caller says otherwise. */
export const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
export const DEFAULT_RATE_LIMIT_PER_SECOND = 20;

/**
 * A URL the hub may call: bounded, and callable under the customer-endpoint egress policy (https;
 * loopback only locally; none of the operator's private ranges).
 */
export const endpointUrlSchema = (policy?: EgressPolicy) =>
  z
    .string()
    .max(2048)
    .superRefine((url, ctx) => {
      const refusal = destinationRefusal(url, customerEndpointPolicy(...(policy ? [policy] : [])));
      if (refusal) ctx.addIssue({ code: 'custom', message: `The hub cannot call this URL: ${refusal}` });
    })
    // Stored as the URL parser reads it: it drops tabs and line breaks a raw string would carry on.
    .transform((url) => new URL(url).href);

const fields = (policy?: EgressPolicy) => ({
  url: endpointUrlSchema(policy),
  description: z.string().max(500).optional(),
  eventTypes: z
    .array(KnownEventTypePatternSchema)
    .max(100)
    .describe('Event-type patterns it receives (`*`: all); `[]`: only what notification rules send it'),
  enabled: z.boolean(),
  rateLimitPerSecond: z.number().int().min(1).max(1_000).describe('The most deliveries per second it gets'),
});

/** What creating an endpoint takes. */
export const createEndpointSchema = (policy?: EgressPolicy) => {
  const f = fields(policy);
  return z
    .object({
      url: f.url,
      description: f.description,
      eventTypes: f.eventTypes.default(['*']),
      enabled: f.enabled.default(true),
      rateLimitPerSecond: f.rateLimitPerSecond.default(DEFAULT_RATE_LIMIT_PER_SECOND),
    })
    .strict()
    .meta({ id: 'CreateWebhookEndpointRequest' });
};

/** What changing an endpoint takes: any of its settings. */
export const updateEndpointSchema = (policy?: EgressPolicy) => {
  const f = fields(policy);
  return z
    .object({
      url: f.url.optional(),
      description: f.description,
      eventTypes: f.eventTypes.optional(),
      enabled: f.enabled.optional(),
      rateLimitPerSecond: f.rateLimitPerSecond.optional(),
    })
    .strict()
    .refine((b) => Object.keys(b).length > 0, { message: 'Name at least one setting to change' })
    .meta({ id: 'UpdateWebhookEndpointRequest' });
};

export const RotateSecretSchema = z
  .object({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(DEFAULT_OVERLAP_SECONDS)
      .describe('How long the previous secret keeps signing too (default a day)'),
  })
  .strict()
  .meta({ id: 'RotateWebhookSecretRequest' });

/** How far back a recovery reaches: as long as events are kept for their messages. */
export const RECOVER_WINDOW_DAYS = 30;

export const RecoverSchema = z
  .object({
    since: z.iso
      .datetime()
      .refine((since) => Date.now() - Date.parse(since) <= RECOVER_WINDOW_DAYS * 86_400_000, {
        message: `at most ${RECOVER_WINDOW_DAYS} days ago: events are kept that long for their messages`,
      })
      .describe('Re-send the messages that failed at or after this time (at most 30 days ago)'),
  })
  .strict()
  .meta({ id: 'RecoverWebhookEndpointRequest' });

/** An endpoint as the API shows it: never its secrets. */
export const WebhookEndpointSchema = z
  .object({
    id: z.string().regex(ID_PATTERN('ep')),
    orgId: z.string(),
    url: z.string(),
    description: z.string().optional(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    rateLimitPerSecond: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z.number().int(),
    /** When the previous secret stops signing (during a rotation's overlap). */
    previousSecretExpiresAt: z.iso.datetime().optional(),
    failingSince: z.iso.datetime().optional().describe('Failing without a success since then'),
    lastSuccessAt: z.iso.datetime().optional(),
    disabledReason: z.string().optional().describe('Why the hub disabled it (HTTP 410, five days failing)'),
    warnedAt: z.iso.datetime().optional().describe("When the org's admins were told it will be disabled"),
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;

/** The attributes a settings change writes; every other one (its health) only the delivery worker does. */
export const SETTINGS = [
  'url',
  'description',
  'eventTypes',
  'enabled',
  'rateLimitPerSecond',
  'secrets',
  'previousSecretExpiresAt',
  'updatedAt',
  'version',
] as const satisfies readonly (keyof StoredEndpoint)[];
/** What a person's enabling it again clears: its health starts afresh. */
export const HEALTH_RESET = [
  'disabledReason',
  'failingSince',
  'warnedAt',
] as const satisfies readonly (keyof StoredEndpoint)[];

/** One signing secret, encrypted; `expiresAt` set on the previous one during an overlap. */
export interface StoredSecret {
  readonly ciphertext: string;
  readonly expiresAt?: string;
}

/** An endpoint as stored: its settings and its secrets (the current first), encrypted. */
export interface StoredEndpoint extends WebhookEndpoint {
  readonly secrets: readonly StoredSecret[];
}

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().describe('The signing secret (`whsec_…`): shown this once'),
}).meta({ id: 'WebhookEndpointWithSecret' });

/** A new signing secret, as Standard Webhooks writes them: `whsec_` and base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The encryption context that binds an endpoint's secrets to its org and endpoint. */
export const secretContext = (orgId: string, endpointId: string) => ({
  orgId,
  endpointId,
  purpose: 'webhook-signing',
});

/** The secrets that sign now: the current one, and the previous one until its overlap ends. */
export function activeSecrets(endpoint: Pick<StoredEndpoint, 'secrets'>, now: Date): readonly StoredSecret[] {
  return endpoint.secrets.filter((s) => s.expiresAt === undefined || Date.parse(s.expiresAt) > now.getTime());
}

/** The endpoint without its secrets, as the API and the trail show it. */
export function publicEndpoint({ secrets: _secrets, ...endpoint }: StoredEndpoint): WebhookEndpoint {
  return endpoint;
}

/** `GET …/attempts`: a page, newest first, all or only one status. */
export const AttemptsQuerySchema = z
  .object({
    status: z
      .enum(['succeeded', 'failed', 'dropped'])
      .optional()
      .describe('`dropped`: no request made (the endpoint was disabled or deleted, the event expired)'),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(2048).optional(),
  })
  .strict()
  .meta({ id: 'WebhookAttemptsQuery' });
