import type * as z from 'zod';
import { CANONICAL_DATA, CANONICAL_TYPES, CUSTOM_TYPE_PREFIX } from '../events/canonical';

type JsonSchema = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** The component ids the typed event model adds beside the `…EventData` ones. */
export const CANONICAL_EVENT_COMPONENTS = {
  envelope: 'CanonicalEventEnvelope',
  typed: 'CanonicalTypedEvent',
  other: 'OtherEvent',
  claimed: 'ClaimCheckedEventData',
} as const;

/** `WorkItemEventData` → `WorkItemEvent`: the event component whose `data` is that schema. */
const eventComponentOf = (dataId: string) => dataId.replace(/Data$/, '');

/** The canonical types by the id of their data's component, in the model's order. */
export function canonicalTypesByData(
  data: Readonly<Record<string, z.ZodType>> = CANONICAL_DATA,
): ReadonlyMap<string, readonly string[]> {
  const byData = new Map<string, string[]>();
  for (const [type, schema] of Object.entries(data)) {
    const id = schema.meta()?.id;
    if (typeof id !== 'string') throw new Error(`The data schema of ${type} has no component id`);
    byData.set(id, [...(byData.get(id) ?? []), type]);
  }
  return byData;
}

/**
 * Ties `CanonicalEvent.data` to its type's `…EventData` component in the document's schemas (the
 * runtime schema keeps `data` open: custom types, the hub's announcements, claim-checked events).
 * The rendered envelope becomes `CanonicalEventEnvelope`, and `CanonicalEvent` is one of: a
 * canonical type's event (`CanonicalTypedEvent`, one component per data schema, chosen by a
 * discriminator on `type`), or an event of any other type (a sender's own `custom.*`, the hub's
 * `org.created`…) with its data as given. A claim-checked event's `data` is empty.
 */
export function typeCanonicalEvents(schemas: Record<string, unknown>): void {
  const { envelope, typed, other, claimed } = CANONICAL_EVENT_COMPONENTS;
  const rendered = schemas.CanonicalEvent as JsonSchema | undefined;
  if (!rendered) throw new Error('The document has no CanonicalEvent component');
  const added = (id: string, schema: JsonSchema) => {
    if (schemas[id] !== undefined) throw new Error(`The document already has a ${id} component`);
    schemas[id] = schema;
  };
  const { description, ...common } = rendered;
  added(envelope, {
    ...common,
    description: 'What every event carries, whatever its type (see CanonicalEvent for its data)',
  });
  added(claimed, {
    type: 'object',
    maxProperties: 0,
    description:
      'Empty: the event was too large for the bus, and `claim` references it whole (the event feed keeps only the reference)',
  });
  const mapping: Record<string, string> = {};
  const branches: { $ref: string }[] = [];
  for (const [dataId, types] of canonicalTypesByData()) {
    if (schemas[dataId] === undefined) throw new Error(`The document has no ${dataId} component`);
    const id = eventComponentOf(dataId);
    added(id, {
      description: `An event of type ${types.map((t) => `\`${t}\``).join(', ')}: its data is ${dataId}`,
      allOf: [
        ref(envelope),
        {
          type: 'object',
          properties: {
            type: { type: 'string', enum: types },
            data: { anyOf: [ref(dataId), ref(claimed)] },
          },
        },
      ],
    });
    branches.push(ref(id));
    for (const type of types) mapping[type] = ref(id).$ref;
  }
  added(typed, {
    description: "An event of one of the hub's canonical types, its data that type's component",
    oneOf: branches,
    discriminator: { propertyName: 'type', mapping },
  });
  added(other, {
    description: `An event of a type outside the canonical model: a sender's own (\`${CUSTOM_TYPE_PREFIX}…\`) or one of the hub's announcements (\`org.created\`, \`connection.created\`, \`usage.recorded\`…), its data as given, which the model does not type`,
    allOf: [
      ref(envelope),
      {
        type: 'object',
        properties: {
          type: { type: 'string', not: { enum: [...CANONICAL_TYPES] } },
          data: { type: 'object', additionalProperties: true },
        },
      },
    ],
  });
  schemas.CanonicalEvent = {
    description,
    // Disjoint by `type`: a canonical type is one of the typed events, any other type the other.
    oneOf: [ref(typed), ref(other)],
  };
}
