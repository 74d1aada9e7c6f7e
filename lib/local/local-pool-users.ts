import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { poolUsername } from '../../shared/sso/sign-in-grants';

/** A pool user: Cognito's username is its `sub` (the pool signs in by email). */
export interface PoolUser {
  readonly username: string;
  readonly attributes: Record<string, string>;
  readonly status: string;
  readonly createdAt: number;
  /** scrypt of the password, `salt:hash` in base64url; no password until one is set. */
  readonly passwordHash?: string;
  /**
   * The user's authenticator app: its secret (the local pool's own record, as Cognito keeps it;
   * the data dir is the developer's, mode 0600), verified once a code matched, enabled by the MFA preference.
   */
  readonly totp?: { readonly secret: string; readonly verified: boolean; readonly enabled: boolean };
}

const hashPassword = (password: string, salt = randomBytes(16)): string =>
  `${salt.toString('base64url')}:${scryptSync(password, salt, 32).toString('base64url')}`;

/** Whether `password` is the one `stored` was made from (constant time). */
export function passwordMatches(stored: string | undefined, password: string): boolean {
  const [salt, hash] = (stored ?? '').split(':');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const given = scryptSync(password, Buffer.from(salt, 'base64url'), 32);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The local pool's users, kept in one JSON file of the data dir (keyed by email). */
export class LocalPoolUsers {
  constructor(private readonly file: string) {}

  all(): Record<string, PoolUser> {
    if (!existsSync(this.file)) return {};
    return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, PoolUser>;
  }

  /** A user by email (the pool's username attribute) or by Cognito's own username (`sub`). */
  find(name: string): PoolUser | null {
    const users = this.all();
    return users[poolUsername(name)] ?? Object.values(users).find((u) => u.username === name) ?? null;
  }

  save(user: PoolUser): void {
    const users = this.all();
    users[poolUsername(user.attributes.email ?? user.username)] = user;
    this.write(users);
  }

  /** Replaces the file whole (a reader never sees half of it). */
  private write(users: Record<string, PoolUser>): void {
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, JSON.stringify(users, null, 2), { mode: 0o600 });
    renameSync(temp, this.file);
  }

  /** Deletes a user (`AdminDeleteUser`); false when there was none. */
  remove(name: string): boolean {
    const users = this.all();
    const key = Object.keys(users).find((k) => k === poolUsername(name) || users[k]?.username === name);
    if (key === undefined) return false;
    delete users[key];
    this.write(users);
    return true;
  }

  /** Sets a user's permanent password (`AdminSetUserPassword`), confirming them. */
  setPassword(user: PoolUser, password: string): PoolUser {
    const next = { ...user, passwordHash: hashPassword(password), status: 'CONFIRMED' };
    this.save(next);
    return next;
  }
}
