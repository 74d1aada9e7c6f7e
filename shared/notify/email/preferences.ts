import * as z from 'zod';
import { KnownEventTypePatternSchema, matchesType } from '../model';

export const DIGEST_PERIODS = ['off', 'hourly', 'daily'] as const;
export type DigestPeriod = (typeof DIGEST_PERIODS)[number];

/** What a user wants notified, and how: the body of `PUT …/notification-preferences` (omitted fields take their defaults). */
export const NotificationPreferencesInput = z
  .object({
    mute: z
      .object({
        until: z.iso.datetime().nullable().describe('Muted until this time; null: until the mute is lifted'),
      })
      .strict()
      .nullable()
      .default(null)
      .describe('null: not muted. While muted, no notification of any kind reaches the user'),
    eventTypes: z
      .array(KnownEventTypePatternSchema)
      .min(1)
      .max(50)
      .default(['*'])
      .describe(
        'The event types the user wants (`pull_request.*`, `work_item.updated`, `*`); every type by default',
      ),
    channels: z
      .object({
        email: z.boolean().default(true).describe('Email notifications (and digests)'),
        chat: z
          .boolean()
          .default(true)
          .describe("Chat notifications to the user's direct messages (rules naming `user:<id>`)"),
      })
      .strict()
      .default({ email: true, chat: true })
      .describe('Each channel on or off'),
    digest: z
      .enum(DIGEST_PERIODS)
      .default('off')
      .describe('off: each email at once; hourly or daily: one email listing what matched since the last'),
    dailyHourUtc: z
      .number()
      .int()
      .min(0)
      .max(23)
      .default(8)
      .describe('The hour (UTC) a daily digest goes out'),
  })
  .strict()
  .meta({ id: 'NotificationPreferencesInput' });

export type NotificationPreferences = z.output<typeof NotificationPreferencesInput>;

export const NotificationPreferencesSchema = NotificationPreferencesInput.extend({
  userId: z.string(),
  updatedAt: z.iso.datetime().nullable().describe('null: never set, the defaults apply'),
}).meta({ id: 'NotificationPreferences' });

/** Everyone's preferences until they set their own: everything, by email, at once. */
export const DEFAULT_PREFERENCES: NotificationPreferences = NotificationPreferencesInput.parse({});

/** Whether the user is muted at `now`. */
export const isMuted = (prefs: NotificationPreferences, now: Date): boolean =>
  prefs.mute !== null && (prefs.mute.until === null || Date.parse(prefs.mute.until) > now.getTime());

/** What the user's preferences make of one event by email: sent now, kept for the digest, or not at all. */
export function emailDecision(
  prefs: NotificationPreferences,
  eventType: string,
  now: Date,
): 'now' | 'digest' | 'skip' {
  if (isMuted(prefs, now)) return 'skip';
  if (!prefs.channels.email) return 'skip';
  if (!prefs.eventTypes.some((p) => matchesType(p, eventType))) return 'skip';
  return prefs.digest === 'off' ? 'now' : 'digest';
}

/**
 * What the user's preferences make of one event in their chat DMs: sent now, or not at all (a
 * digest is email's). Preferences stored before chat was a channel take it (`chat` absent: on).
 */
export function chatDecision(prefs: NotificationPreferences, eventType: string, now: Date): 'now' | 'skip' {
  if (isMuted(prefs, now)) return 'skip';
  if ((prefs.channels as { chat?: boolean }).chat === false) return 'skip';
  if (!prefs.eventTypes.some((p) => matchesType(p, eventType))) return 'skip';
  return 'now';
}

const HOUR_MS = 3_600_000;

/** When the digest that an event collected at `now` goes into is due: the next hour, or the next daily hour (UTC). */
export function nextDigestAt(
  prefs: Pick<NotificationPreferences, 'digest' | 'dailyHourUtc'>,
  now: Date,
): Date {
  if (prefs.digest !== 'daily') return new Date((Math.floor(now.getTime() / HOUR_MS) + 1) * HOUR_MS);
  const at = new Date(now);
  at.setUTCHours(prefs.dailyHourUtc, 0, 0, 0);
  if (at.getTime() <= now.getTime()) at.setUTCDate(at.getUTCDate() + 1);
  return at;
}
