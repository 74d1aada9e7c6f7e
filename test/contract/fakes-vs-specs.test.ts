import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { startFakeGithub } from '../fakes/github';
import { responseProblems } from '../fakes/github-spec';

/**
 * The fakes answer as the providers do: the GitHub fake's answers are validated against GitHub's
 * published OpenAPI description (`@octokit/openapi`). The Jira fake's answers are parsed by jira.js's
 * schemas, generated from Jira's own description, in the e2e tests.
 */
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: Record<string, unknown>[];
}[];

describe("the GitHub fake, against GitHub's OpenAPI description", () => {
  it('issues installation tokens in the shape GitHub does', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const fake = await startFakeGithub({ appId: '1', publicKey, installationId: 2 });
    expect(
      responseProblems(
        '/app/installations/{installation_id}/access_tokens',
        'post',
        201,
        fake.samples.accessToken,
      ),
    ).toBeNull();
    await fake.stop();
  });

  it("lists the installation's repositories in the shape GitHub does, repositories from GitHub's own examples", async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const repository = examples.find((e) => e.name === 'issues')?.examples[0]?.repository;
    const fake = await startFakeGithub({ appId: '1', publicKey, installationId: 2 }, [repository]);
    const path = '/installation/repositories';
    expect(responseProblems(path, 'get', 200, fake.samples.installationRepositories)).toBeNull();
    // And a wrong shape is caught: the check is not vacuous.
    expect(responseProblems(path, 'get', 200, { total_count: '1', repositories: [{}] })).not.toBeNull();
    await fake.stop();
  });
});
