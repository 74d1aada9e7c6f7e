import { Match, type Template } from 'aws-cdk-lib/assertions';
import { functions } from '../../shared/topology';
import { synthesized } from './synthesized';

let hub: Template;
beforeAll(() => {
  hub = synthesized().hub;
});

type Resources = Record<string, { Properties: Record<string, unknown> }>;

describe('the user pool and who may act on it', () => {
  it('lets no app client write the email that maps a sign-in to its hub user, nor any custom attribute', () => {
    const clients = Object.values(hub.findResources('AWS::Cognito::UserPoolClient') as Resources);
    expect(clients.length).toBeGreaterThan(0);
    for (const client of clients) {
      const writable = (client.Properties.WriteAttributes ?? []) as string[];
      // Unset would mean every attribute is writable.
      expect(writable.length).toBeGreaterThan(0);
      expect(writable).not.toContain('email');
      expect(writable.filter((a) => a.startsWith('custom:'))).toEqual([]);
    }
  });

  it("grants AdminUserGlobalSignOut on the pool, with the pool's id, to exactly the functions declaring user-pool:sign-out", () => {
    const signingOut = Object.entries(functions)
      .filter(([, spec]) => (spec.access as readonly string[]).includes('user-pool:sign-out'))
      .map(([, spec]) => spec.description);
    expect([...signingOut].sort()).toEqual(
      [functions.serveScim.description, functions.setUserStatus.description].sort(),
    );
    const fns = hub.findResources('AWS::Lambda::Function') as Resources;
    const withPool = Object.values(fns).filter(
      (f) => (f.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables?.USER_POOL_ID,
    );
    expect(withPool.map((f) => f.Properties.Description).sort()).toEqual([...signingOut].sort());
    const policies = hub.findResources('AWS::IAM::Policy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'cognito-idp:AdminUserGlobalSignOut',
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('UserPool'), 'Arn'] },
            }),
          ]),
        },
      },
    });
    const roles = Object.values(policies as Resources).flatMap(
      (policy) => policy.Properties.Roles as { Ref: string }[],
    );
    const fnRoles = Object.values(fns)
      .filter((f) => signingOut.includes(String(f.Properties.Description)))
      .map((f) => (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
    expect(roles.map((r) => r.Ref).sort()).toEqual(fnRoles.sort());
  });
});
