import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';

/**
 * The tenant data role's synthesized policy, evaluated by an IAM policy simulator: a session tagged
 * with org A reaches `T#A#...` keys and nothing else, whatever the code asks for.
 */
const ACCOUNT = '123456789012';
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/IntegrationHubData-DomainTable`;
const AUDIT = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/IntegrationHubData-AuditTable`;
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`;

type Statement = { Resource: unknown; Action: string | string[] };
let policy: { Version: string; Statement: Statement[] };

beforeAll(() => {
  const { hub } = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
  const policies = Template.fromStack(hub).findResources('AWS::IAM::Policy');
  const entry = Object.entries(policies).find(([id]) => id.startsWith('TenantDataRoleDefaultPolicy'));
  if (!entry) throw new Error('no tenant data role policy in the template');
  const document = (entry[1] as { Properties: { PolicyDocument: typeof policy } }).Properties.PolicyDocument;
  // Cross-stack references become the ARNs they resolve to in an account.
  policy = {
    ...document,
    Statement: document.Statement.map((s) => ({
      ...s,
      Resource: [s.Action].flat().some((a) => a.startsWith('kms:'))
        ? KEY
        : JSON.stringify(s.Resource).includes('AuditTable')
          ? AUDIT
          : TABLE,
    })),
  };
});

async function decide(
  action: string,
  tenant: string,
  leadingKeys: string[] | null,
  document = policy,
  resource = TABLE,
) {
  const simulation: Simulation = {
    identityPolicies: [{ name: 'tenant-data', policy: document }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/TenantDataRole/hub`,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: {
        'aws:PrincipalTag/TenantId': tenant,
        ...(leadingKeys ? { 'dynamodb:LeadingKeys': leadingKeys } : {}),
      },
    },
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult;
}

describe("the tenant data role, by IAM's own rules", () => {
  it("lets org A's session read and write org A's items", async () => {
    await expect(decide('dynamodb:GetItem', 'org_A', ['T#org_A#ORG'])).resolves.toBe('Allowed');
    await expect(decide('dynamodb:Query', 'org_A', ['T#org_A#EVT'])).resolves.toBe('Allowed');
    await expect(decide('dynamodb:PutItem', 'org_A', ['T#org_A#CON'])).resolves.toBe('Allowed');
    await expect(decide('dynamodb:BatchWriteItem', 'org_A', ['T#org_A#EVT', 'T#org_A#CON'])).resolves.toBe(
      'Allowed',
    );
  });

  it("denies org A's session any key of org B, even one among its own", async () => {
    await expect(decide('dynamodb:GetItem', 'org_A', ['T#org_B#ORG'])).resolves.not.toBe('Allowed');
    await expect(decide('dynamodb:PutItem', 'org_A', ['T#org_B#CON'])).resolves.not.toBe('Allowed');
    await expect(decide('dynamodb:BatchGetItem', 'org_A', ['T#org_A#ORG', 'T#org_B#ORG'])).resolves.not.toBe(
      'Allowed',
    );
    // A prefix of another tenant's id is not the tenant's own.
    await expect(decide('dynamodb:GetItem', 'org_A', ['T#org_AB#ORG'])).resolves.not.toBe('Allowed');
  });

  it('owes the refusals to the key conditions: without them the same request would pass', async () => {
    const unconditioned = {
      ...policy,
      Statement: policy.Statement.map(
        ({ Condition: _c, ...rest }: Statement & { Condition?: unknown }) => rest,
      ),
    };
    await expect(decide('dynamodb:GetItem', 'org_A', ['T#org_B#ORG'], unconditioned)).resolves.toBe(
      'Allowed',
    );
  });

  it('lets a session write platform pointers with its change, but never read or list them', async () => {
    await expect(decide('dynamodb:PutItem', 'org_A', ['P#APIKEY#abc'])).resolves.toBe('Allowed');
    await expect(decide('dynamodb:DeleteItem', 'org_A', ['P#WEBHOOK#con_1'])).resolves.toBe('Allowed');
    await expect(decide('dynamodb:Query', 'org_A', ['P#ORGS#ALL'])).resolves.not.toBe('Allowed');
  });

  it("appends to and reads org A's own audit trail only, and never changes or deletes a record", async () => {
    const audit = (action: string, keys: string[]) => decide(action, 'org_A', keys, policy, AUDIT);
    await expect(audit('dynamodb:PutItem', ['T#org_A#AUDIT'])).resolves.toBe('Allowed');
    await expect(audit('dynamodb:Query', ['T#org_A#AUDIT'])).resolves.toBe('Allowed');
    await expect(audit('dynamodb:Query', ['T#org_B#AUDIT'])).resolves.not.toBe('Allowed');
    await expect(audit('dynamodb:UpdateItem', ['T#org_A#AUDIT'])).resolves.not.toBe('Allowed');
    await expect(audit('dynamodb:DeleteItem', ['T#org_A#AUDIT'])).resolves.not.toBe('Allowed');
    await expect(audit('dynamodb:PutItem', ['P#ANY'])).resolves.not.toBe('Allowed');
  });

  it('denies platform reads, a Scan, and any request that names no key', async () => {
    await expect(decide('dynamodb:GetItem', 'org_A', ['P#APIKEY#abc'])).resolves.not.toBe('Allowed');
    await expect(decide('dynamodb:Scan', 'org_A', null)).resolves.not.toBe('Allowed');
    await expect(decide('dynamodb:Query', 'org_A', null)).resolves.not.toBe('Allowed');
  });
});
