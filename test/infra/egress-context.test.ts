import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';

const app = (context: Record<string, unknown>) =>
  buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } }));

describe('operator-allowed egress ranges', () => {
  it('reach every function from CDK context, and a malformed range fails the synth', () => {
    const functions = Template.fromStack(
      app({ egressAllowedRanges: '10.20.0.0/16, fd00:1::/48' }).hub,
    ).findResources('AWS::Lambda::Function');
    const environments = Object.values(functions).map(
      (f) =>
        (f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties
          .Environment?.Variables ?? {},
    );
    const hubFunctions = environments.filter((v) => 'DOMAIN_TABLE_NAME' in v);
    expect(hubFunctions.length).toBeGreaterThan(10);
    for (const variables of hubFunctions)
      expect(variables.EGRESS_ALLOWED_RANGES).toBe('10.20.0.0/16,fd00:1::/48');
    // Nothing a deployment sets lets functions reach loopback: that is the local runtime's alone.
    for (const variables of environments) expect(variables).not.toHaveProperty('EGRESS_ALLOW_LOOPBACK');

    expect(() => app({ egressAllowedRanges: '169.254.0.0/16' })).toThrow(/egressAllowedRanges/);
    expect(() => app({ egressAllowedRanges: '10.20.0.0' })).toThrow(/egressAllowedRanges/);
  });
});
