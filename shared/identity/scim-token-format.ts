import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * SCIM tokens are API keys of their own kind: `hubscim_`, 30 random base62 characters and a
 * 6-character CRC32 checksum, like `hub_` keys. The prefix keeps them apart: the API's authorizer
 * never takes one for an API key, and the SCIM service takes nothing else.
 */
export const SCIM_TOKEN_PREFIX = 'hubscim_';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TOKEN_PATTERN = new RegExp(`^${SCIM_TOKEN_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

function checksum(random: string): string {
  let rest = crc32(random);
  let out = '';
  while (rest > 0) {
    out = BASE62.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(CHECKSUM_LENGTH, '0');
}

/** Generates a new SCIM token. */
export function generateScimToken(): string {
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) random += BASE62.charAt(randomInt(62));
  return `${SCIM_TOKEN_PREFIX}${random}${checksum(random)}`;
}

/** True when the string has a SCIM token's shape and its checksum matches (no read for a made-up one). */
export function isWellFormedScimToken(candidate: string): boolean {
  if (!TOKEN_PATTERN.test(candidate)) return false;
  const body = candidate.slice(SCIM_TOKEN_PREFIX.length);
  return checksum(body.slice(0, RANDOM_LENGTH)) === body.slice(RANDOM_LENGTH);
}

/** The stored form: 178 bits of entropy make an unsalted SHA-256 safe, as for API keys. */
export const hashScimToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** How a token is shown after creation. */
export const maskScimToken = (token: string): string => `${SCIM_TOKEN_PREFIX}…${token.slice(-4)}`;
