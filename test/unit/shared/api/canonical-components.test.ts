import { openApiDocument } from '../../../../shared/api/openapi';
import { CANONICAL_DATA } from '../../../../shared/events/canonical';
import { PROVIDERS } from '../../../../shared/providers';

describe('the OpenAPI document and the canonical event model', () => {
  it('has every canonical data schema as a component, with the shapes it names', () => {
    const schemas = (openApiDocument(PROVIDERS).components?.schemas ?? {}) as Record<
      string,
      Record<string, unknown>
    >;
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
});
