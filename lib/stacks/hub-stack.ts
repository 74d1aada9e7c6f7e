import type { StackProps } from 'aws-cdk-lib';
import { Annotations, CfnOutput, Fn, NestedStack, Stack, Validations } from 'aws-cdk-lib';
import { LambdaVersion, UserPoolOperation } from 'aws-cdk-lib/aws-cognito';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { ConfigurationSet, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import type { AccessResource, FunctionName, ResourceAccess } from '../../shared/topology';
import {
  CUSTOM_AUTH_ACTIONS,
  environmentFor,
  functions,
  platformPointers,
  pointerPrefixesOf,
  pointerWrites,
  usesTenantData,
} from '../../shared/topology';
import { HubApi } from '../constructs/hub-api';
import { HubEvents } from '../constructs/hub-events';
import { HubFunction } from '../constructs/hub-function';
import { HubIdentity } from '../constructs/hub-identity';
import { HubMonitoring } from '../constructs/hub-monitoring';
import { HubRealtime } from '../constructs/hub-realtime';
import { HubWorkers } from '../constructs/hub-workers';
import { PLATFORM_POINTER_WRITES, TenantDataRole } from '../constructs/tenant-data-role';
import { declaredAccess } from '../function-access';
import type { DataStack } from './data-stack';

/** What any function with table access may do to platform items: read them, never list the table. */
const PLATFORM_READS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];

export interface HubStackProps extends StackProps {
  /** The stateful stack whose tables and keys the functions use. */
  readonly data: DataStack;
  /**
   * The SES identity invitations are sent from (verified in the account), and an optional page
   * where invitees accept. From context `mailFrom` / `invitationAcceptUrl`.
   */
  readonly mail?: {
    readonly from: string;
    readonly acceptUrl?: string | undefined;
    /**
     * Where people reach the API from outside (a custom domain, or the `ApiUrl` output of a first
     * deploy): the unsubscribe links in notification emails point there. From context `publicUrl`.
     */
    readonly publicUrl?: string | undefined;
  };
  /**
   * Private CIDR ranges outbound calls may reach (a self-hosted code host in the VPC), from
   * context `egressAllowedRanges`. @default none: public addresses only
   */
  readonly egressAllowedRanges?: readonly string[];
  /**
   * The WebAuthn relying party users' passkeys are registered with and sign in to: its id (the
   * domain people reach the hub's sign-in page at, e.g. `hub.example.com`), the name authenticators
   * show, and the origins (`https://hub.example.com`) a passkey's answer may come from. From context
   * `passkeyRelyingPartyId`, `passkeyRelyingPartyName`, `passkeyOrigins`. @default none: the passkey
   * routes answer that passkeys are not configured
   */
  readonly passkeys?: {
    readonly rpId: string;
    readonly rpName?: string | undefined;
    readonly origins: readonly string[];
  };
}

/**
 * The stateless half: identity, bus, functions, queues, API and monitoring, all built from the
 * topology. It can be destroyed and redeployed without losing data.
 */
export class HubStack extends Stack {
  readonly api: HubApi;
  /** The nested stack the API lives in. */
  readonly apiStack: NestedStack;
  /** The nested stack the dashboard and alarms live in (one alarm per function and queue). */
  readonly monitoringStack: NestedStack;

  constructor(scope: Construct, id: string, props: HubStackProps) {
    super(scope, id, props);
    const { data } = props;
    const identity = new HubIdentity(this, 'Identity');
    const events = new HubEvents(this, 'Events');

    const mailFrom = props.mail?.from ?? 'integration-hub@example.com';
    // The API lives in a nested stack that depends on the functions: its URL cannot be their input.
    if (!props.mail?.publicUrl)
      Annotations.of(this).addWarning(
        'Context `publicUrl` is not set: the unsubscribe links of notification emails will not reach this API. Deploy, then set it to the ApiUrl output (or your domain) and deploy again.',
      );
    // Mail goes out with this configuration set: SES publishes its bounces and complaints (with the
    // message's tags) to the default bus, where `rules.mailFeedback` takes them to the suppressor.
    const mailConfigurationSet = new ConfigurationSet(this, 'MailConfigurationSet');
    mailConfigurationSet.addEventDestination('FeedbackToEventBridge', {
      destination: EventDestination.eventBus(
        EventBus.fromEventBusArn(
          this,
          'DefaultBus',
          this.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' }),
        ),
      ),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    const egressEnvironment: Record<string, string> = props.egressAllowedRanges?.length
      ? { EGRESS_ALLOWED_RANGES: props.egressAllowedRanges.join(',') }
      : {};
    const accessOf = declaredAccess;

    const fns = {} as Record<FunctionName, IFunction>;
    const queueSenders: IFunction[] = [];
    const realtimePosters: IFunction[] = [];
    for (const name of Object.keys(functions) as FunctionName[]) {
      const access = accessOf(name);
      // Its environment comes with its grants, below, once every resource it names exists; the
      // operator's egress allowances reach every function (any of them may call out).
      const fn = new HubFunction(this, `${name[0]?.toUpperCase()}${name.slice(1)}`, {
        name,
        environment: egressEnvironment,
      }).function;
      for (const each of access) grant(each, fn, name);
      // The role's only managed policy is Lambda's basic execution role (CloudWatch Logs to its own group).
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "AWS-managed basic execution role: writes only to the function's own log streams.",
      });
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.',
      });
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        Validations.of(fn).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason:
            "CDK's grant on the tables' own KMS key: the action family is scoped to that one key's ARN.",
        });
      }
      fns[name] = fn;
    }

    /**
     * Platform items only (`P#…`: credential and token lookups, webhook routes, slug claims, the org
     * list, the purge schedule): the function's own role never reaches a tenant's items; for those it
     * assumes the tenant data role, tagged with the tenant. It reads any platform item, and writes
     * only the pointer types the topology lists for it.
     */
    function platformItems(fn: IFunction, actions: readonly string[], prefixes: readonly string[]) {
      if (prefixes.length === 0) return;
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: [...actions],
          resources: [data.tables.domain.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((p) => `${p}*`) },
            Null: { 'dynamodb:LeadingKeys': 'false' },
          },
        }),
      );
      data.dataKey.grantEncryptDecrypt(fn);
    }

    function grant(access: ResourceAccess, fn: IFunction, name: FunctionName) {
      switch (access) {
        case 'domain-table:read':
          platformItems(fn, PLATFORM_READS, ['P#']);
          return;
        case 'domain-table:write':
          platformItems(fn, PLATFORM_READS, ['P#']);
          platformItems(fn, [...PLATFORM_POINTER_WRITES, 'dynamodb:BatchWriteItem'], pointerPrefixesOf(name));
          return;
        case 'audit-table:write':
          // Append-only, for the platform's own records (a refusal, in the trail of the org addressed);
          // a tenant's changes write their records in the tenant's session, in the change's transaction.
          data.tables.audit.grant(fn, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem');
          data.dataKey.grantEncryptDecrypt(fn);
          return;
        case 'audit-table:read':
        case 'usage:count':
        case 'api-keys:record-use':
        case 'sessions:record':
        case 'pool-accounts:bind':
          // Tenant items: reached only through the tenant data role.
          return;
        case 'idempotency-table:write':
          data.tables.idempotency.grantReadWriteData(fn);
          return;
        case 'event-bus:put':
          events.bus.grantPutEventsTo(fn);
          return;
        case 'secrets-key:encrypt':
          data.secretsKey.grantEncrypt(fn);
          return;
        case 'secrets-key:decrypt':
          data.secretsKey.grantDecrypt(fn);
          return;
        case 'tenant-role:assume':
          // Granted with the tenant data roles, below (every access that reaches tenant items).
          return;
        case 'mail:send': {
          // Only from the hub's own address's identity (the domain's, or the address itself).
          const domain = mailFrom.slice(mailFrom.lastIndexOf('@') + 1);
          fn.addToRolePolicy(
            new PolicyStatement({
              actions: ['ses:SendEmail'],
              resources: [
                Stack.of(fn).formatArn({ service: 'ses', resource: 'identity', resourceName: domain }),
                Stack.of(fn).formatArn({ service: 'ses', resource: 'identity', resourceName: mailFrom }),
                // Sending with a configuration set is authorised on it too.
                Stack.of(fn).formatArn({
                  service: 'ses',
                  resource: 'configuration-set',
                  resourceName: mailConfigurationSet.configurationSetName,
                }),
              ],
              conditions: { StringEquals: { 'ses:FromAddress': mailFrom } },
            }),
          );
          return;
        }
        case 'queues:send':
          // Granted once the queues exist, below: a redrive puts parked messages back.
          queueSenders.push(fn);
          return;
        case 'user-pool:verify-tokens':
          // The pool's JWKS is public: verifying tokens needs no permission.
          return;
        case 'user-pool:sign-out':
          // Deactivating a user ends their sessions in the pool.
          identity.userPool.grant(fn, 'cognito-idp:AdminUserGlobalSignOut');
          return;
        case 'user-pool:mfa':
          // Turning a user's authenticator app off (their own, or an admin's reset); enrolling
          // and verifying one are the user's own calls, authorised by their access token.
          identity.userPool.grant(fn, 'cognito-idp:AdminSetUserMFAPreference');
          return;
        case 'user-pool:custom-auth':
          // Issuing a session for an SSO sign-in: the pool user made if missing, then custom auth.
          identity.userPool.grant(fn, ...CUSTOM_AUTH_ACTIONS);
          // The one-time grant its answer is, and no other item.
          platformItems(fn, ['dynamodb:PutItem'], [`P#${platformPointers.signInGrants}#`]);
          return;
        case 'sign-in-grants:spend':
          // The custom auth triggers read the user's grant and spend it (an update that drops its
          // secret), and the pre-token trigger reads it for the session's `amr`; no other item.
          platformItems(
            fn,
            ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
            [`P#${platformPointers.signInGrants}#`],
          );
          return;
        case 'claims-bucket:write':
        case 'claims-bucket:read':
          // Objects under a tenant's prefix only, and the bucket key's data key for them.
          fn.addToRolePolicy(
            new PolicyStatement({
              actions: [access === 'claims-bucket:write' ? 's3:PutObject' : 's3:GetObject'],
              resources: [`${Fn.importValue(data.claimsBucketArnExport)}/T#*`],
            }),
          );
          if (access === 'claims-bucket:write') data.dataKey.grant(fn, 'kms:GenerateDataKey');
          else data.dataKey.grantDecrypt(fn);
          Validations.of(fn).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${data.claimsBucketArnExport}/T#*]`,
            reason:
              "Claim checks are keyed by event under each tenant's prefix; any tenant's event may be claim-checked.",
          });
          return;
        case 'passkeys:register':
          // The lookup from a passkey's credential id to its user, put and deleted beside the
          // tenant's passkey item, and no other item.
          platformItems(
            fn,
            ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
            [`P#${platformPointers.passkeyLookups}#`],
          );
          return;
        case 'passkeys:sign-in':
          // A passkey sign-in's single-use challenge (no org yet), and no other item.
          platformItems(
            fn,
            ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
            [`P#${platformPointers.passkeyChallenges}#`],
          );
          return;
        case 'realtime:post':
          // Granted once the WebSocket API exists, below.
          realtimePosters.push(fn);
          return;
        case 'claims-bucket:purge': {
          // A deleted org's claim checks go with it: list under a tenant prefix, delete what is there.
          const bucketArn = Fn.importValue(data.claimsBucketArnExport);
          fn.addToRolePolicy(
            new PolicyStatement({
              actions: ['s3:ListBucket'],
              resources: [bucketArn],
              conditions: { StringLike: { 's3:prefix': 'T#*' } },
            }),
          );
          fn.addToRolePolicy(
            new PolicyStatement({ actions: ['s3:DeleteObject'], resources: [`${bucketArn}/T#*`] }),
          );
          Validations.of(fn).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${data.claimsBucketArnExport}/T#*]`,
            reason: "The purge removes a deleted org's claim checks, keyed by event under that org's prefix.",
          });
          return;
        }
      }
    }

    identity.userPool.addTrigger(
      UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      fns.addTokenClaims,
      LambdaVersion.V2_0,
    );
    // Custom auth: a session for a sign-in the hub verified itself (SAML, OIDC), by a one-time grant.
    identity.userPool.addTrigger(UserPoolOperation.DEFINE_AUTH_CHALLENGE, fns.defineAuthChallenge);
    identity.userPool.addTrigger(UserPoolOperation.CREATE_AUTH_CHALLENGE, fns.createAuthChallenge);
    identity.userPool.addTrigger(UserPoolOperation.VERIFY_AUTH_CHALLENGE_RESPONSE, fns.verifyAuthChallenge);

    // One tenant data role per set of pointer types its functions write: a tenant session of a
    // function that writes no key lookups cannot write one, whatever its code builds.
    const tenantRoles = new Map<string, TenantDataRole>();
    const tenantFunctions = (Object.keys(functions) as FunctionName[]).filter((n) =>
      usesTenantData(accessOf(n)),
    );
    const pointerSetOf = (name: FunctionName) =>
      [...(pointerWrites[name] ?? [])].sort((a, b) => a.localeCompare(b));
    for (const set of new Set(tenantFunctions.map((n) => pointerSetOf(n).join('+')))) {
      const members = tenantFunctions.filter((n) => pointerSetOf(n).join('+') === set);
      const pointers = set === '' ? [] : (set.split('+') as (keyof typeof platformPointers)[]);
      const suffix = pointers.map((p) => `${p[0]?.toUpperCase()}${p.slice(1)}`).join('');
      tenantRoles.set(
        set,
        new TenantDataRole(this, `TenantData${suffix}`, {
          table: data.tables.domain,
          auditTable: data.tables.audit,
          tableKey: data.dataKey,
          assumedBy: members.flatMap((n) => (fns[n].role ? [fns[n].role as IRole] : [])),
          pointerPrefixes: pointers.map((p) => `P#${platformPointers[p]}#`),
        }),
      );
    }

    const workers = new HubWorkers(this, 'Workers', { functions: fns, tables: data.tables });
    events.routeToQueues(workers.queues);
    const urls = Object.fromEntries(Object.entries(workers.queues).map(([name, q]) => [name, q.queueUrl]));
    for (const fn of queueSenders) {
      for (const queue of Object.values(workers.queues)) queue.grantSendMessages(fn);
    }

    // The real-time API in this stack: its routes name functions, and the fan-out names its endpoint.
    const realtime = new HubRealtime(this, 'Realtime', { functions: fns });
    for (const fn of realtimePosters) realtime.grantPost(fn);
    // Each function's environment names exactly the resources its access implies (shared/topology/access.ts).
    const shared: Omit<Record<AccessResource, Record<string, string>>, 'tenantRole'> = {
      domainTable: { DOMAIN_TABLE_NAME: data.tables.domain.tableName },
      auditTable: { AUDIT_TABLE_NAME: data.tables.audit.tableName },
      idempotencyTable: { IDEMPOTENCY_TABLE_NAME: data.tables.idempotency.tableName },
      eventBus: { EVENT_BUS_NAME: events.bus.eventBusName },
      secretsKey: { SECRETS_KEY_ID: data.secretsKey.keyArn },
      // The pool's own trigger has no such access: the pool and the trigger would depend on each other.
      tokenVerification: {
        COGNITO_USER_POOL_ID: identity.userPool.userPoolId,
        COGNITO_CLIENT_ID: identity.client.userPoolClientId,
      },
      mail: {
        MAIL_FROM: mailFrom,
        MAIL_CONFIGURATION_SET: mailConfigurationSet.configurationSetName,
        ...(props.mail?.acceptUrl ? { INVITATION_ACCEPT_URL: props.mail.acceptUrl } : {}),
        ...(props.mail?.publicUrl ? { HUB_PUBLIC_URL: props.mail.publicUrl } : {}),
      },
      queueUrls: { QUEUE_URLS: Stack.of(this).toJsonString(urls) },
      claimsBucket: { CLAIMS_BUCKET_NAME: data.claimsBucket.bucketName },
      userPool: { USER_POOL_ID: identity.userPool.userPoolId },
      userPoolClient: { USER_POOL_CLIENT_ID: identity.client.userPoolClientId },
      realtimeApi: { REALTIME_ENDPOINT: realtime.managementEndpoint },
      passkeys: props.passkeys
        ? {
            PASSKEY_RP_ID: props.passkeys.rpId,
            PASSKEY_ORIGINS: props.passkeys.origins.join(','),
            ...(props.passkeys.rpName ? { PASSKEY_RP_NAME: props.passkeys.rpName } : {}),
          }
        : {},
    };
    for (const name of Object.keys(functions) as FunctionName[]) {
      const role = tenantRoles.get(pointerSetOf(name).join('+'));
      const variables = environmentFor(accessOf(name), {
        ...shared,
        tenantRole: role ? { TENANT_ROLE_ARN: role.role.roleArn } : {},
      });
      for (const [key, value] of Object.entries(variables))
        (fns[name] as LambdaFunction).addEnvironment(key, value);
      // Where the hub is reachable (links in chat replies, chat apps' redirect URIs): no resource.
      if (props.mail?.publicUrl)
        (fns[name] as LambdaFunction).addEnvironment('HUB_PUBLIC_URL', props.mail.publicUrl);
    }
    // The API's routes, integrations and invoke permissions are a nested stack of their own: with
    // them, one stack would pass CloudFormation's 500 resources.
    this.apiStack = new NestedStack(this, 'ApiStack', {
      description: 'Integration Hub HTTP API: routes, integrations, authorizer, stage',
    });
    this.api = new HubApi(this.apiStack, 'Api', { functions: fns });
    // Alarms and the dashboard too: a function, a queue or a DLQ more each adds an alarm.
    this.monitoringStack = new NestedStack(this, 'MonitoringStack', {
      description: 'Integration Hub monitoring: dashboard, alarms, alarm topic',
    });
    const monitoring = new HubMonitoring(this.monitoringStack, 'Monitoring', {
      api: this.api.api,
      functions: fns,
      queues: workers.queues,
      deadLetterQueues: { ...workers.deadLetterQueues, busDelivery: events.deliveryDeadLetterQueue },
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.apiEndpoint });
    new CfnOutput(this, 'RealtimeUrl', { value: realtime.stage.url });
    new CfnOutput(this, 'UserPoolId', { value: identity.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: identity.client.userPoolClientId });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: monitoring.dashboard.dashboardName });
  }
}
