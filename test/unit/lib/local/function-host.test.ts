import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import { describeFailure, errorInfo, InvocationError } from '../../../../lib/local/function-host';

/** What the runtime logs of a failed invocation, as it arrives from the function's environment. */
const logged = (error: unknown) => describeFailure(new InvocationError('publishChanges', errorInfo(error)));

describe('local runtime failure log line', () => {
  it("names each record's error when a handler fails its whole batch", () => {
    const boom = new TypeError('No value defined: {}');
    const line = logged(new FullBatchFailureError([boom, new RangeError('out of range')]));
    expect(line).toBe(
      'publishChanges: All records failed processing. See individual errors below.' +
        ' [record 1] TypeError: No value defined: {} [record 2] RangeError: out of range',
    );
  });

  it('keeps the line bounded: long messages are cut and only the first records are listed', () => {
    const payload = 'x'.repeat(300_000);
    const errors = Array.from({ length: 12 }, (_, i) => new Error(`record ${i} ${payload}`));
    const line = logged(new FullBatchFailureError(errors));
    expect(line.length).toBeLessThan(2_500);
    expect(line).not.toContain(payload);
    expect(line).toContain('[record 5] Error: record 4 x');
    expect(line).not.toContain('[record 6]');
    expect(line).toMatch(/\(and 7 more\)$/);
  });

  it('logs an ordinary error by its message alone', () => {
    expect(logged(new Error('Task timed out'))).toBe('publishChanges: Task timed out');
  });
});
