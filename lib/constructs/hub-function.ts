import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/observability/names';
import type { FunctionName, FunctionSpec } from '../../shared/topology';
import { functions } from '../../shared/topology';

export interface HubFunctionProps {
  /** The function's entry in the topology: handler module, memory, timeout. */
  readonly name: FunctionName;
  /** Variables the handler's configuration reads. @default - none beyond the Powertools settings */
  readonly environment?: Readonly<Record<string, string>>;
  /** Log retention. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Powertools log level. @default 'INFO' */
  readonly logLevel?: string;
}

/** Repository root: bundling entry points are resolved against it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Cedar's WebAssembly module, which the bundle loads from beside itself (esbuild cannot inline it). */
const CEDAR_WASM = resolve(
  PROJECT_ROOT,
  'node_modules',
  '@cedar-policy',
  'cedar-wasm',
  'web',
  'cedar_wasm_bg.wasm',
);

const copyPolicyEngine: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (_input: string, output: string) => [`cp "${CEDAR_WASM}" "${output}/cedar_wasm_bg.wasm"`],
};

/**
 * Every hub Lambda: Node.js 22 on arm64, bundled as ESM by the local esbuild (no Docker), its own
 * log group with retention, X-Ray tracing (never of a response body) and Powertools settings.
 * Stacks never copy these.
 */
export class HubFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: HubFunctionProps) {
    super(scope, id);
    const spec: FunctionSpec = functions[props.name];
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: resolve(PROJECT_ROOT, spec.entry),
      handler: 'handler',
      description: spec.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: resolve(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
        // After the caller's variables, so no function can turn it back on: a handler's response
        // (a new API key, a webhook secret) must never be copied into X-Ray.
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // Bundle the AWS SDK too: pinned to the version the tests ran, and one tree-shaken file
        // initialises faster than the runtime's many-file copy (measured in bench/).
        externalModules: [],
        // Some CommonJS dependencies call require(); ESM output needs it defined.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        forceDockerBundling: false,
        ...(spec.policyEngine ? { commandHooks: copyPolicyEngine } : {}),
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the chosen runtime: the project builds, tests and runs locally on the same major.',
    });
  }
}
