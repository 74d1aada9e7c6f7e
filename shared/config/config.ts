import type { EgressPolicy } from '../egress/address-policy';
import { parseAllowedRange } from '../egress/address-policy';
import { ConfigurationError, optional, required, url } from './env';

/**
 * Configuration, read once at init. Each function reads only the sections it needs, so a
 * missing variable fails its cold start with a message that names it. No other module
 * reads `process.env`.
 */

type Env = Readonly<Record<string, string | undefined>>;
const processEnv = (): Env => process.env;

export interface TablesConfig {
  readonly domainTable: string;
  readonly auditTable: string;
}

export function tablesConfig(env: Env = processEnv()): TablesConfig {
  return { domainTable: required(env, 'DOMAIN_TABLE_NAME'), auditTable: required(env, 'AUDIT_TABLE_NAME') };
}

/** The domain table alone, for an adapter that reaches one kind of platform item (no audit trail). */
export function domainTableName(env: Env = processEnv()): string {
  return required(env, 'DOMAIN_TABLE_NAME');
}

export function idempotencyTableName(env: Env = processEnv()): string {
  return required(env, 'IDEMPOTENCY_TABLE_NAME');
}

export function eventBusName(env: Env = processEnv()): string {
  return required(env, 'EVENT_BUS_NAME');
}

/** The bucket that holds events too large for the bus (claim checks). */
export function claimsBucketName(env: Env = processEnv()): string {
  return required(env, 'CLAIMS_BUCKET_NAME');
}

/** The real-time API's Management API endpoint (`https://<api>.execute-api.<region>.amazonaws.com/<stage>`). */
export function realtimeEndpoint(env: Env = processEnv()): { endpoint: string; region: string } {
  return { endpoint: url(env, 'REALTIME_ENDPOINT'), region: required(env, 'AWS_REGION') };
}

/** A custom S3 endpoint (the local S3) serves buckets by path; AWS's own, by host name. */
export function s3ForcePathStyle(env: Env = processEnv()): boolean {
  return optional(env, 'AWS_ENDPOINT_URL_S3') !== undefined;
}

export function secretsKeyId(env: Env = processEnv()): string {
  return required(env, 'SECRETS_KEY_ID');
}

/** How user JWTs are verified: against a Cognito user pool in AWS, or any OIDC issuer locally. */
export type JwtConfig =
  | { readonly kind: 'cognito'; readonly userPoolId: string; readonly clientId: string }
  | { readonly kind: 'oidc'; readonly issuer: string; readonly jwksUri: string; readonly audience: string };

export function jwtConfig(env: Env = processEnv()): JwtConfig {
  const userPoolId = optional(env, 'COGNITO_USER_POOL_ID');
  if (userPoolId) return { kind: 'cognito', userPoolId, clientId: required(env, 'COGNITO_CLIENT_ID') };
  if (optional(env, 'JWT_ISSUER')) {
    return {
      kind: 'oidc',
      issuer: url(env, 'JWT_ISSUER').replace(/\/$/, ''),
      jwksUri: url(env, 'JWT_JWKS_URI'),
      audience: required(env, 'JWT_AUDIENCE'),
    };
  }
  throw new ConfigurationError('Set COGNITO_USER_POOL_ID (in AWS) or JWT_ISSUER (locally) to verify JWTs');
}

/**
 * The user pool a deactivated user is signed out of (`user-pool:sign-out`), or null where tokens come
 * from another issuer (`JWT_ISSUER`: the local dev issuer, which keeps no sessions).
 */
export function signOutUserPoolId(env: Env = processEnv()): string | null {
  const userPoolId = optional(env, 'USER_POOL_ID');
  if (userPoolId) return userPoolId;
  if (optional(env, 'JWT_ISSUER')) return null;
  throw new ConfigurationError('Set USER_POOL_ID: deactivating a user signs them out of the user pool');
}

/**
 * The user pool and app client an SSO sign-in's session is issued from (`user-pool:custom-auth`):
 * in AWS the pool's, locally the local user pool's (its audience is the dev issuer's).
 */
export function customAuthPool(env: Env = processEnv()): { userPoolId: string; clientId: string } {
  return { userPoolId: required(env, 'USER_POOL_ID'), clientId: required(env, 'USER_POOL_CLIENT_ID') };
}

/** The user pool whose users' authenticator apps the hub turns off (`user-pool:mfa`). */
export function mfaUserPoolId(env: Env = processEnv()): string {
  return required(env, 'USER_POOL_ID');
}

/** Seconds a decrypted webhook secret may be reused before it is decrypted again. */
export function secretCacheSeconds(env: Env = processEnv()): number {
  const raw = optional(env, 'SECRET_CACHE_SECONDS') ?? '300';
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigurationError(`SECRET_CACHE_SECONDS must be a whole number of seconds, got "${raw}"`);
  }
  return value;
}

export interface MailConfig {
  /** The verified address invitations are sent from. */
  readonly from: string;
  /** Where an invitee accepts, if the deployment has such a page; the token is appended as `?token=`. */
  readonly acceptUrl: string | undefined;
  /** The SES configuration set mail is sent with, which publishes its bounces and complaints; none locally. */
  readonly configurationSet?: string | undefined;
}

export function mailConfig(env: Env = processEnv()): MailConfig {
  return {
    from: required(env, 'MAIL_FROM'),
    configurationSet: optional(env, 'MAIL_CONFIGURATION_SET'),
    acceptUrl:
      optional(env, 'INVITATION_ACCEPT_URL') === undefined ? undefined : url(env, 'INVITATION_ACCEPT_URL'),
  };
}

/**
 * The tenant data role functions assume for tenant items, tagged with the tenant; unset only where
 * no IAM applies (unit tests against mocks), and then requests go out with the function's own credentials.
 */
export function tenantRoleArn(env: Env = processEnv()): string | undefined {
  return optional(env, 'TENANT_ROLE_ARN');
}

/** The topology's queue URLs by name (`QUEUE_URLS`, JSON), for functions that put messages back on them. */
export function queueUrls(env: Env = processEnv()): Record<string, string> {
  const raw = optional(env, 'QUEUE_URLS');
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, string>;
  } catch {
    // reported below
  }
  throw new ConfigurationError('QUEUE_URLS must be a JSON object of queue name to URL');
}

/** How long reconciliation leaves recent changes to webhooks still in flight (`SYNC_SETTLE_SECONDS`, 30 s). */
export function syncSettleSeconds(env: Env = processEnv()): number {
  const raw = optional(env, 'SYNC_SETTLE_SECONDS');
  const seconds = raw === undefined ? 30 : Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new ConfigurationError('SYNC_SETTLE_SECONDS must be seconds');
  return seconds;
}

/**
 * Where outbound calls may go beyond public addresses: `EGRESS_ALLOW_LOOPBACK=true` only in the local
 * runtime (its fakes are on loopback), `EGRESS_ALLOWED_RANGES` the private CIDR ranges the operator
 * allowed at deploy time (comma-separated, e.g. a GitHub Enterprise Server's subnet).
 */
export function egressConfig(env: Env = processEnv()): EgressPolicy {
  const loopback = optional(env, 'EGRESS_ALLOW_LOOPBACK') ?? 'false';
  if (loopback !== 'true' && loopback !== 'false')
    throw new ConfigurationError(`EGRESS_ALLOW_LOOPBACK must be true or false, got "${loopback}"`);
  const ranges = (optional(env, 'EGRESS_ALLOWED_RANGES') ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  return {
    allowLoopback: loopback === 'true',
    allowedRanges: ranges.map((range) => {
      try {
        return parseAllowedRange(range);
      } catch (cause) {
        throw new ConfigurationError(
          `EGRESS_ALLOWED_RANGES must list private CIDR ranges such as 10.20.0.0/16: ${(cause as Error).message}`,
          { cause },
        );
      }
    }),
  };
}

/**
 * Where people reach the hub's API from outside (`HUB_PUBLIC_URL`): the links in its emails (the
 * one-click unsubscribe) point there. The local runtime's own address when unset.
 */
export function publicUrl(env: Env = processEnv()): string {
  return (
    optional(env, 'HUB_PUBLIC_URL') === undefined ? 'http://127.0.0.1:3000' : url(env, 'HUB_PUBLIC_URL')
  ).replace(/\/+$/, '');
}

/** The WebAuthn relying party users' passkeys belong to. */
export interface RelyingParty {
  /** The domain passkeys are scoped to (`hub.example.com`, or `localhost` on one machine). */
  readonly rpId: string;
  /** What authenticators show for the hub. */
  readonly rpName: string;
  /** The origins a passkey's answer may come from: the rpId's host or a host under it. */
  readonly origins: readonly string[];
}

const RP_ID =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Checks a relying party as a browser will hold it: a domain name for its id, and origins that are
 * https (or http on localhost, a secure context) on the rpId's host or a host under it.
 */
export function parseRelyingParty(raw: {
  rpId: string;
  rpName?: string | undefined;
  origins: string;
}): RelyingParty {
  const rpId = raw.rpId.trim().toLowerCase();
  if (!RP_ID.test(rpId))
    throw new ConfigurationError(`PASSKEY_RP_ID must be a domain name, got "${raw.rpId}"`);
  const origins = raw.origins
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  if (origins.length === 0 || origins.length > 10)
    throw new ConfigurationError('PASSKEY_ORIGINS must list 1 to 10 origins, comma-separated');
  const parsed = origins.map((origin) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch (cause) {
      throw new ConfigurationError(`PASSKEY_ORIGINS: "${origin}" is not a URL`, { cause });
    }
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === 'localhost');
    if (!secure || url.origin !== origin.replace(/\/+$/, ''))
      throw new ConfigurationError(
        `PASSKEY_ORIGINS: "${origin}" must be an origin (scheme, host, port) over https, or http://localhost`,
      );
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`))
      throw new ConfigurationError(`PASSKEY_ORIGINS: "${origin}" is not on ${rpId} or a host under it`);
    return url.origin;
  });
  const rpName = (raw.rpName ?? 'Integration Hub').trim().slice(0, 64) || 'Integration Hub';
  return { rpId, rpName, origins: parsed };
}

/**
 * The relying party of users' passkeys (`PASSKEY_RP_ID`, `PASSKEY_ORIGINS`, `PASSKEY_RP_NAME`), or
 * null where the installation set none: its passkey routes then say passkeys are not configured.
 */
export function passkeyConfig(env: Env = processEnv()): RelyingParty | null {
  const rpId = optional(env, 'PASSKEY_RP_ID');
  if (rpId === undefined) return null;
  return parseRelyingParty({
    rpId,
    rpName: optional(env, 'PASSKEY_RP_NAME'),
    origins: required(env, 'PASSKEY_ORIGINS'),
  });
}
