import { openApiDocument } from '../../../../shared/api/openapi';
import { PROVIDERS } from '../../../../shared/providers';

describe('the OpenAPI document of sessions', () => {
  const doc = openApiDocument(PROVIDERS) as unknown as {
    components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    paths: Record<
      string,
      Record<string, { responses: Record<string, unknown>; tags?: string[]; 'x-permission'?: string }>
    >;
  };

  it("documents the user's own routes and the admin's, with their permissions and answers", () => {
    const mine = doc.paths['/v1/orgs/{orgId}/me/sessions'];
    expect(mine?.get?.tags).toEqual(['Sessions']);
    expect(JSON.stringify(mine?.get?.responses['200'])).toContain('SessionList');
    expect(Object.keys(mine?.delete?.responses ?? {})).toEqual(expect.arrayContaining(['204', '401', '503']));
    expect(doc.paths['/v1/orgs/{orgId}/me/sessions/{sessionId}']?.delete?.responses).toHaveProperty('404');
    const theirs = doc.paths['/v1/orgs/{orgId}/users/{userId}/sessions'];
    expect([theirs?.get?.['x-permission'], theirs?.delete?.['x-permission']]).toEqual([
      'sessions:manage',
      'sessions:manage',
    ]);
    expect(mine?.get?.['x-permission']).toBe('org:read');
  });

  it('shows a session with what it was signed in with, from where, and whether it is the current one', () => {
    const session = doc.components.schemas.Session;
    expect(Object.keys(session?.properties ?? {})).toEqual(
      expect.arrayContaining(['id', 'signInMethod', 'userAgent', 'ip', 'startedAt', 'lastSeenAt', 'current']),
    );
    expect(session?.properties).not.toHaveProperty('revokedAt');
    expect(doc.components.schemas.OrgSettings?.properties).toHaveProperty('sessionIdleMinutes');
  });
});
