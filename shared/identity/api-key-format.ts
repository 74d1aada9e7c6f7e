import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API keys look like GitHub's tokens: `hub_`, 30 random base62 characters, then a 6-character
 * base62 CRC32 of the random part. Secret scanners can match the prefix, and a mistyped key is
 * refused before any database read.
 */
export const API_KEY_PREFIX = 'hub_';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

function base62(value: number, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0) {
    out = BASE62.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, '0');
}

function checksum(random: string): string {
  return base62(crc32(random), CHECKSUM_LENGTH);
}

/** Generates a new API key. */
export function generateApiKey(): string {
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) random += BASE62.charAt(randomInt(62));
  return `${API_KEY_PREFIX}${random}${checksum(random)}`;
}

/** True when the string has the key's shape and its checksum matches. */
export function isWellFormedApiKey(candidate: string): boolean {
  if (!KEY_PATTERN.test(candidate)) return false;
  const body = candidate.slice(API_KEY_PREFIX.length);
  return checksum(body.slice(0, RANDOM_LENGTH)) === body.slice(RANDOM_LENGTH);
}

/** True when the token is meant to be an API key (as opposed to a JWT). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** The stored form of a key. Keys carry 178 bits of entropy, so an unsalted SHA-256 is safe here. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** How a key is displayed after creation: its prefix and last four characters. */
export function maskApiKey(key: string): string {
  return `${API_KEY_PREFIX}…${key.slice(-4)}`;
}
