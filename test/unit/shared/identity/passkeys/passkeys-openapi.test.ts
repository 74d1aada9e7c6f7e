import { openApiDocument } from '../../../../../shared/api/openapi';
import { PROVIDERS } from '../../../../../shared/providers';

describe('the OpenAPI document of passkeys', () => {
  const doc = openApiDocument(PROVIDERS) as unknown as {
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    paths: Record<
      string,
      Record<string, { responses: Record<string, unknown>; security?: unknown[]; 'x-permission'?: string }>
    >;
  };

  it("documents the user's own passkey routes, and the public sign-in ones without a credential", () => {
    expect(doc.paths['/v1/orgs/{orgId}/me/passkeys/registration-options']?.post?.['x-permission']).toBe(
      'org:read',
    );
    expect(Object.keys(doc.paths['/v1/orgs/{orgId}/me/passkeys']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '404', '409']),
    );
    expect(doc.paths['/v1/orgs/{orgId}/me/passkeys/{passkeyId}']?.delete?.responses).toHaveProperty('409');
    for (const path of ['/sso/passkey/options', '/sso/passkey/verify']) {
      expect(doc.paths[path]?.post?.security).toEqual([]);
      expect(doc.paths[path]?.post?.['x-permission']).toBeUndefined();
    }
    expect(JSON.stringify(doc.paths['/sso/passkey/verify']?.post?.responses['200'])).toContain(
      'IssuedSession',
    );
  });

  it('shows a passkey without its public key or credential id', () => {
    const passkey = doc.components.schemas.Passkey?.properties ?? {};
    expect(Object.keys(passkey)).toEqual(expect.arrayContaining(['id', 'name', 'createdAt', 'lastUsedAt']));
    expect(passkey).not.toHaveProperty('publicKey');
    expect(passkey).not.toHaveProperty('credentialId');
  });
});
