import { createHash } from 'node:crypto';
import { encodeTime } from 'ulid';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A user session's id, derived from what every token of the session carries — the org, the hub
 * user and the sign-in time (`auth_time`) — so a refreshed token names the same session and a new
 * sign-in a new one. Shaped as a ULID (`ses_…`) whose time is the sign-in's, so sessions sort by
 * when they began; the rest is a hash of the three, so no two users' sessions share an id.
 */
export function sessionIdOf(orgId: string, userId: string, authTime: number): string {
  const digest = createHash('sha256').update(`${orgId}\n${userId}\n${authTime}`).digest();
  // 80 bits of the digest as 16 Crockford base32 characters (5 bits each).
  let bits = 0n;
  for (const byte of digest.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let random = '';
  for (let i = 0; i < 16; i++) {
    random = CROCKFORD[Number(bits & 31n)] + random;
    bits >>= 5n;
  }
  return `ses_${encodeTime(authTime * 1000, 10)}${random}`;
}
