import * as z from 'zod';
import { tokenUrlOf } from '../../../../../shared/connectors/gitlab/credentials';
import { gitlabProvider } from '../../../../../shared/connectors/gitlab/module';
import type { CredentialKind } from '../../../../../shared/connectors/provider-module';

const kind = (name: string): CredentialKind => {
  const found = gitlabProvider.credentials.find((c) => c.kind === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
};
/** The fields the OpenAPI document (and so redaction and the CLI) will mark write-only. */
const writeOnly = (schema: z.ZodObject) => {
  const json = z.toJSONSchema(schema, { io: 'input' }) as {
    properties: Record<string, { writeOnly?: boolean }>;
  };
  return Object.entries(json.properties)
    .filter(([, p]) => p.writeOnly === true)
    .map(([k]) => k)
    .sort();
};

describe('the GitLab provider module', () => {
  it('describes gitlab.com as its default server and lets a connection point at a self-managed one', () => {
    expect(gitlabProvider).toMatchObject({
      id: 'gitlab',
      displayName: 'GitLab',
      api: { defaultBaseUrl: 'https://gitlab.com', customBaseUrl: true },
    });
    expect(gitlabProvider.sync?.role).toBe('codeHost');
    expect(gitlabProvider.webhook.docs.headers).toEqual(
      expect.arrayContaining(['X-Gitlab-Token', 'X-Gitlab-Event-UUID']),
    );
  });

  it('takes an access token, its secret write-only, and nothing else in the same object', () => {
    const { schema } = kind('gitlab_token');
    expect(writeOnly(schema)).toEqual(['token']);
    expect(schema.safeParse({ kind: 'gitlab_token', token: 'glpat-x' }).success).toBe(true);
    expect(schema.safeParse({ kind: 'gitlab_token', token: 'glpat-x', extra: 1 }).success).toBe(false);
    expect(schema.safeParse({ kind: 'gitlab_token', token: '' }).success).toBe(false);
  });

  it('takes an OAuth application whose secrets are write-only and whose token URL is held to the egress rules', () => {
    const oauth = kind('gitlab_oauth');
    expect(writeOnly(oauth.schema)).toEqual(['accessToken', 'clientSecret', 'refreshToken']);
    expect(oauth.urlFields).toEqual(['tokenUrl']);
    const parsed = oauth.schema.parse({
      kind: 'gitlab_oauth',
      clientId: 'a',
      clientSecret: 'b',
      refreshToken: 'c',
    }) as never;
    // Without a token URL the connection's own server's is used: gitlab.com's or the self-managed one's.
    expect(tokenUrlOf(parsed, 'https://gitlab.example.com/')).toBe('https://gitlab.example.com/oauth/token');
    expect(
      tokenUrlOf(
        { ...(parsed as object), tokenUrl: 'https://sso.example.com/oauth/token' } as never,
        'https://gitlab.com',
      ),
    ).toBe('https://sso.example.com/oauth/token');
    expect(
      oauth.schema.safeParse({
        kind: 'gitlab_oauth',
        clientId: 'a',
        clientSecret: 'b',
        refreshToken: 'c',
        tokenUrl: 'ftp://x',
      }).success,
    ).toBe(false);
  });

  it('asks for the AWS access a token refresh needs: reading and storing the credentials, encrypted', () => {
    expect([...gitlabProvider.access].sort()).toEqual([
      'domain-table:write',
      'secrets-key:decrypt',
      'secrets-key:encrypt',
    ]);
    expect(typeof gitlabProvider.tokens).toBe('function');
    expect(typeof gitlabProvider.probe).toBe('function');
  });
});
