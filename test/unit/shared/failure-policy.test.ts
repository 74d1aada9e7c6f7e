import {
  DependencyUnavailableError,
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRateLimitedError,
  ProviderUnavailableError,
  QuotaExceededError,
  ValidationError,
} from '../../../shared/errors';
import { actionFor, backoffSeconds } from '../../../shared/queues/failure-policy';

describe('the failure policy every worker applies', () => {
  it("retries a rate-limited call after the provider's reset time, never sooner", () => {
    expect(actionFor(new ProviderRateLimitedError('slow down', 42), 1)).toMatchObject({
      kind: 'retry',
      delaySeconds: 42,
    });
    expect(
      actionFor(new QuotaExceededError('daily', { extensions: { retryAfterSeconds: 3600 } }), 1),
    ).toMatchObject({ kind: 'retry', delaySeconds: 3600 });
    // SQS cannot hide a message longer than 12 hours.
    expect(actionFor(new ProviderRateLimitedError('x', 86_400), 1)).toMatchObject({ delaySeconds: 43_200 });
  });

  it('retries 5xx, timeouts and unavailable dependencies with exponential backoff and jitter', () => {
    const low = () => 0;
    const high = () => 0.999;
    expect(actionFor(new ProviderUnavailableError('502'), 1, low)).toMatchObject({
      kind: 'retry',
      delaySeconds: 3,
    });
    expect(actionFor(new ProviderUnavailableError('502'), 4, high)).toMatchObject({ delaySeconds: 40 });
    expect(actionFor(new DependencyUnavailableError('bus'), 2, low)).toMatchObject({
      kind: 'retry',
      delaySeconds: 5,
    });
    expect(backoffSeconds(30, high)).toBe(900);
    const spread = new Set(Array.from({ length: 50 }, () => backoffSeconds(5)));
    expect(spread.size).toBeGreaterThan(5);
  });

  it('parks refused credentials (marking the connection), malformed payloads, and drops what the provider lost', () => {
    expect(actionFor(new ProviderAuthError('401 bad credentials'), 1)).toMatchObject({
      kind: 'park-needs-attention',
      reason: expect.stringContaining('bad credentials'),
    });
    expect(actionFor(new ValidationError('no issue key'), 1)).toMatchObject({
      kind: 'park',
      reason: expect.stringContaining('no issue key'),
    });
    expect(actionFor(new ProviderNotFoundError('issue 7 is gone'), 1)).toMatchObject({ kind: 'drop' });
  });

  it('retries anything unknown, so SQS parks it in the DLQ after the maximum receives', () => {
    expect(actionFor(new TypeError('bug'), 1)).toMatchObject({ kind: 'retry' });
  });
});
