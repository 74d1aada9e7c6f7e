import type { Environment } from 'aws-cdk-lib';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseRelyingParty } from '../shared/config/config';
import { parseAllowedRange } from '../shared/egress/address-policy';
import { DataStack } from './stacks/data-stack';
import { HubStack } from './stacks/hub-stack';

/**
 * The operator's private ranges for outbound calls (`-c egressAllowedRanges=10.20.0.0/16,...`),
 * checked as the functions will check them, so a malformed one fails the synth, not a cold start.
 */
function egressAllowedRanges(context: unknown): string[] {
  const ranges = (Array.isArray(context) ? context.map(String) : String(context ?? '').split(','))
    .map((r) => r.trim())
    .filter((r) => r !== '');
  for (const range of ranges) {
    try {
      parseAllowedRange(range);
    } catch (cause) {
      throw new Error(`Context egressAllowedRanges: ${(cause as Error).message}`, { cause });
    }
  }
  return ranges;
}

/**
 * The WebAuthn relying party (`-c passkeyRelyingPartyId=hub.example.com -c
 * passkeyOrigins=https://hub.example.com`), checked as the functions will check it.
 */
function passkeysOf(app: App): { passkeys?: { rpId: string; rpName?: string; origins: string[] } } {
  const rpId = app.node.tryGetContext('passkeyRelyingPartyId') as string | undefined;
  const originsContext = app.node.tryGetContext('passkeyOrigins') as unknown;
  if (!rpId) {
    if (originsContext) throw new Error('Context passkeyOrigins needs passkeyRelyingPartyId');
    return {};
  }
  const rpName = app.node.tryGetContext('passkeyRelyingPartyName') as string | undefined;
  const origins = Array.isArray(originsContext)
    ? originsContext.map(String)
    : String(originsContext ?? `https://${rpId}`).split(',');
  try {
    const relyingParty = parseRelyingParty({ rpId, rpName, origins: origins.join(',') });
    return {
      passkeys: {
        rpId: relyingParty.rpId,
        origins: [...relyingParty.origins],
        ...(rpName ? { rpName: relyingParty.rpName } : {}),
      },
    };
  } catch (cause) {
    throw new Error(`Context passkeyRelyingPartyId/passkeyOrigins: ${(cause as Error).message}`, { cause });
  }
}

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
      publicUrl: app.node.tryGetContext('publicUrl') as string | undefined,
    },
    egressAllowedRanges: egressAllowedRanges(app.node.tryGetContext('egressAllowedRanges')),
    ...passkeysOf(app),
  });
  Tags.of(app).add('application', 'integration-hub');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, data, hub };
}
