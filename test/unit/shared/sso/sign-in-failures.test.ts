import { type SignInFailure, throttledFailures } from '../../../../shared/sso/sign-in-failures';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const failure = (reason: SignInFailure['reason'], connectionId = 'sso_1'): SignInFailure => ({
  connectionId,
  reason,
  message: `refused: ${reason}`,
  at: '2026-12-04T01:00:00.000Z',
});

describe("a connection's refused sign-ins, recorded under a flood", () => {
  it('writes a few of one reason per window, every other reason and connection still, and again after the window', async () => {
    const written: SignInFailure[] = [];
    let clock = 0;
    const failures = throttledFailures(
      { record: async (_org, f) => void written.push(f), list: async () => written },
      { windowMs: 10_000, perWindow: 3, now: () => clock },
    );
    for (let i = 0; i < 50; i++) await failures.record(ORG, failure('signature_invalid'));
    expect(written).toHaveLength(3);
    await failures.record(ORG, failure('browser_mismatch'));
    await failures.record(ORG, failure('signature_invalid', 'sso_2'));
    expect(written.map((f) => `${f.connectionId}:${f.reason}`)).toEqual([
      'sso_1:signature_invalid',
      'sso_1:signature_invalid',
      'sso_1:signature_invalid',
      'sso_1:browser_mismatch',
      'sso_2:signature_invalid',
    ]);
    clock = 10_000;
    await failures.record(ORG, failure('signature_invalid'));
    expect(written).toHaveLength(6);
  });
});
