import * as z from 'zod';

/** The one envelope every event on the bus carries, whatever provider it came from. */
export const CanonicalEventSchema = z
  .object({
    id: z.string().regex(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/),
    type: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/),
    source: z.object({ provider: z.string(), connectionId: z.string() }),
    tenantId: z.string(),
    occurredAt: z.iso.datetime(),
    receivedAt: z.iso.datetime(),
    correlationId: z.string(),
    // Open here (custom types, claim-checked events): each type's schema is applied where the event
    // is made (`canonicalEvent`) and read (`canonicalData`); the OpenAPI document types it by `type`.
    data: z
      .record(z.string(), z.unknown())
      .describe(
        "Provider-neutral and typed: the `…EventData` component its type names (`work_item.*`: WorkItemEventData, `pull_request.*`: PullRequestEventData…), as the document's CanonicalEvent ties them; for `custom.*` types, the sender's own data as sent; empty when `claim` is set",
      ),
    raw: z
      .object({
        deliveryId: z.string(),
        sha256: z.string(),
        contentType: z
          .string()
          .max(255)
          .optional()
          .describe('The content type the provider sent the delivery with, when it said'),
      })
      .describe("The provider's delivery it came from, by reference: its id and the SHA-256 of its body"),
    echo: z.literal(true).optional().meta({
      description:
        "Set when the hub's own write came back (its actor is the hub's identity on the connection): in the feed, not synced again",
    }),
    claim: z
      .object({ key: z.string().min(1), bytes: z.number().int().nonnegative(), sha256: z.string() })
      .optional()
      .meta({
        description:
          'Set when the event was too large for the bus (256 KiB): it travelled as a reference to this stored copy, and the event feed keeps only the reference (its `data` is then empty)',
      }),
  })
  .meta({ id: 'CanonicalEvent', description: 'A provider-neutral event' });

export type CanonicalEvent = z.infer<typeof CanonicalEventSchema>;
