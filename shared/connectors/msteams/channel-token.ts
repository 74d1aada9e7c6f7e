import type { JSONWebKeySet, JWK, JWTPayload, JWTVerifyGetKey } from 'jose';
import { errors, importJWK, jwtVerify } from 'jose';
import * as z from 'zod';
import { UnauthenticatedError } from '../../errors';
import type { Clock } from '../../ports/clock';
import { BOT_FRAMEWORK_ISSUER } from './settings';

/** What a verified Bot Framework token says: who it is for and the service URL it vouches for. */
export interface ChannelClaims {
  readonly serviceUrl: string;
  readonly payload: JWTPayload;
}

export interface ChannelTokenVerifierOptions {
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly metadataUrl: string;
  readonly appId: string;
  /** How long the metadata and the keys are kept before they are fetched again. @default 1 hour */
  readonly cacheMs?: number;
  /** The least time between two fetches caused by an unknown key id. @default 5 minutes */
  readonly cooldownMs?: number;
  /** The channel whose endorsement a signing key must carry, when it lists endorsements. @default msteams */
  readonly channel?: string;
}

const MetadataSchema = z.looseObject({ jwks_uri: z.url({ protocol: /^https?$/ }) });
const KeySetSchema = z.looseObject({ keys: z.array(z.looseObject({ kty: z.string() })).max(100) });
type EndorsedJwk = JWK & { endorsements?: unknown };

/** Bot Framework tokens are valid 5 minutes either side of their window (the channel's documented skew). */
const CLOCK_SKEW_SECONDS = 300;
const TIMEOUT_MS = 5000;

/**
 * Verifies the `Authorization` header of an activity as the Bot Framework channel requires
 * (learn.microsoft.com "Authenticate requests from the Bot Connector service to your bot"): a
 * Bearer JWT signed RS256 with a key of the OpenID metadata's JWKS (endorsed for the channel),
 * issuer `https://api.botframework.com`, audience the bot's app id, within `nbf`/`exp` with a
 * 5-minute skew, with a `serviceurl` claim. Every fetch goes through the given (egress-guarded)
 * fetch; the keys are cached for a bounded time and fetched again on an unknown key id at most once
 * per cooldown. Throws UnauthenticatedError; nothing of the activity is read here.
 */
export function makeChannelTokenVerifier(options: ChannelTokenVerifierOptions) {
  const cacheMs = options.cacheMs ?? 3_600_000;
  const cooldownMs = options.cooldownMs ?? 300_000;
  const channel = options.channel ?? 'msteams';
  let cached: { at: number; keys: readonly EndorsedJwk[] } | null = null;
  let lastForced = Number.NEGATIVE_INFINITY;
  let loading: Promise<readonly EndorsedJwk[]> | null = null;

  const getJson = async (url: string) => {
    const response = await options.fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status} from ${new URL(url).host}`);
    return (await response.json()) as unknown;
  };
  const load = () => {
    loading ??= (async () => {
      try {
        const metadata = MetadataSchema.parse(await getJson(options.metadataUrl));
        const set = KeySetSchema.parse(await getJson(metadata.jwks_uri)) as unknown as JSONWebKeySet;
        cached = { at: options.clock.now().getTime(), keys: set.keys as EndorsedJwk[] };
        return cached.keys;
      } finally {
        loading = null;
      }
    })();
    return loading;
  };
  const keys = async (kid: string | undefined) => {
    const now = options.clock.now().getTime();
    let current = cached && now - cached.at < cacheMs ? cached.keys : await load();
    if (!current.some((k) => k.kid === kid) && now - lastForced >= cooldownMs) {
      lastForced = now;
      current = await load();
    }
    return current;
  };

  const getKey: JWTVerifyGetKey = async (header) => {
    let found: EndorsedJwk | undefined;
    try {
      found = (await keys(header.kid)).find((k) => k.kid === header.kid);
    } catch (error) {
      throw new UnauthenticatedError('The Bot Framework signing keys could not be fetched', { cause: error });
    }
    if (!found) throw new UnauthenticatedError('The token is signed with an unknown key');
    const { endorsements } = found;
    if (Array.isArray(endorsements) && !endorsements.includes(channel))
      throw new UnauthenticatedError(`The signing key is not endorsed for ${channel}`);
    const { endorsements: _, ...jwk } = found;
    return importJWK({ ...jwk, alg: jwk.alg ?? 'RS256' }, 'RS256');
  };

  return async (authorization: string | undefined): Promise<ChannelClaims> => {
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? '');
    if (!match?.[1]) throw new UnauthenticatedError('The activity has no Bearer token');
    try {
      const { payload } = await jwtVerify(match[1], getKey, {
        issuer: BOT_FRAMEWORK_ISSUER,
        audience: options.appId,
        algorithms: ['RS256'],
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: options.clock.now(),
        requiredClaims: ['exp'],
      });
      const serviceUrl = payload.serviceurl ?? payload.serviceUrl;
      if (typeof serviceUrl !== 'string' || !serviceUrl)
        throw new UnauthenticatedError('The token has no serviceurl claim');
      return { serviceUrl, payload };
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      if (error instanceof errors.JOSEError)
        throw new UnauthenticatedError(`The activity's token is not valid (${error.code})`, { cause: error });
      throw error;
    }
  };
}
