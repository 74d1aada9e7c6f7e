import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../../../shared/api/openapi';
import { CANONICAL_DATA, CANONICAL_TYPES } from '../../../../shared/events/canonical';
import type { CanonicalEvent } from '../../../../shared/events/canonical-event';
import { domainEventFromInsert } from '../../../../shared/events/domain-change';
import { sampleEvent } from '../../../../shared/notify/rules/sample-event';
import { PROVIDERS } from '../../../../shared/providers';
import { aCanonicalEvent } from '../../../support/builders';

type Schema = Record<string, unknown>;
const schemas = (openApiDocument(PROVIDERS).components?.schemas ?? {}) as Record<string, Schema>;
const ref = (id: string) => `#/components/schemas/${id}`;

/** A JSON Schema 2020-12 validator (OpenAPI 3.1's dialect) of the document's CanonicalEvent. */
function documentValidator() {
  // Not strict: OpenAPI's own keywords (`discriminator`, `example`) are annotations to JSON Schema.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', components: { schemas } });
  return ajv.compile({ $ref: `doc${ref('CanonicalEvent')}` });
}

describe('the OpenAPI document and the canonical event model', () => {
  it('has every canonical data schema as a component, with the shapes it names', () => {
    const ids = [...new Set(Object.values(CANONICAL_DATA).map((s) => String(s.meta()?.id)))];
    expect(ids).toEqual(
      expect.arrayContaining([
        'WorkItemEventData',
        'CommentEventData',
        'PullRequestEventData',
        'PushEventData',
      ]),
    );
    for (const id of ids) expect({ id, schema: schemas[id] }).toEqual({ id, schema: expect.any(Object) });
    // Shared shapes are components of their own, referenced where they are used.
    for (const id of ['WorkItem', 'Person', 'PullRequest', 'WorkItemStatus', 'FieldChange'])
      expect({ id, schema: schemas[id] }).toEqual({ id, schema: expect.any(Object) });
    expect(JSON.stringify(schemas.WorkItemEventData)).toContain('#/components/schemas/WorkItem');
    expect(schemas.WorkItemStatus).toMatchObject({
      properties: { category: { enum: ['todo', 'in_progress', 'done'] } },
    });
  });

  it("ties CanonicalEvent's data to its type's component: one of the typed events by a discriminator on type, or one of another type", () => {
    expect(schemas.CanonicalEvent).toMatchObject({
      oneOf: [{ $ref: ref('CanonicalTypedEvent') }, { $ref: ref('OtherEvent') }],
    });
    const typed = schemas.CanonicalTypedEvent as {
      oneOf: { $ref: string }[];
      discriminator: { propertyName: string; mapping: Record<string, string> };
    };
    expect(typed.discriminator.propertyName).toBe('type');
    // Every canonical type maps to one branch of the oneOf, whose data is that type's component.
    expect(Object.keys(typed.discriminator.mapping).sort()).toEqual([...CANONICAL_TYPES].sort());
    for (const type of CANONICAL_TYPES) {
      const target = typed.discriminator.mapping[type] ?? '';
      expect(typed.oneOf).toContainEqual({ $ref: target });
      const branch = schemas[target.replace(ref(''), '')] as { allOf: Schema[] };
      expect(branch.allOf[0]).toEqual({ $ref: ref('CanonicalEventEnvelope') });
      expect(branch.allOf[1]).toMatchObject({
        properties: {
          type: { enum: expect.arrayContaining([type]) },
          data: { anyOf: [{ $ref: ref(String(CANONICAL_DATA[type].meta()?.id)) }, expect.any(Object)] },
        },
      });
    }
    // The envelope keeps every field; the event feed still refers to CanonicalEvent.
    expect(Object.keys((schemas.CanonicalEventEnvelope?.properties as Schema) ?? {})).toEqual(
      expect.arrayContaining(['id', 'type', 'source', 'data', 'raw', 'claim']),
    );
    expect(JSON.stringify(schemas.EventPage)).toContain(ref('CanonicalEvent'));
  });

  it("accepts every canonical type with its own data, and refuses one with another type's data", () => {
    const validate = documentValidator();
    const at = new Date('2026-03-01T10:00:00.000Z');
    for (const type of CANONICAL_TYPES) {
      const event = sampleEvent('org_01J00000000000000000000000', type, {}, at);
      expect({ type, valid: validate(event), errors: validate.errors ?? null }).toEqual({
        type,
        valid: true,
        errors: null,
      });
    }
    const pr = sampleEvent('org_01J00000000000000000000000', 'pull_request.merged', {}, at);
    const workItem = sampleEvent('org_01J00000000000000000000000', 'work_item.created', {}, at);
    expect(validate({ ...workItem, data: pr.data })).toBe(false);
    expect(validate({ ...pr, type: 'work_item.created' })).toBe(false);
  });

  it("accepts a sender's custom event and the hub's announcements with their data, and a claim-checked event with none", () => {
    const validate = documentValidator();
    const custom: CanonicalEvent = aCanonicalEvent({ type: 'custom.build.done', data: { anything: [1] } });
    expect(validate(custom)).toBe(true);
    const at = new Date('2026-03-01T10:00:00.000Z');
    const announced = domainEventFromInsert(
      {
        PK: 'T#org_01J00000000000000000000000#CON',
        id: 'con_01J00000000000000000000000',
        provider: 'gitlab',
        name: 'GitLab',
        status: 'active',
        createdAt: at.toISOString(),
      },
      'stream-1',
      at,
    );
    expect(announced?.type).toBe('connection.created');
    expect(validate(announced)).toBe(true);
    const claimed = aCanonicalEvent({
      type: 'work_item.updated',
      data: {},
      claim: { key: 'claims/evt', bytes: 300_000, sha256: 'ab' },
    });
    expect(validate(claimed)).toBe(true);
    // The envelope still holds: no field it does not name, and its type's form.
    expect(validate({ ...custom, extra: true })).toBe(false);
    expect(validate({ ...custom, type: 'Not A Type' })).toBe(false);
  });
});
