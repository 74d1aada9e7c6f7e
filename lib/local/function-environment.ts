import type { AccessResource, FunctionName } from '../../shared/topology';
import { environmentFor } from '../../shared/topology';
import { declaredAccess } from '../function-access';
import { functionCredentials } from './local-iam';
import { localNames } from './local-names';

/** What the runtime knows when it starts the functions: where the local servers listen, and their names. */
export interface LocalEnvironmentOptions {
  readonly endpoints: {
    /** The data gateway in front of DynamoDB Local. */
    readonly dynamodb: string;
    /** The SQS proxy in front of the SQS server. */
    readonly sqs: string;
    /** The EventBridge, KMS, SES, STS and Cognito emulator. */
    readonly aws: string;
    /** The local S3 endpoint (claim checks). */
    readonly s3?: string;
  };
  /** The claim-check bucket's local name. */
  readonly claimsBucket?: string;
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly jwt: { readonly issuer: string; readonly jwksUri: string; readonly audience: string };
  readonly logLevel: string;
  readonly mailFrom?: string;
  /** Where the hub is reached (its gateway's URL): the unsubscribe links in its emails point there. */
  readonly publicUrl?: string;
  /** The local clock's offset file (`POST /_local/clock`), which every function's `hubClock()` reads. */
  readonly clockOffsetFile?: string;
  /** The local TXT records (`POST /_local/dns`), read by domain verification instead of public DNS. */
  readonly dnsFile?: string;
  /** The WebAuthn relying party passkeys are registered with (`PASSKEY_*` of the runtime's environment win). */
  readonly passkeys?: { readonly rpId: string; readonly rpName: string; readonly origins: readonly string[] };
  /** The runtime's own environment, from which the operator's settings below are passed on. */
  readonly inherited?: Readonly<Record<string, string | undefined>>;
}

/** Settings an operator may give the runtime that every function reads (tuning, not resources). */
const PASSED_ON = ['SYNC_SETTLE_SECONDS', 'SECRET_CACHE_SECONDS', 'TZ', 'TMPDIR', 'PATH', 'HOME'];
/** Prefixes of operator settings passed on to every function (the egress guard's allowances). */
const PASSED_ON_PREFIXES = ['EGRESS_'];

/** What every function gets, whatever its access: region, endpoints, Powertools settings, operator tuning. */
export function commonEnvironment(options: LocalEnvironmentOptions): Record<string, string> {
  const inherited = Object.entries(options.inherited ?? {}).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined &&
      (PASSED_ON.includes(entry[0]) || PASSED_ON_PREFIXES.some((p) => entry[0].startsWith(p))),
  );
  return {
    ...Object.fromEntries(inherited),
    AWS_REGION: localNames.region,
    AWS_ENDPOINT_URL_DYNAMODB: options.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: options.endpoints.sqs,
    AWS_ENDPOINT_URL_EVENTBRIDGE: options.endpoints.aws,
    AWS_ENDPOINT_URL_KMS: options.endpoints.aws,
    AWS_ENDPOINT_URL_SESV2: options.endpoints.aws,
    AWS_ENDPOINT_URL_STS: options.endpoints.aws,
    POWERTOOLS_SERVICE_NAME: 'integration-hub',
    POWERTOOLS_LOG_LEVEL: options.logLevel,
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // The fakes live on loopback: the runtime, never a connection, lets the egress guard reach it.
    EGRESS_ALLOW_LOOPBACK: 'true',
    // Where the hub is reachable (links in emails and chat replies, chat apps' redirect URIs): no resource.
    ...((options.inherited?.HUB_PUBLIC_URL ?? options.publicUrl)
      ? { HUB_PUBLIC_URL: String(options.inherited?.HUB_PUBLIC_URL ?? options.publicUrl) }
      : {}),
    // The time a test has moved the hub's clock to; no resource, so every function has it.
    ...(options.clockOffsetFile ? { HUB_CLOCK_OFFSET_FILE: options.clockOffsetFile } : {}),
    // One machine has no DNS zone of its own: TXT records come from the runtime's file.
    ...(options.dnsFile ? { HUB_DNS_FILE: options.dnsFile } : {}),
  };
}

/** The variables of each resource an access kind names, on one machine. */
export function localResources(
  options: LocalEnvironmentOptions,
): Record<AccessResource, Record<string, string>> {
  return {
    domainTable: { DOMAIN_TABLE_NAME: localNames.table('domain') },
    auditTable: { AUDIT_TABLE_NAME: localNames.table('audit') },
    idempotencyTable: { IDEMPOTENCY_TABLE_NAME: localNames.table('idempotency') },
    eventBus: { EVENT_BUS_NAME: localNames.eventBus },
    secretsKey: { SECRETS_KEY_ID: localNames.secretsKey },
    tokenVerification: {
      JWT_ISSUER: options.jwt.issuer,
      JWT_JWKS_URI: options.jwt.jwksUri,
      JWT_AUDIENCE: options.jwt.audience,
    },
    mail: {
      MAIL_FROM: options.mailFrom ?? 'integration-hub@localhost',
      // The local SES publishes bounces and complaints for mail sent with it (`/_local/mailbox/feedback`).
      MAIL_CONFIGURATION_SET: localNames.mailConfigurationSet,
      ...((options.inherited?.HUB_PUBLIC_URL ?? options.publicUrl)
        ? { HUB_PUBLIC_URL: String(options.inherited?.HUB_PUBLIC_URL ?? options.publicUrl) }
        : {}),
      // An operator's accept page, as in AWS (CDK context `invitationAcceptUrl`).
      ...(options.inherited?.INVITATION_ACCEPT_URL
        ? { INVITATION_ACCEPT_URL: options.inherited.INVITATION_ACCEPT_URL }
        : {}),
    },
    tenantRole: { TENANT_ROLE_ARN: localNames.tenantRoleArn },
    queueUrls: { QUEUE_URLS: JSON.stringify(options.queueUrls) },
    claimsBucket: {
      CLAIMS_BUCKET_NAME: options.claimsBucket ?? 'hub-claims',
      ...(options.endpoints.s3 ? { AWS_ENDPOINT_URL_S3: options.endpoints.s3 } : {}),
    },
    userPool: {
      USER_POOL_ID: localNames.userPoolId,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: options.endpoints.aws,
    },
    // The local pool's tokens name the dev issuer's audience, as the app client's name its id.
    userPoolClient: { USER_POOL_CLIENT_ID: options.jwt.audience },
    // The emulator plays the real-time API's Management API (`/@connections/{id}`).
    realtimeApi: { REALTIME_ENDPOINT: options.endpoints.aws },
    passkeys: localPasskeys(options),
  };
}

/** The relying party's variables: the operator's `PASSKEY_*`, else the runtime's own (localhost). */
function localPasskeys(options: LocalEnvironmentOptions): Record<string, string> {
  const inherited = options.inherited ?? {};
  if (inherited.PASSKEY_RP_ID) {
    return Object.fromEntries(
      ['PASSKEY_RP_ID', 'PASSKEY_RP_NAME', 'PASSKEY_ORIGINS'].flatMap((name) =>
        inherited[name] ? [[name, String(inherited[name])]] : [],
      ),
    );
  }
  if (!options.passkeys) return {};
  return {
    PASSKEY_RP_ID: options.passkeys.rpId,
    PASSKEY_RP_NAME: options.passkeys.rpName,
    PASSKEY_ORIGINS: options.passkeys.origins.join(','),
  };
}

/**
 * One function's environment, as Lambda would give it: the common variables, the function's own
 * credentials, and the variables its declared access names — nothing of any other function's.
 */
export function localFunctionEnvironment(
  name: FunctionName,
  options: LocalEnvironmentOptions,
): Record<string, string> {
  const credentials = functionCredentials(name);
  return environmentFor(declaredAccess(name), localResources(options), {
    ...commonEnvironment(options),
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  });
}
