import type { Environment } from 'aws-cdk-lib';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DataStack } from './stacks/data-stack';
import { HubStack } from './stacks/hub-stack';

/** Builds the hub's CDK app: the data stack, the stateless stack, and cdk-nag's AWS Solutions checks. */
export function buildApp(
  app: App = new App(),
  env?: Environment,
): { app: App; data: DataStack; hub: HubStack } {
  const data = new DataStack(app, 'IntegrationHubData', {
    env,
    description: 'Integration Hub: tables and keys',
  });
  const hub = new HubStack(app, 'IntegrationHub', {
    env,
    data,
    description: 'Integration Hub: API, bus, workers',
    mail: {
      from: String(app.node.tryGetContext('mailFrom') ?? 'integration-hub@example.com'),
      acceptUrl: app.node.tryGetContext('invitationAcceptUrl') as string | undefined,
    },
  });
  Tags.of(app).add('application', 'integration-hub');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, data, hub };
}
