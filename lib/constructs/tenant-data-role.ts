import { Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { CompositePrincipal, Effect, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface TenantDataRoleProps {
  /** The table whose tenant items the role reaches: only keys under `T#<TenantId>#`. */
  readonly table: ITable;
  /** The audit table: the tenant's trail may be appended to and read, never changed. */
  readonly auditTable: ITable;
  readonly tableKey: IKey;
  /** The roles allowed to assume it, tagging the session with the tenant they act for. */
  readonly assumedBy: readonly IRole[];
  /**
   * The platform pointer key prefixes (`P#APIKEY#`) its sessions may write with a tenant's change:
   * those of the functions that assume it, nothing else. @default - none
   */
  readonly pointerPrefixes?: readonly string[];
}

/** The session tag that names the tenant; the hub sets it from the verified credential. */
export const TENANT_TAG = 'TenantId';

/** The item-level data actions: a tenant session's on its own keys, a function's on platform keys. */
export const ITEM_DATA_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

/** Platform pointers a tenant's change writes with it: writes only, on its pointer types' keys. */
export const PLATFORM_POINTER_WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

/** The tenant's audit trail: appended to in the change's transaction and read; never changed or deleted. */
const TENANT_AUDIT_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:Query',
  'dynamodb:GetItem',
];

/**
 * One static role for tenant data, as AWS's SaaS Builder Toolkit does it: a session tagged with
 * `TenantId` may touch the table only where every partition key starts with `T#<TenantId>#`, and a
 * request that names no key (a Scan) is not allowed at all. Even a bug that builds another tenant's
 * key cannot read it through this role.
 */
export class TenantDataRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: TenantDataRoleProps) {
    super(scope, id);
    const principals = props.assumedBy.map((role) => role.grantPrincipal);
    this.role = new Role(this, 'Role', {
      description: 'Integration Hub: tenant-scoped data access (session tag TenantId)',
      assumedBy: new CompositePrincipal(...principals).withSessionTags(),
    });
    this.role.assumeRolePolicy?.addStatements(
      new PolicyStatement({
        effect: Effect.DENY,
        principals,
        actions: ['sts:TagSession', 'sts:AssumeRole'],
        conditions: { Null: { [`aws:RequestTag/${TENANT_TAG}`]: 'true' } },
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ITEM_DATA_ACTIONS,
        resources: [props.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`T#\${aws:PrincipalTag/${TENANT_TAG}}#*`] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
      }),
    );
    // A tenant's change writes its platform pointers (a key's hash lookup, a webhook route, a slug
    // claim) in the same transaction; the session may write only its functions' pointer types, and
    // never read or list them.
    const pointers = props.pointerPrefixes ?? [];
    if (pointers.length > 0) {
      this.role.addToPolicy(
        new PolicyStatement({
          actions: PLATFORM_POINTER_WRITES,
          resources: [props.table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': pointers.map((p) => `${p}*`) },
            Null: { 'dynamodb:LeadingKeys': 'false' },
          },
        }),
      );
    }
    this.role.addToPolicy(
      new PolicyStatement({
        actions: TENANT_AUDIT_ACTIONS,
        resources: [props.auditTable.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`T#\${aws:PrincipalTag/${TENANT_TAG}}#*`] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
      }),
    );
    props.tableKey.grantEncryptDecrypt(this.role);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: "CDK's grant on the table's own KMS key: the action family is scoped to that one key's ARN.",
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      reason: "CDK's grant on the table's own KMS key: the action family is scoped to that one key's ARN.",
    });
    for (const assumer of props.assumedBy) this.role.grant(assumer, 'sts:AssumeRole', 'sts:TagSession');
  }
}
