import { openApiDocument } from '../../../../shared/api/openapi';
import { PROVIDERS } from '../../../../shared/providers';

describe('the OpenAPI document of the SCIM discovery routes by id', () => {
  const doc = openApiDocument(PROVIDERS) as unknown as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: { name: string; in: string }[];
          responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
          security?: unknown[];
        }
      >
    >;
  };

  it.each([
    ['/scim/v2/ResourceTypes/{resourceTypeId}', 'resourceTypeId'],
    ['/scim/v2/Schemas/{schemaId}', 'schemaId'],
  ])('documents %s: its path parameter, the SCIM token, and a 404 in SCIM’s error schema', (path, param) => {
    const get = doc.paths[path]?.get;
    expect(get?.parameters?.some((p) => p.name === param && p.in === 'path')).toBe(true);
    expect(get?.security).toEqual([{ scimToken: [] }]);
    expect(get?.responses['200']?.content?.['application/scim+json']).toBeDefined();
    expect(get?.responses['404']?.content?.['application/scim+json']?.schema?.$ref).toMatch(/ScimError$/);
  });
});
