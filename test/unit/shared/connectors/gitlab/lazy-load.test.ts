import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..', '..');

/**
 * Runs in a fresh Node.js process (the module registry of a cold start), counting how often
 * `@gitbeaker/rest` is resolved: after the webhook part verified and normalised a delivery, and
 * after the first client was built.
 */
const script = `
import { registerHooks } from 'node:module';
let resolved = 0;
registerHooks({
  resolve(spec, ctx, next) {
    if (spec.startsWith('@gitbeaker/rest')) resolved += 1;
    return next(spec, ctx);
  },
});
const root = ${JSON.stringify(ROOT)};
const { gitlabProvider } = await import(root + '/shared/connectors/gitlab/module.ts');
const headers = { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 's', 'x-gitlab-event-uuid': 'u' };
const delivery = { orgId: 'o', connectionId: 'c', headers, body: '{"object_kind":"push"}', receivedAt: new Date(), correlationId: 'x' };
await gitlabProvider.webhook.verify('s', delivery);
gitlabProvider.webhook.normalise(delivery, 'u');
const atInit = resolved;
const { gitlabApi } = await import(root + '/shared/connectors/gitlab/client.ts');
const api = await gitlabApi({ id: 'c', orgId: 'o', config: { baseUrl: 'https://gitlab.example.com' } }, { kind: 'gitlab_token', token: 't' });
console.log(JSON.stringify({ atInit, afterClient: resolved, built: typeof api.issues.create }));
`;

describe('the GitLab module in a bundle', () => {
  it('loads @gitbeaker/rest only when the first client is built, not to verify or normalise webhooks', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.stderr).not.toMatch(/Error/);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({
      atInit: 0,
      afterClient: 1,
      built: 'function',
    });
  }, 30_000);
});
