import {
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
  looksLikeApiKey,
  maskApiKey,
} from '../../../../shared/identity/api-key-format';

describe('API key format', () => {
  it('issues keys with the hub_ prefix, 36 base62 characters and a valid checksum', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    for (const key of keys) {
      expect(key).toMatch(/^hub_[0-9A-Za-z]{36}$/);
      expect(isWellFormedApiKey(key)).toBe(true);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('refuses a key with one character mistyped, by its checksum alone', () => {
    const key = generateApiKey();
    const i = 10;
    const typo = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
    expect(isWellFormedApiKey(typo)).toBe(false);
  });

  it('refuses keys of the wrong length or alphabet', () => {
    const key = generateApiKey();
    expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedApiKey(`${key}0`)).toBe(false);
    expect(isWellFormedApiKey(key.replace('hub_', 'hux_'))).toBe(false);
    expect(isWellFormedApiKey(`hub_${'-'.repeat(36)}`)).toBe(false);
  });

  it('tells API keys from JWTs by prefix', () => {
    expect(looksLikeApiKey(generateApiKey())).toBe(true);
    expect(looksLikeApiKey('eyJhbGciOiJSUzI1NiJ9.e30.sig')).toBe(false);
  });

  it('stores a hash that is stable and does not contain the key', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toBe(hashApiKey(key));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toContain(key.slice(4));
  });

  it('displays a key as its prefix and last four characters only', () => {
    const key = generateApiKey();
    expect(maskApiKey(key)).toBe(`hub_…${key.slice(-4)}`);
  });
});
