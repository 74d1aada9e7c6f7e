import { Match, type Template } from 'aws-cdk-lib/assertions';
import { RETENTION_CLASSES, RETENTION_TAG, retentionClass } from '../../shared/tenancy/retention';
import type { FunctionName, ResourceAccess } from '../../shared/topology';
import { functions } from '../../shared/topology';
import { synthesized } from './synthesized';

let data: Template;
let hub: Template;
beforeAll(() => {
  ({ data, hub } = synthesized());
});

const withAccess = (kind: ResourceAccess) =>
  (Object.keys(functions) as FunctionName[]).filter((name) =>
    (functions[name].access as readonly ResourceAccess[]).includes(kind),
  );

/** The IAM statements of a function's own role, found by the function's description. */
function statementsOf(
  name: FunctionName,
): { Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  const fns = hub.findResources('AWS::Lambda::Function', {
    Properties: { Description: functions[name].description },
  });
  const role = (Object.values(fns)[0] as { Properties: { Role: { 'Fn::GetAtt': [string] } } }).Properties
    .Role['Fn::GetAtt'][0];
  const policies = hub.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: role }]) },
  });
  return Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: never[] } } }).Properties.PolicyDocument.Statement,
  );
}

const actionsOf = (name: FunctionName) =>
  statementsOf(name).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('the claim-check bucket', () => {
  it("encrypts with the hub's data key, blocks public access, refuses plain HTTP and logs access", () => {
    data.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
            BucketKeyEnabled: true,
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'claims/' },
      LifecycleConfiguration: {
        Rules: RETENTION_CLASSES.map((days) =>
          Match.objectLike({
            ExpirationInDays: days,
            Status: 'Enabled',
            TagFilters: [{ Key: RETENTION_TAG, Value: String(days) }],
          }),
        ),
      },
    });
    data.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it("expires each object with its org's retention class, and nothing untagged before its time", () => {
    expect(RETENTION_CLASSES.map(retentionClass)).toEqual([...RETENTION_CLASSES]);
    // Rounded up: an org keeping 31 days has its objects kept 60, never 30.
    expect(retentionClass(31)).toBe(60);
    expect(retentionClass(2555)).toBe(2555);
    expect(retentionClass(3000)).toBe(3650);
  });

  it('keeps the bus archive a year', () => {
    hub.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 365 });
  });

  it('lets publishers put, workers get and the org purge list and delete objects under a tenant prefix only, and names the bucket to them alone', () => {
    const writers = withAccess('claims-bucket:write');
    const readers = withAccess('claims-bucket:read');
    const purgers = withAccess('claims-bucket:purge');
    expect(purgers).toEqual(['purgeDeletedOrgs']);
    expect(writers).toEqual(expect.arrayContaining(['receiveWebhook', 'publishChanges']));
    expect(readers).toEqual(expect.arrayContaining(['storeEvent', 'syncWorkItems', 'sendInvitationMail']));
    for (const name of Object.keys(functions) as FunctionName[]) {
      const actions = actionsOf(name);
      expect([name, actions.includes('s3:PutObject')]).toEqual([name, writers.includes(name)]);
      expect([name, actions.includes('s3:GetObject')]).toEqual([name, readers.includes(name)]);
      // The purge alone lists and deletes.
      expect([
        name,
        actions.filter((a) => a.startsWith('s3:') && a !== 's3:PutObject' && a !== 's3:GetObject').sort(),
      ]).toEqual([name, purgers.includes(name) ? ['s3:DeleteObject', 's3:ListBucket'] : []]);
      const s3 = statementsOf(name).filter((s) => String(s.Action).startsWith('s3:'));
      for (const statement of s3) {
        // A listing names the bucket, under a tenant prefix only; every object action a tenant's keys.
        if (statement.Action === 's3:ListBucket')
          expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': 'T#*' } });
        else expect(JSON.stringify(statement.Resource)).toContain('/T#*');
      }
      const fns = hub.findResources('AWS::Lambda::Function', {
        Properties: { Description: functions[name].description },
      });
      const env = (
        Object.values(fns)[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }
      ).Properties.Environment.Variables;
      expect([name, 'CLAIMS_BUCKET_NAME' in env]).toEqual([
        name,
        writers.includes(name) || readers.includes(name) || purgers.includes(name),
      ]);
    }
  });
});
