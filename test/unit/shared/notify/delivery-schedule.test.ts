import { messageIdFor } from '../../../../shared/notify/delivery/delivery-queue';
import {
  JITTER,
  MAX_RETRY_AFTER_SECONDS,
  nextRetrySeconds,
  parseRetryAfter,
  WEBHOOK_RETRY_SCHEDULE,
} from '../../../../shared/notify/delivery/schedule';

describe('the retry schedule', () => {
  it('retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then gives up (eight attempts in all)', () => {
    const middle = () => 0.5;
    const waits = [1, 2, 3, 4, 5, 6, 7].map((n) =>
      nextRetrySeconds(WEBHOOK_RETRY_SCHEDULE, n, undefined, middle),
    );
    expect(waits).toEqual([5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]);
    expect(nextRetrySeconds(WEBHOOK_RETRY_SCHEDULE, 8, undefined, middle)).toBeNull();
  });

  it('spreads every wait within ±20 %, never below a second', () => {
    for (const [i, base] of WEBHOOK_RETRY_SCHEDULE.entries()) {
      const low = nextRetrySeconds(WEBHOOK_RETRY_SCHEDULE, i + 1, undefined, () => 0) as number;
      const high = nextRetrySeconds(WEBHOOK_RETRY_SCHEDULE, i + 1, undefined, () => 0.999_999) as number;
      expect(low).toBe(Math.max(1, Math.round(base * (1 - JITTER))));
      expect(high).toBe(Math.round(base * (1 + JITTER)));
      expect(low).toBeLessThan(high);
    }
  });

  it("honours a longer Retry-After, bounded, and never waits less than the schedule's own wait", () => {
    expect(nextRetrySeconds(WEBHOOK_RETRY_SCHEDULE, 1, 120, () => 0.5)).toBe(120);
    expect(nextRetrySeconds(WEBHOOK_RETRY_SCHEDULE, 2, 1, () => 0.5)).toBe(300);
    expect(nextRetrySeconds(WEBHOOK_RETRY_SCHEDULE, 1, 10 * 86_400, () => 0.5)).toBe(MAX_RETRY_AFTER_SECONDS);
    // A Retry-After does not add attempts past the schedule.
    expect(nextRetrySeconds(WEBHOOK_RETRY_SCHEDULE, 8, 60, () => 0.5)).toBeNull();
  });

  it('reads Retry-After as seconds or as an HTTP date, and ignores what it cannot read', () => {
    const now = new Date('2026-12-01T10:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:02:00 GMT', now)).toBe(120);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('message ids', () => {
  const eventId = 'evt_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE';
  it('derive from the event and the target: the same pair is one message, another target another', () => {
    const a = messageIdFor(eventId, { channel: 'webhook', endpointId: 'ep_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE' });
    expect(a).toMatch(/^msg_01JDQ3ZK8Y[0-9A-HJKMNP-TV-Z]{16}$/);
    expect(messageIdFor(eventId, { channel: 'webhook', endpointId: 'ep_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDE' })).toBe(
      a,
    );
    expect(
      messageIdFor(eventId, { channel: 'webhook', endpointId: 'ep_01JDQ3ZK8Y5V6W7X8Y9Z0ABCDF' }),
    ).not.toBe(a);
    expect(messageIdFor(eventId, { channel: 'email', address: 'A@Example.com' })).toBe(
      messageIdFor(eventId, { channel: 'email', address: 'a@example.com' }),
    );
  });
});
