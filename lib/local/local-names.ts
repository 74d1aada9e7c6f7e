import type { QueueName, StreamName } from '../../shared/topology';

/** Resource names on one machine; in AWS, CloudFormation names them. */
export const localNames = {
  table: (name: string) => `hub-${name}`,
  queue: (name: QueueName) => `hub-${name}`,
  deadLetterQueue: (name: QueueName) => `hub-${name}-dlq`,
  streamDeadLetterQueue: (name: StreamName) => `hub-${name}-stream-dlq`,
  eventBus: 'hub-events',
  secretsKey: 'alias/hub-secrets',
  /** The SES configuration set mail is sent with; its feedback goes to the default bus. */
  mailConfigurationSet: 'hub-mail',
  account: '000000000000',
  tenantRoleArn: 'arn:aws:iam::000000000000:role/hub-tenant-data',
  region: 'us-east-1',
  userPoolId: 'us-east-1_hublocal',
} as const;
