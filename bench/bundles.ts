import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { functions } from '../shared/topology';
import { summarise } from './stats';

interface LambdaResource {
  Type: string;
  Properties: { Description?: string };
  Metadata?: Record<string, string>;
}

export interface BundleFigure {
  readonly name: string;
  readonly bytes: number;
  readonly initMsMedian: number;
}

/**
 * Synthesizes the app (bundling every function with esbuild, as `cdk deploy` would), then measures
 * each bundle's size and its module init time in a fresh Node.js 22 process: the part of a cold
 * start that is the hub's own code.
 */
export function measureBundles(root: string, runs = 5): BundleFigure[] {
  // Inside the project, so any import a bundle leaves external resolves as it would in Lambda.
  mkdirSync(join(root, '.bench'), { recursive: true });
  const out = mkdtempSync(join(root, '.bench', 'cdk-'));
  const synth = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bin', 'app.ts')], {
    cwd: root,
    // The CLI asks for asset metadata this way; it maps each function to its bundle.
    env: {
      ...process.env,
      CDK_OUTDIR: out,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:enable-asset-metadata': true }),
    },
    encoding: 'utf8',
  });
  if (synth.status !== 0) throw new Error(`synth failed:\n${synth.stderr}`);
  const template = JSON.parse(readFileSync(join(out, 'IntegrationHub.template.json'), 'utf8')) as {
    Resources: Record<string, LambdaResource>;
  };
  const figures: BundleFigure[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const name = Object.entries(functions).find(
      ([, spec]) => spec.description === resource.Properties.Description,
    )?.[0];
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (!name || !assetPath) continue;
    const bundle = join(out, assetPath, 'index.mjs');
    const inits: number[] = [];
    for (let i = 0; i < runs; i++) {
      const run = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const t = performance.now(); await import(${JSON.stringify(`file://${bundle}`)}); console.log(performance.now() - t);`,
        ],
        { env: { ...process.env, ...lambdaLikeEnv }, encoding: 'utf8' },
      );
      if (run.status !== 0) throw new Error(`${name} failed to initialise:\n${run.stderr}`);
      inits.push(Number(run.stdout.trim()));
    }
    figures.push({ name, bytes: statSync(bundle).size, initMsMedian: summarise(inits).p50 });
  }
  rmSync(out, { recursive: true, force: true });
  return figures.sort((a, b) => a.name.localeCompare(b.name));
}

/** Configuration as Lambda would have it; init makes no network call, so these need not exist. */
const lambdaLikeEnv = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  DOMAIN_TABLE_NAME: 'hub-domain',
  AUDIT_TABLE_NAME: 'hub-audit',
  IDEMPOTENCY_TABLE_NAME: 'hub-idempotency',
  EVENT_BUS_NAME: 'hub-events',
  SECRETS_KEY_ID: 'alias/hub-secrets',
  MAIL_FROM: 'integration-hub@example.com',
  QUEUE_URLS: '{"events":"https://sqs.us-east-1.amazonaws.com/000000000000/hub-events"}',
  TENANT_ROLE_ARN: 'arn:aws:iam::000000000000:role/hub-tenant-data',
  COGNITO_USER_POOL_ID: 'us-east-1_bench0000',
  COGNITO_CLIENT_ID: 'bench',
  USER_POOL_ID: 'us-east-1_bench0000',
  CLAIMS_BUCKET_NAME: 'hub-claims',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
};
