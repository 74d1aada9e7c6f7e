import { openApiDocument } from '../../../../shared/api/openapi';
import { PROVIDERS } from '../../../../shared/providers';

describe('the OpenAPI document of approvals', () => {
  const doc = openApiDocument(PROVIDERS) as unknown as {
    components: { schemas: Record<string, Record<string, unknown>> };
    paths: Record<
      string,
      Record<string, { responses: Record<string, unknown>; requestBody?: unknown; tags?: string[] }>
    >;
  };

  it('documents each route with its body, its answers and the 409 a late answer gets', () => {
    const collection = doc.paths['/v1/orgs/{orgId}/approvals'];
    expect(JSON.stringify(collection?.post?.requestBody)).toContain('RequestApprovalRequest');
    expect(Object.keys(collection?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '429']),
    );
    expect(collection?.get?.tags).toEqual(['Approvals']);
    const answer = doc.paths['/v1/orgs/{orgId}/approvals/{approvalId}/answer']?.post;
    expect(JSON.stringify(answer?.responses['409'])).toMatch(/already decided by/);
    expect(doc.paths['/v1/orgs/{orgId}/approvals/{approvalId}/cancel']?.post?.responses).toHaveProperty(
      '403',
    );
  });

  it('documents the approval events in the canonical model', () => {
    expect(doc.components.schemas.ApprovalEventData?.description).toMatch(/approval\.decided/);
    expect(doc.components.schemas).toHaveProperty('Approval');
  });
});
