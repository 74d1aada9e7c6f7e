import type { StackProps } from 'aws-cdk-lib';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { TableName } from '../../shared/topology';
import { tables } from '../../shared/topology';

/**
 * The stateful half: KMS keys and DynamoDB tables. Kept apart from the stateless stack so the
 * latter can be torn down and redeployed without touching data.
 */
export class DataStack extends Stack {
  /** Encrypts the tables at rest. */
  readonly dataKey: Key;
  /** Encrypts secrets (webhook signing secrets, provider credentials) field by field. */
  readonly secretsKey: Key;
  readonly tables: Record<TableName, ITable>;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.dataKey = new Key(this, 'DataKey', {
      description: 'Integration Hub: tables at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    this.secretsKey = new Key(this, 'SecretsKey', {
      description: 'Integration Hub: connection secrets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    const built = {} as Record<TableName, ITable>;
    for (const [name, spec] of Object.entries(tables) as [TableName, (typeof tables)[TableName]][]) {
      const sortKey = 'sortKey' in spec ? spec.sortKey : undefined;
      built[name] = new Table(this, `${name[0]?.toUpperCase()}${name.slice(1)}Table`, {
        partitionKey: { name: spec.partitionKey, type: AttributeType.STRING },
        ...(sortKey ? { sortKey: { name: sortKey, type: AttributeType.STRING } } : {}),
        billingMode: BillingMode.PAY_PER_REQUEST,
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.dataKey,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        timeToLiveAttribute: spec.timeToLiveAttribute,
        ...(spec.stream ? { stream: StreamViewType.NEW_AND_OLD_IMAGES } : {}),
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }
    this.tables = built;
  }
}
