import { createHmac, timingSafeEqual } from 'node:crypto';
import { headerOf } from '../../chat/model';
import { UnauthenticatedError } from '../../errors';

/** Slack's window for a request's timestamp: older (or further ahead) is a replay. */
export const SLACK_SIGNATURE_WINDOW_S = 5 * 60;

/** The `X-Slack-Signature` of a body at a timestamp (seconds), as Slack makes it: v0, HMAC-SHA256. */
export const slackSignature = (signingSecret: string, timestamp: string, body: string): string =>
  `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

/** The headers Slack sends with a request it signs (for the fake and the tests). */
export const signSlackRequest = (signingSecret: string, body: string, at: Date): Record<string, string> => {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return {
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': slackSignature(signingSecret, timestamp, body),
  };
};

/**
 * Throws UnauthenticatedError unless the request carries Slack's v0 signature of exactly this raw
 * body, made within 5 minutes of `now` (the real clock), compared in constant time. Nothing of the
 * body is read before this passes.
 */
export function verifySlackRequest(
  signingSecret: string,
  headers: Readonly<Record<string, string>>,
  rawBody: string,
  now: Date,
): void {
  const timestamp = headerOf(headers, 'x-slack-request-timestamp') ?? '';
  const given = headerOf(headers, 'x-slack-signature') ?? '';
  if (!/^\d{1,12}$/.test(timestamp) || !given.startsWith('v0='))
    throw new UnauthenticatedError('The request is not signed by Slack');
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SLACK_SIGNATURE_WINDOW_S)
    throw new UnauthenticatedError("The request's Slack timestamp is outside the 5-minute window");
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, rawBody));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    throw new UnauthenticatedError("The request's Slack signature does not match");
}
