import type { StackProps } from 'aws-cdk-lib';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { RETENTION_CLASSES, RETENTION_TAG } from '../../shared/tenancy/retention';
import type { TableName } from '../../shared/topology';
import { tables } from '../../shared/topology';

/** Days the claim-check bucket's access logs are kept (the bucket's objects follow their org's retention). */
export const CLAIM_RETENTION_DAYS = 365;

/**
 * The stateful half: KMS keys, DynamoDB tables and the claim-check bucket. Kept apart from the stateless stack so the
 * latter can be torn down and redeployed without touching data.
 */
export class DataStack extends Stack {
  /** Encrypts the tables at rest. */
  readonly dataKey: Key;
  /** Encrypts secrets (webhook signing secrets, provider credentials) field by field. */
  readonly secretsKey: Key;
  readonly tables: Record<TableName, ITable>;
  /** Events too large for the bus, stored whole under their tenant (`T#<orgId>/events/<eventId>.json`). */
  readonly claimsBucket: Bucket;
  /** The export the stateless stack imports the claim-check bucket's ARN by (a stable name, for cdk-nag's evidence). */
  readonly claimsBucketArnExport: string;

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

    // S3 server access logs may only go to a bucket with S3-managed keys; they hold no tenant payloads.
    const accessLogs = new Bucket(this, 'ClaimsAccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // S3's log delivery writes with the bucket's ACL (LogDeliveryWrite), which needs object-writer ownership.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(CLAIM_RETENTION_DAYS) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the claim-check bucket; logging it into itself would loop.',
    });
    this.claimsBucket = new Bucket(this, 'ClaimsBucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      // One data key per bucket rather than per object: fewer KMS calls for the same key policy.
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'claims/',
      // Claim checks and raw deliveries are tenant data: each object carries its org's retention
      // class as a tag, and expires with it (rounded up, never before its time).
      lifecycleRules: RETENTION_CLASSES.map((days) => ({
        id: `retention-${days}d`,
        tagFilters: { [RETENTION_TAG]: String(days) },
        expiration: Duration.days(days),
      })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.claimsBucketArnExport = `${this.stackName}-ClaimsBucketArn`;
    this.exportValue(this.claimsBucket.bucketArn, { name: this.claimsBucketArnExport });
  }
}
