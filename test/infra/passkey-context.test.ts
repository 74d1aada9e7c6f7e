import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { functions } from '../../shared/topology';

const app = (context: Record<string, unknown>) =>
  buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } }));

describe("passkeys' relying party", () => {
  it('reaches the passkey functions alone from CDK context, and a malformed one fails the synth', () => {
    const fns = Template.fromStack(
      app({
        passkeyRelyingPartyId: 'hub.example.com',
        passkeyOrigins: 'https://hub.example.com,https://app.hub.example.com',
        passkeyRelyingPartyName: 'Acme Hub',
      }).hub,
    ).findResources('AWS::Lambda::Function');
    const withRelyingParty = Object.values(fns).flatMap((f) => {
      const { Description, Environment } = (
        f as { Properties: { Description: string; Environment?: { Variables?: Record<string, unknown> } } }
      ).Properties;
      const variables = Environment?.Variables ?? {};
      return variables.PASSKEY_RP_ID ? [{ Description, variables }] : [];
    });
    expect(withRelyingParty.map((f) => f.Description).sort()).toEqual(
      [functions.manageSessions.description, functions.ssoSignIn.description].sort(),
    );
    for (const { variables } of withRelyingParty)
      expect(variables).toMatchObject({
        PASSKEY_RP_ID: 'hub.example.com',
        PASSKEY_ORIGINS: 'https://hub.example.com,https://app.hub.example.com',
        PASSKEY_RP_NAME: 'Acme Hub',
      });

    expect(() =>
      app({ passkeyRelyingPartyId: 'hub.example.com', passkeyOrigins: 'http://hub.example.com' }),
    ).toThrow(/passkeyRelyingPartyId/);
    expect(() =>
      app({ passkeyRelyingPartyId: 'hub.example.com', passkeyOrigins: 'https://evil.example' }),
    ).toThrow(/not on hub.example.com/);
    expect(() => app({ passkeyOrigins: 'https://hub.example.com' })).toThrow(/needs passkeyRelyingPartyId/);
  });
});
