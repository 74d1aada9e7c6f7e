import { openApiDocument } from '../../../../shared/api/openapi';
import { PROVIDERS } from '../../../../shared/providers';

describe('the OpenAPI document of SSO sign-in', () => {
  const doc = openApiDocument(PROVIDERS) as unknown as {
    components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
    paths: Record<
      string,
      Record<
        string,
        {
          responses: Record<string, unknown>;
          description?: string;
          parameters?: { name: string }[];
          'x-permission'?: string;
        }
      >
    >;
  };

  it("documents the reset of a user's subject binding, with its permission, parameters and answers", () => {
    const reset = doc.paths['/v1/orgs/{orgId}/sso-connections/{ssoConnectionId}/subjects/{userId}']?.delete;
    expect(reset?.['x-permission']).toBe('sso:manage');
    expect(reset?.parameters?.map((p) => p.name)).toEqual(['orgId', 'ssoConnectionId', 'userId']);
    expect(Object.keys(reset?.responses ?? {})).toEqual(expect.arrayContaining(['204', '401', '403', '404']));
    expect(reset?.description).toContain('sso_subject.unbound');
  });

  it('names the new refusals an admin reads in the failures', () => {
    const reasons = doc.components.schemas.SignInFailure?.properties?.reason?.enum ?? [];
    expect(reasons).toEqual(
      expect.arrayContaining(['browser_mismatch', 'subject_mismatch', 'subject_bound_to_other_user']),
    );
    expect(doc.paths['/sso/saml/{ssoConnectionId}/acs']?.post?.description).toContain('browser_mismatch');
  });
});
