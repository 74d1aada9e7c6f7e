import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { startFakeGithub } from '../fakes/github';

/**
 * The fakes answer as the providers do: every response shape they produce is validated against
 * GitHub's published OpenAPI description (`@octokit/openapi`). The Jira fake's answers are parsed
 * by jira.js's schemas, generated from Jira's own description, in the e2e tests.
 */
const require = createRequire(import.meta.url);
const spec = require('@octokit/openapi/generated/api.github.com.json') as {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content: Record<string, { schema: unknown }> }> }>
  >;
  components: Record<string, unknown>;
};
const examples = require('@octokit/webhooks-examples') as {
  name: string;
  examples: Record<string, unknown>[];
}[];

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// OpenAPI 3.0 `nullable`, which Ajv understands, and the components the paths refer to.
ajv.addSchema({ $id: 'github', components: spec.components });

function validator(path: string, method: string, status: string) {
  const schema = spec.paths[path]?.[method]?.responses[status]?.content['application/json']?.schema;
  if (!schema) throw new Error(`No ${method.toUpperCase()} ${path} ${status} in the spec`);
  // Relative refs resolve against the components added above.
  const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"github#/components/'));
  return ajv.compile(rewritten);
}

describe("the GitHub fake, against GitHub's OpenAPI description", () => {
  it('issues installation tokens in the shape GitHub does', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const fake = await startFakeGithub({ appId: '1', publicKey, installationId: 2 });
    const validate = validator('/app/installations/{installation_id}/access_tokens', 'post', '201');
    expect({ valid: validate(fake.samples.accessToken), errors: validate.errors }).toEqual({
      valid: true,
      errors: null,
    });
    await fake.stop();
  });

  it("lists the installation's repositories in the shape GitHub does, repositories from GitHub's own examples", async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const repository = examples.find((e) => e.name === 'issues')?.examples[0]?.repository;
    const fake = await startFakeGithub({ appId: '1', publicKey, installationId: 2 }, [repository]);
    const validate = validator('/installation/repositories', 'get', '200');
    const ok = validate(fake.samples.installationRepositories);
    expect({ ok, errors: ajv.errorsText(validate.errors) }).toEqual({ ok: true, errors: 'No errors' });
    // And a wrong shape is caught: the check is not vacuous.
    expect(validate({ total_count: '1', repositories: [{}] })).toBe(false);
    await fake.stop();
  });
});
