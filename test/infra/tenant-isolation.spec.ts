import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';
import type { FunctionName } from '../../shared/topology';
import { functions } from '../../shared/topology';
import { synthesized } from './synthesized';

/**
 * The tenant data role's synthesized policy, evaluated by an IAM policy simulator: a session tagged
 * with org A reaches `T#A#...` keys and nothing else, whatever the code asks for.
 */
const ACCOUNT = '123456789012';
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/IntegrationHubData-DomainTable`;
const AUDIT = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/IntegrationHubData-AuditTable`;
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`;

type Statement = { Resource: unknown; Action: string | string[] };
type Document = { Version: string; Statement: Statement[] };
let policy: Document;
let template: Template;

/** Cross-stack references become the ARNs they resolve to in an account; other resources stay apart. */
function resolved(document: Document): Document {
  return {
    ...document,
    Statement: document.Statement.map((s) => {
      const named = JSON.stringify(s.Resource);
      return {
        ...s,
        Resource: [s.Action].flat().some((a) => a.startsWith('kms:'))
          ? KEY
          : named.includes('AuditTable')
            ? AUDIT
            : named.includes('DomainTable')
              ? TABLE
              : named === '"*"'
                ? '*'
                : `arn:aws:other:us-east-1:${ACCOUNT}:elsewhere`,
      };
    }),
  };
}

/** The policies attached to a role, by the role's logical id, as one document. */
function policyOfRole(roleId: string): Document {
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .map((p) => (p as { Properties: { PolicyDocument: Document; Roles: unknown[] } }).Properties)
    .filter((p) => JSON.stringify(p.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.PolicyDocument.Statement);
  return resolved({ Version: '2012-10-17', Statement: statements });
}

function lambdaOf(name: FunctionName) {
  const found = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Description: functions[name].description },
    }),
  );
  if (found.length !== 1) throw new Error(`no single function ${name}`);
  return (
    found[0] as { Properties: { Role: unknown; Environment?: { Variables?: Record<string, unknown> } } }
  ).Properties;
}

const roleIdIn = (arn: unknown) => (arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
/** The function's own role's policy. */
const functionPolicy = (name: FunctionName) => policyOfRole(roleIdIn(lambdaOf(name).Role));
/** The policy of the tenant data role the function assumes for tenant items. */
const tenantPolicyOf = (name: FunctionName) =>
  policyOfRole(roleIdIn(lambdaOf(name).Environment?.Variables?.TENANT_ROLE_ARN));

beforeAll(() => {
  template = synthesized().hub;
  const roles = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) =>
    id.startsWith('TenantDataRole'),
  );
  if (roles.length !== 1) throw new Error('no tenant data role without pointer types in the template');
  policy = policyOfRole(roles[0] as string);
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

  it("lets a session write only its functions' platform pointer types with its change, never read or list them", async () => {
    const keys = tenantPolicyOf('createApiKey');
    await expect(decide('dynamodb:PutItem', 'org_A', ['P#APIKEY#abc'], keys)).resolves.toBe('Allowed');
    await expect(decide('dynamodb:DeleteItem', 'org_A', ['P#APIKEY#abc'], keys)).resolves.toBe('Allowed');
    await expect(decide('dynamodb:PutItem', 'org_A', ['P#WEBHOOK#con_1'], keys)).resolves.not.toBe('Allowed');
    await expect(decide('dynamodb:Query', 'org_A', ['P#APIKEY#abc'], keys)).resolves.not.toBe('Allowed');
    const routes = tenantPolicyOf('manageConnection');
    await expect(decide('dynamodb:DeleteItem', 'org_A', ['P#WEBHOOK#con_1'], routes)).resolves.toBe(
      'Allowed',
    );
    await expect(decide('dynamodb:PutItem', 'org_A', ['P#APIKEY#abc'], routes)).resolves.not.toBe('Allowed');
    // A webhook's session writes no pointer at all: not a key lookup, not a route.
    const webhook = tenantPolicyOf('receiveWebhook');
    await expect(decide('dynamodb:PutItem', 'org_A', ['P#APIKEY#abc'], webhook)).resolves.not.toBe('Allowed');
    await expect(decide('dynamodb:PutItem', 'org_A', ['P#WEBHOOK#con_1'], webhook)).resolves.not.toBe(
      'Allowed',
    );
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

describe("functions' own roles and platform pointers, by IAM's own rules", () => {
  async function own(name: FunctionName, action: string, key: string) {
    const response = await runSimulation(
      {
        identityPolicies: [{ name, policy: functionPolicy(name) }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${name}`,
          action,
          resource: { resource: TABLE, accountId: ACCOUNT },
          contextVariables: { 'dynamodb:LeadingKeys': [key] },
        },
      },
      {},
    );
    if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
    return response.overallResult;
  }

  it("does not let receiveWebhook's role write a platform-admin key record or any key lookup, only read them", async () => {
    await expect(own('receiveWebhook', 'dynamodb:PutItem', 'P#APIKEY#forged')).resolves.not.toBe('Allowed');
    await expect(own('receiveWebhook', 'dynamodb:PutItem', 'P#PLATFORMKEY#forged')).resolves.not.toBe(
      'Allowed',
    );
    await expect(own('receiveWebhook', 'dynamodb:GetItem', 'P#WEBHOOK#con_1')).resolves.toBe('Allowed');
  });

  it('lets a key-issuing function write key lookups and no other pointer type', async () => {
    await expect(own('createApiKey', 'dynamodb:PutItem', 'P#APIKEY#h')).resolves.toBe('Allowed');
    await expect(own('createApiKey', 'dynamodb:PutItem', 'P#WEBHOOK#con_1')).resolves.not.toBe('Allowed');
    await expect(own('createApiKey', 'dynamodb:PutItem', 'P#ORGS#ALL')).resolves.not.toBe('Allowed');
    await expect(own('createApiKey', 'dynamodb:PutItem', 'P#PLATFORMKEY#h')).resolves.not.toBe('Allowed');
    await expect(own('createApiKey', 'dynamodb:PutItem', 'T#org_A#APIKEY')).resolves.not.toBe('Allowed');
  });

  it("lets no function but the platform admins' key route, nor any other's tenant session, write a platform-admin key record", async () => {
    await expect(own('managePlatformKeys', 'dynamodb:PutItem', 'P#PLATFORMKEY#all')).resolves.toBe('Allowed');
    for (const name of Object.keys(functions) as FunctionName[]) {
      if (name === 'managePlatformKeys') continue;
      await expect(own(name, 'dynamodb:PutItem', 'P#PLATFORMKEY#forged')).resolves.not.toBe('Allowed');
      if (lambdaOf(name).Environment?.Variables?.TENANT_ROLE_ARN) {
        await expect(
          decide('dynamodb:PutItem', 'org_A', ['P#PLATFORMKEY#forged'], tenantPolicyOf(name)),
        ).resolves.not.toBe('Allowed');
      }
    }
  });
});
