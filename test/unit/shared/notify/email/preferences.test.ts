import {
  DEFAULT_PREFERENCES,
  emailDecision,
  NotificationPreferencesInput,
  nextDigestAt,
} from '../../../../../shared/notify/email/preferences';

const now = new Date('2026-12-01T10:20:00Z');
const prefs = (input: Record<string, unknown>) => NotificationPreferencesInput.parse(input);

describe('notification preferences', () => {
  it('default to every event type, by email, at once', () => {
    expect(DEFAULT_PREFERENCES).toEqual({
      mute: null,
      eventTypes: ['*'],
      channels: { email: true, chat: true },
      digest: 'off',
      dailyHourUtc: 8,
    });
    expect(emailDecision(DEFAULT_PREFERENCES, 'pull_request.merged', now)).toBe('now');
  });

  it('skip everything while muted, and nothing once the mute has passed', () => {
    expect(emailDecision(prefs({ mute: { until: null } }), 'push', now)).toBe('skip');
    expect(emailDecision(prefs({ mute: { until: '2026-12-01T11:00:00Z' } }), 'push', now)).toBe('skip');
    expect(emailDecision(prefs({ mute: { until: '2026-12-01T10:00:00Z' } }), 'push', now)).toBe('now');
  });

  it('skip the kinds of events the user did not ask for, and every email when email is off', () => {
    const some = prefs({ eventTypes: ['pull_request.*', 'work_item.updated'] });
    expect(emailDecision(some, 'pull_request.opened', now)).toBe('now');
    expect(emailDecision(some, 'work_item.updated', now)).toBe('now');
    expect(emailDecision(some, 'work_item.created', now)).toBe('skip');
    expect(emailDecision(prefs({ channels: { email: false } }), 'push', now)).toBe('skip');
  });

  it('keep matching events for the digest when the user takes one', () => {
    expect(emailDecision(prefs({ digest: 'hourly' }), 'push', now)).toBe('digest');
    expect(emailDecision(prefs({ digest: 'daily', channels: { email: false } }), 'push', now)).toBe('skip');
  });

  it('put an hourly digest at the next hour and a daily one at the next chosen hour (UTC)', () => {
    expect(nextDigestAt({ digest: 'hourly', dailyHourUtc: 8 }, now).toISOString()).toBe(
      '2026-12-01T11:00:00.000Z',
    );
    expect(
      nextDigestAt({ digest: 'hourly', dailyHourUtc: 8 }, new Date('2026-12-01T11:00:00Z')).toISOString(),
    ).toBe('2026-12-01T12:00:00.000Z');
    expect(nextDigestAt({ digest: 'daily', dailyHourUtc: 8 }, now).toISOString()).toBe(
      '2026-12-02T08:00:00.000Z',
    );
    expect(nextDigestAt({ digest: 'daily', dailyHourUtc: 17 }, now).toISOString()).toBe(
      '2026-12-01T17:00:00.000Z',
    );
  });

  it('refuse unknown fields, patterns that are no event type, and hours outside the day', () => {
    expect(NotificationPreferencesInput.safeParse({ sms: true }).success).toBe(false);
    expect(NotificationPreferencesInput.safeParse({ eventTypes: ['Pull Request'] }).success).toBe(false);
    expect(NotificationPreferencesInput.safeParse({ eventTypes: [] }).success).toBe(false);
    expect(NotificationPreferencesInput.safeParse({ dailyHourUtc: 24 }).success).toBe(false);
    expect(NotificationPreferencesInput.safeParse({ channels: { email: true, fax: true } }).success).toBe(
      false,
    );
  });
});
