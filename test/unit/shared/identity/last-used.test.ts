import { LastUsedRecorder } from '../../../../shared/identity/last-used';

class Uses {
  readonly writes: string[] = [];
  fail = false;
  async recordUse(_orgId: string, keyId: string, at: string, ip: string) {
    if (this.fail) throw new Error('throttled');
    this.writes.push(`${keyId}@${at}@${ip}`);
  }
}

const t0 = new Date('2026-11-27T12:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describe('last-used recording', () => {
  it('writes a key’s first use, then at most once a minute', async () => {
    const uses = new Uses();
    const recorder = new LastUsedRecorder(uses);
    await recorder.record('org_A', 'key_1', '203.0.113.1', t0);
    expect(recorder.record('org_A', 'key_1', '203.0.113.1', later(30_000))).toBeUndefined();
    await recorder.record('org_A', 'key_1', '203.0.113.2', later(61_000));
    expect(uses.writes).toEqual([
      `key_1@${t0.toISOString()}@203.0.113.1`,
      `key_1@${later(61_000).toISOString()}@203.0.113.2`,
    ]);
  });

  it('counts keys apart', async () => {
    const uses = new Uses();
    const recorder = new LastUsedRecorder(uses);
    await recorder.record('org_A', 'key_1', 'ip', t0);
    await recorder.record('org_A', 'key_2', 'ip', t0);
    expect(uses.writes).toHaveLength(2);
  });

  it('never fails the caller, and tries again next time after a failed write', async () => {
    const uses = new Uses();
    const recorder = new LastUsedRecorder(uses);
    uses.fail = true;
    await expect(recorder.record('org_A', 'key_1', 'ip', t0)).resolves.toBeUndefined();
    uses.fail = false;
    await recorder.record('org_A', 'key_1', 'ip', later(1000));
    expect(uses.writes).toHaveLength(1);
  });
});
