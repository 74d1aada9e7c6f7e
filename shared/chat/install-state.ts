import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Who started an install: the org it binds to and the hub user, until when it may be finished. */
export interface InstallClaims {
  readonly provider: string;
  readonly orgId: string;
  readonly userId: string;
  readonly expiresAt: Date;
  /** The platform installation the state is for, when it is known before the platform answers (a Teams tenant). */
  readonly installationId?: string;
  /**
   * What a confirmation under way will bind once it is finished (a Teams tenant claimed with a bind
   * code, waiting for a Microsoft admin): kept with the record only, never in the state itself.
   */
  readonly pending?: Readonly<Record<string, string>>;
}

/** The installs under way, by the hash of their state (never the state itself): single use, with a TTL. */
export interface InstallStateStore {
  /** Records a minted state until `claims.expiresAt`. */
  put(stateHash: string, claims: InstallClaims): Promise<void>;
  /** Removes the state and returns what it recorded, atomically: a second take of it gets null. */
  take(stateHash: string): Promise<InstallClaims | null>;
}

/** How long an install may take from the hub's button to the platform's callback. */
export const INSTALL_STATE_TTL_MS = 10 * 60_000;

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');
const sign = (key: string, body: string) =>
  createHmac('sha256', key).update(`hub-install-state:${body}`).digest('base64url');

/** The hash a state is stored under. */
export const installStateHash = (state: string) => createHash('sha256').update(state).digest('hex');

/**
 * Mints the `state` of an OAuth install: the claims and a nonce, signed with the app's key, and
 * recorded (by hash) so the callback can use it once.
 */
export async function mintInstallState(
  deps: {
    readonly store: InstallStateStore;
    readonly key: string;
    readonly now: Date;
    /** How long the state lives (INSTALL_STATE_TTL_MS unless given). */
    readonly ttlMs?: number;
  },
  by: {
    readonly provider: string;
    readonly orgId: string;
    readonly userId: string;
    readonly installationId?: string;
    readonly pending?: Readonly<Record<string, string>>;
  },
): Promise<string> {
  const expiresAt = new Date(deps.now.getTime() + (deps.ttlMs ?? INSTALL_STATE_TTL_MS));
  const body = b64url(
    JSON.stringify({
      p: by.provider,
      o: by.orgId,
      u: by.userId,
      e: expiresAt.getTime(),
      ...(by.installationId ? { i: by.installationId } : {}),
      n: b64url(randomBytes(16)),
    }),
  );
  const state = `${body}.${sign(deps.key, body)}`;
  await deps.store.put(installStateHash(state), { ...by, expiresAt });
  return state;
}

export type InstallStateCheck =
  | { readonly ok: true; readonly claims: InstallClaims }
  | { readonly ok: false; readonly reason: 'forged' | 'expired' | 'used' };

/** The claims of a state whose signature is the app's and which has not expired (nothing consumed). */
export function readInstallState(key: string, state: string, provider: string, now: Date): InstallStateCheck {
  const [body, mac, extra] = state.split('.');
  if (!body || !mac || extra !== undefined || state.length > 1000) return { ok: false, reason: 'forged' };
  const expected = Buffer.from(sign(key, body));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return { ok: false, reason: 'forged' };
  let claims: { p?: unknown; o?: unknown; u?: unknown; e?: unknown; i?: unknown };
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'forged' };
  }
  if (
    claims.p !== provider ||
    typeof claims.o !== 'string' ||
    typeof claims.u !== 'string' ||
    typeof claims.e !== 'number' ||
    (claims.i !== undefined && typeof claims.i !== 'string')
  )
    return { ok: false, reason: 'forged' };
  if (claims.e <= now.getTime()) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    claims: {
      provider,
      orgId: claims.o,
      userId: claims.u,
      expiresAt: new Date(claims.e),
      ...(typeof claims.i === 'string' ? { installationId: claims.i } : {}),
    },
  };
}

/** Checks a state and uses it up: its signature, its expiry, and that it was minted and never used. */
export async function consumeInstallState(
  deps: { readonly store: InstallStateStore; readonly key: string; readonly now: Date },
  state: string,
  provider: string,
): Promise<InstallStateCheck> {
  const read = readInstallState(deps.key, state, provider, deps.now);
  if (!read.ok) return read;
  const taken = await deps.store.take(installStateHash(state));
  if (!taken) return { ok: false, reason: 'used' };
  // The record is the authority: a signed state must also be the one that was recorded.
  if (taken.orgId !== read.claims.orgId || taken.userId !== read.claims.userId || taken.provider !== provider)
    return { ok: false, reason: 'forged' };
  return taken.pending ? { ok: true, claims: { ...read.claims, pending: taken.pending } } : read;
}
