import type { Principal } from '../../../../shared/identity/principal';
import { DEFAULT_STEP_UP_MINUTES, hasRecentSecondFactor } from '../../../../shared/identity/step-up';

const now = new Date('2026-12-02T12:00:00Z');
const signedIn = (minutesAgo: number, extra: { mfa?: boolean; type?: 'user' | 'api_key' } = {}) =>
  ({
    kind: 'org_member',
    type: extra.type ?? 'user',
    id: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
    name: 'Ada',
    orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2',
    role: 'admin',
    mfa: extra.mfa ?? true,
    authTime: Math.floor(now.getTime() / 1000) - minutesAgo * 60,
  }) satisfies Principal;

describe('hasRecentSecondFactor', () => {
  it('holds for a second factor inside the window, up to its last second', () => {
    expect(hasRecentSecondFactor(signedIn(0), now)).toBe(true);
    expect(hasRecentSecondFactor(signedIn(DEFAULT_STEP_UP_MINUTES), now)).toBe(true);
  });

  it('lapses once the sign-in is older than the window (a refreshed token keeps its auth_time)', () => {
    expect(DEFAULT_STEP_UP_MINUTES).toBe(15);
    expect(hasRecentSecondFactor(signedIn(DEFAULT_STEP_UP_MINUTES + 1), now)).toBe(false);
    expect(hasRecentSecondFactor(signedIn(30), now, 60)).toBe(true);
    expect(hasRecentSecondFactor(signedIn(30), now, 20)).toBe(false);
  });

  it('never holds without a second factor, nor for a credential with no sign-in time', () => {
    expect(hasRecentSecondFactor(signedIn(0, { mfa: false }), now)).toBe(false);
    const { authTime: _, ...apiKey } = signedIn(0, { type: 'api_key' });
    expect(hasRecentSecondFactor(apiKey, now)).toBe(false);
  });
});
