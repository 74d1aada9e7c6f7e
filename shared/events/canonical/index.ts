import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { ValidationError } from '../../errors';
import { newId } from '../../ids';
import { zodIssues } from '../../validation';
import type { CanonicalEvent } from '../canonical-event';
import { ApprovalEventDataSchema } from './approval';
import {
  BuildEventDataSchema,
  PipelineEventDataSchema,
  PullRequestEventDataSchema,
  PushEventDataSchema,
  RefEventDataSchema,
  ReviewEventDataSchema,
} from './code';
import { CommentEventDataSchema, ReleaseEventDataSchema, SprintEventDataSchema } from './planning';
import { WorkItemEventDataSchema } from './work-item';

export * from './approval';
export * from './code';
export * from './people';
export * from './planning';
export * from './values';
export * from './work-item';

const RUN = ['pending', 'running', 'succeeded', 'failed', 'canceled'] as const;
const each = <const P extends string, const S extends readonly string[], T extends z.ZodType>(
  prefix: P,
  suffixes: S,
  schema: T,
) => Object.fromEntries(suffixes.map((s) => [`${prefix}.${s}`, schema])) as { [K in `${P}.${S[number]}`]: T };

/**
 * Every canonical event type and the schema of its `data`: what normalisers emit and everything
 * downstream (sync, notifications, the event feed, customers' webhook endpoints) reads. A type
 * outside this list comes only from a generic sender, as `custom.<its type>` with its own data.
 */
export const CANONICAL_DATA = {
  ...each('work_item', ['created', 'updated', 'deleted'], WorkItemEventDataSchema),
  ...each('comment', ['created', 'updated', 'deleted'], CommentEventDataSchema),
  ...each(
    'pull_request',
    ['opened', 'reopened', 'updated', 'approved', 'unapproved', 'merged', 'closed'],
    PullRequestEventDataSchema,
  ),
  ...each('review', ['submitted', 'updated', 'dismissed'], ReviewEventDataSchema),
  ...each('branch', ['created', 'deleted'], RefEventDataSchema),
  ...each('tag', ['created', 'deleted'], RefEventDataSchema),
  push: PushEventDataSchema,
  ...each('pipeline', RUN, PipelineEventDataSchema),
  ...each('build', RUN, BuildEventDataSchema),
  ...each('sprint', ['created', 'started', 'closed', 'updated', 'deleted'], SprintEventDataSchema),
  ...each('release', ['created', 'released', 'unreleased', 'updated', 'deleted'], ReleaseEventDataSchema),
  // The hub's own: an agent's question to people, and how it was resolved.
  ...each('approval', ['requested', 'decided', 'expired', 'cancelled'], ApprovalEventDataSchema),
} as const;

export type CanonicalType = keyof typeof CANONICAL_DATA;
export type CanonicalDataOf<T extends CanonicalType> = z.infer<(typeof CANONICAL_DATA)[T]>;
export const CANONICAL_TYPES = Object.keys(CANONICAL_DATA) as CanonicalType[];
/** The prefix of a generic sender's own event types, whose data the hub does not interpret. */
export const CUSTOM_TYPE_PREFIX = 'custom.';

/**
 * Types only the hub itself publishes (its source is `hub`): a provider or a generic sender naming
 * one is refused, so no delivery can pass itself off as an approval's decision.
 */
export const HUB_ONLY_TYPE_PREFIXES = ['approval.'] as const;
export const isHubOnlyType = (type: string): boolean =>
  HUB_ONLY_TYPE_PREFIXES.some((prefix) => type.startsWith(prefix));

/** The envelope's type pattern: dot-separated lower-case words (`push`, `work_item.created`, `custom.build.done`). */
const CANONICAL_EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

export const isCanonicalType = (type: string): type is CanonicalType => Object.hasOwn(CANONICAL_DATA, type);

/** An event's data as its type's schema reads it, or null (a custom type, or data that does not fit). */
export function canonicalData<T extends CanonicalType>(
  event: CanonicalEvent,
  type: T,
): CanonicalDataOf<T> | null;
export function canonicalData(event: CanonicalEvent): unknown;
export function canonicalData(event: CanonicalEvent, type?: CanonicalType): unknown {
  const t = type ?? event.type;
  if (event.type !== t || !isCanonicalType(t)) return null;
  const parsed = CANONICAL_DATA[t].safeParse(event.data);
  return parsed.success ? parsed.data : null;
}

/** One normalised event: its canonical type, its data, and when it happened at the source. */
export type Normalised = {
  [T in CanonicalType]: { type: T; data: CanonicalDataOf<T>; occurredAt?: string | null };
}[CanonicalType];

/**
 * The envelope around a normalised delivery: a new event id, the source, the times, and the raw
 * delivery's reference (its id and hash). The data is checked against its type's schema, so a
 * normaliser can never put a provider's raw shape on the bus.
 */
export function canonicalEvent(
  delivery: {
    readonly orgId: string;
    readonly connectionId: string;
    readonly body: string;
    readonly receivedAt: Date;
    readonly correlationId: string;
  },
  provider: string,
  deliveryId: string,
  event:
    | Normalised
    | {
        type: `${typeof CUSTOM_TYPE_PREFIX}${string}`;
        data: Record<string, unknown>;
        occurredAt?: string | null;
      },
): CanonicalEvent {
  let data: unknown = event.data;
  // Only the model's types, or a sender's own under `custom.`: a provider-controlled name that is
  // neither (a header naming an inherited property, a type that is not a string) is refused.
  const type: unknown = event.type;
  if (
    typeof type !== 'string' ||
    !CANONICAL_EVENT_TYPE.test(type) ||
    (!isCanonicalType(type) && !type.startsWith(CUSTOM_TYPE_PREFIX))
  )
    throw new ValidationError('The delivery names no event type the hub knows');
  if (isHubOnlyType(type)) throw new ValidationError(`Only the hub publishes ${type} events`);
  if (isCanonicalType(event.type)) {
    const parsed = (CANONICAL_DATA[event.type] as z.ZodType).safeParse(event.data);
    // A payload that lacks what its event needs is the sender's malformed delivery, not a hub failure.
    if (!parsed.success)
      throw new ValidationError(
        `The payload lacks what a ${event.type} event needs`,
        zodIssues(parsed.error),
      );
    data = parsed.data;
  }
  const at = event.occurredAt ? Date.parse(event.occurredAt) : Number.NaN;
  return {
    id: newId('evt'),
    type: event.type,
    source: { provider, connectionId: delivery.connectionId },
    tenantId: delivery.orgId,
    occurredAt: new Date(Number.isNaN(at) ? delivery.receivedAt.getTime() : at).toISOString(),
    receivedAt: delivery.receivedAt.toISOString(),
    correlationId: delivery.correlationId,
    data: data as Record<string, unknown>,
    raw: { deliveryId, sha256: createHash('sha256').update(delivery.body).digest('hex') },
  };
}
