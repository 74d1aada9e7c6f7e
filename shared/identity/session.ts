import * as z from 'zod';
import { amrOf, SECOND_FACTORS, showsSecondFactor } from './amr';

/**
 * How long a session's record is kept after its sign-in: longer than the longest session an org
 * may allow (`sessionLifetimeMinutes` is at most 7 days), so a revoked session's refreshed tokens
 * are refused for as long as the gate could admit them, and then DynamoDB's TTL removes it.
 */
export const SESSION_RECORD_DAYS = 8;

/** A user's session as the gate records it: one sign-in, across every token refreshed from it. */
export const SessionSchema = z
  .object({
    id: z.string().describe('The session id (`ses_…`): the same for every token refreshed from one sign-in'),
    orgId: z.string(),
    userId: z.string(),
    signInMethod: z
      .string()
      .describe(
        'How the user signed in, from the token: `password`, `password+mfa`, `passkey+mfa`, or the identity provider a federated sign-in came through (`saml:<provider>`, `oidc:<provider>`)',
      ),
    userAgent: z
      .string()
      .nullable()
      .describe('The User-Agent of the last request recorded (at most once a minute)'),
    ip: z.string().describe('The source address of the last request recorded'),
    startedAt: z.iso.datetime().describe('When the user signed in (the token’s `auth_time`)'),
    lastSeenAt: z.iso
      .datetime()
      .describe("The session's last request, to within a minute (it is written at most once a minute)"),
    revokedAt: z.iso.datetime().optional(),
    revokedBy: z.string().optional(),
  })
  .meta({ id: 'SessionRecord' });

export type Session = z.infer<typeof SessionSchema>;

/** A session as a user or an admin sees it: active ones only, the caller's own marked. */
export const SessionViewSchema = SessionSchema.omit({ revokedAt: true, revokedBy: true, orgId: true })
  .extend({ current: z.boolean().describe('Whether this is the session of the token that asked') })
  .meta({ id: 'Session' });

export type SessionView = z.infer<typeof SessionViewSchema>;

export const SessionList = z.object({ items: z.array(SessionViewSchema) }).meta({ id: 'SessionList' });

/** What the gate knows of a session: its record (if it was seen), and its user's "revoked before" marker. */
export interface SessionState {
  readonly session: Session | null;
  /** Every session of the user begun before this instant is revoked (a "sign out everywhere"). */
  readonly revokedBefore: string | null;
}

/** Why a session may no longer be used, or null while it is active. */
export function revocationOf(state: SessionState, authTime: number): string | null {
  if (state.session?.revokedAt) return `The session was revoked at ${state.session.revokedAt}; sign in again`;
  if (state.revokedBefore && authTime * 1000 < Date.parse(state.revokedBefore)) {
    return `Every session of this user begun before ${state.revokedBefore} was revoked; sign in again`;
  }
  return null;
}

const UNSAFE = /[^A-Za-z0-9 ._:@+-]/g;

/**
 * How a token's user signed in, for their list of sessions: the identity provider of a federated
 * sign-in (Cognito's `identities` claim), or what OIDC's `amr` lists (a password, a second factor).
 * Bounded and reduced to plain characters: it is shown, and passed through the authorizer's context.
 */
export function signInMethodOf(claims: Readonly<Record<string, unknown>>): string {
  const identities = Array.isArray(claims.identities) ? (claims.identities as unknown[]) : [];
  const federated = identities.find(
    (i): i is { providerType: string; providerName?: unknown } =>
      typeof i === 'object' &&
      i !== null &&
      typeof (i as { providerType?: unknown }).providerType === 'string',
  );
  const amr = amrOf(claims);
  const mfa = showsSecondFactor(amr);
  let method: string;
  if (federated) {
    const name = typeof federated.providerName === 'string' ? federated.providerName : federated.providerType;
    method = `${federated.providerType.toLowerCase()}:${name}`;
  } else if (amr.includes('pwd')) {
    method = 'password';
  } else if (amr.includes('hwk')) {
    method = 'passkey';
  } else {
    const rest = amr.filter((m) => !SECOND_FACTORS.has(m));
    method = rest.length > 0 ? rest.join('+') : 'unknown';
  }
  if (mfa) method = `${method}+mfa`;
  return method.replace(UNSAFE, '').slice(0, 80) || 'unknown';
}

/** A sign-in method as the authorizer context may carry it (what `signInMethodOf` makes). */
export const SIGN_IN_METHOD = /^[A-Za-z0-9 ._:@+-]{1,80}$/;
