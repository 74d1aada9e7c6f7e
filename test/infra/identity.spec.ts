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
    // Deactivating a user, revoking a user's sessions and SCIM deprovisioning sign them out of the pool.
    expect([...signingOut].sort()).toEqual(
      [
        functions.setUserStatus.description,
        functions.manageSessions.description,
        functions.serveScim.description,
      ].sort(),
    );
    const fns = hub.findResources('AWS::Lambda::Function') as Resources;
    const withPool = Object.values(fns).filter(
      (f) => (f.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables?.USER_POOL_ID,
    );
    // The pool's id goes to the functions that sign users out or issue their sessions, no others.
    const withPoolAccess = Object.values(functions)
      .filter((spec) =>
        (spec.access as readonly string[]).some(
          (a) => a === 'user-pool:sign-out' || a === 'user-pool:custom-auth',
        ),
      )
      .map((spec) => spec.description);
    expect(withPool.map((f) => f.Properties.Description).sort()).toEqual(withPoolAccess.sort());
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
    const roles = Object.values(policies as Resources).flatMap((p) =>
      (p.Properties.Roles as { Ref: string }[]).map((r) => r.Ref),
    );
    const fnRoles = Object.values(fns)
      .filter((f) => signingOut.includes(f.Properties.Description as string))
      .map((f) => (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
    expect(roles.sort()).toEqual(fnRoles.sort());
  });

  it('signs SSO sign-ins in by custom auth: the three challenge triggers on the pool, the flow on the app client', () => {
    const pools = Object.values(hub.findResources('AWS::Cognito::UserPool') as Resources);
    expect(pools).toHaveLength(1);
    const config = pools[0]?.Properties.LambdaConfig as Record<string, { 'Fn::GetAtt': [string, string] }>;
    const fns = hub.findResources('AWS::Lambda::Function') as Resources;
    const described = (logicalId: string | undefined) =>
      logicalId ? fns[logicalId]?.Properties.Description : undefined;
    expect(described(config.DefineAuthChallenge?.['Fn::GetAtt'][0])).toBe(
      functions.defineAuthChallenge.description,
    );
    expect(described(config.CreateAuthChallenge?.['Fn::GetAtt'][0])).toBe(
      functions.createAuthChallenge.description,
    );
    expect(described(config.VerifyAuthChallengeResponse?.['Fn::GetAtt'][0])).toBe(
      functions.verifyAuthChallenge.description,
    );
    const clients = Object.values(hub.findResources('AWS::Cognito::UserPoolClient') as Resources);
    for (const client of clients) {
      expect(client.Properties.ExplicitAuthFlows).toEqual(
        expect.arrayContaining(['ALLOW_CUSTOM_AUTH', 'ALLOW_USER_SRP_AUTH']),
      );
      // And the CLI's password sign-in (`hub login`): to the pool's endpoint over TLS, where the
      // threat protection sees it as it sees SRP; never admin password auth (no client holds IAM).
      expect(client.Properties.ExplicitAuthFlows).toContain('ALLOW_USER_PASSWORD_AUTH');
      expect(client.Properties.ExplicitAuthFlows).not.toContain('ALLOW_ADMIN_USER_PASSWORD_AUTH');
    }
  });

  it('lets only the functions declaring user-pool:custom-auth make pool users and sign them in', () => {
    const customAuth = [
      'cognito-idp:AdminInitiateAuth',
      'cognito-idp:AdminRespondToAuthChallenge',
      'cognito-idp:AdminCreateUser',
    ];
    const policies = Object.values(hub.findResources('AWS::IAM::Policy') as Resources);
    const fns = hub.findResources('AWS::Lambda::Function') as Resources;
    const roleOf = (f: { Properties: Record<string, unknown> }) =>
      (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const granted = new Set<string>();
    for (const policy of policies) {
      const statements = (policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] })
        .Statement;
      const actions = statements.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
      if (!actions.some((a) => customAuth.includes(a))) continue;
      for (const role of policy.Properties.Roles as { Ref: string }[]) granted.add(role.Ref);
    }
    const declaring = Object.values(fns)
      .filter((f) =>
        Object.values(functions).some(
          (spec) =>
            spec.description === f.Properties.Description &&
            (spec.access as readonly string[]).includes('user-pool:custom-auth'),
        ),
      )
      .map(roleOf);
    expect([...granted].sort()).toEqual(declaring.sort());
    // The triggers themselves call no Cognito API.
    for (const name of ['defineAuthChallenge', 'createAuthChallenge', 'verifyAuthChallenge'] as const) {
      const role = Object.values(fns).find((f) => f.Properties.Description === functions[name].description);
      expect(role && granted.has(roleOf(role))).toBe(false);
    }
  });

  it("writes passkeys' platform items from their functions' own roles only: lookups by the sessions function (and the purge), sign-in challenges by the sign-in function", () => {
    const policies = Object.values(hub.findResources('AWS::IAM::Policy') as Resources);
    const fns = hub.findResources('AWS::Lambda::Function') as Resources;
    const roleOf = (f: { Properties: Record<string, unknown> }) =>
      (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const fnRoles = new Map(Object.values(fns).map((f) => [roleOf(f), String(f.Properties.Description)]));
    const writers = (prefix: string) => {
      const found = new Set<string>();
      for (const policy of policies) {
        const statements = (
          policy.Properties.PolicyDocument as {
            Statement: { Action: string | string[]; Condition?: Record<string, Record<string, unknown>> }[];
          }
        ).Statement;
        const writes = statements.some((st) => {
          const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
          const keys = st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
          return (
            actions.includes('dynamodb:PutItem') &&
            (Array.isArray(keys) ? keys : [keys]).includes(`${prefix}*`)
          );
        });
        if (!writes) continue;
        for (const role of policy.Properties.Roles as { Ref: string }[]) {
          const fn = fnRoles.get(role.Ref);
          if (fn) found.add(fn);
        }
      }
      return [...found].sort();
    };
    expect(writers('P#PASSKEY#')).toEqual(
      [functions.manageSessions.description, functions.purgeDeletedOrgs.description].sort(),
    );
    expect(writers('P#PASSKEYCHAL#')).toEqual([functions.ssoSignIn.description]);
  });
});
