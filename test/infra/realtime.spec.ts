import { Match } from 'aws-cdk-lib/assertions';
import { functions, realtime } from '../../shared/topology';
import { type Synthesized, synthesized } from './synthesized';

/** Synthesizes the real app, with cdk-nag, without bundling the functions. */
let t: Synthesized;
beforeAll(() => {
  t = synthesized();
});

/** The logical id of the Lambda function the topology names, by its description. */
function functionId(name: keyof typeof functions): string {
  const found = Object.entries(t.hub.findResources('AWS::Lambda::Function')).find(
    ([, r]) =>
      (r as { Properties: { Description: string } }).Properties.Description === functions[name].description,
  );
  if (!found) throw new Error(`No function ${name}`);
  return found[0];
}

describe('the real-time API in the synthesized stack', () => {
  it('is a WebSocket API whose $connect, $disconnect and $default routes reach the function the topology names', () => {
    t.hub.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    t.hub.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' });
    for (const [key, fn] of Object.entries(realtime.routes)) {
      t.hub.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: key,
        ...(key === '$default' ? { RouteResponseSelectionExpression: '$default' } : {}),
      });
      t.hub.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: Match.objectLike({
          'Fn::Join': Match.arrayWith([Match.arrayWith([{ 'Fn::GetAtt': [functionId(fn), 'Arn'] }])]),
        }),
      });
    }
  });

  it('has a stage with JSON access logs and throttling', () => {
    t.hub.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'v1',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"connectionId"'),
      },
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
  });

  it('lets only the fan-out post to the stage connections, and names the endpoint in its environment', () => {
    const statements = Object.entries(t.hub.findResources('AWS::IAM::Policy')).flatMap(([, p]) =>
      (
        p as {
          Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: { Action: unknown }[] } };
        }
      ).Properties.PolicyDocument.Statement.filter((s) => s.Action === 'execute-api:ManageConnections').map(
        (s) => ({ roles: p.Properties.Roles, statement: s }),
      ),
    );
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0]?.statement)).toContain('/v1/POST/@connections/*');
    expect(JSON.stringify(statements[0]?.statement)).toContain('/v1/DELETE/@connections/*');
    const push = t.hub.toJSON().Resources[functionId('pushRealtimeEvents')];
    expect(push.Properties.Environment.Variables.REALTIME_ENDPOINT).toBeDefined();
    expect(statements[0]?.roles).toEqual([{ Ref: push.Properties.Role['Fn::GetAtt'][0] }]);
    const connections = t.hub.toJSON().Resources[functionId('realtimeConnections')];
    expect(connections.Properties.Environment.Variables.REALTIME_ENDPOINT).toBeUndefined();
  });

  it('outputs the clients URL', () => {
    t.hub.hasOutput('RealtimeUrl', { Value: Match.anyValue() });
  });

  it('passes cdk-nag with the routes acknowledged (the $connect function authenticates)', () => {
    expect(() => t.app.synth({ force: true })).not.toThrow();
  });
});
