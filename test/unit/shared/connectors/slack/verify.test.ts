import {
  signSlackRequest,
  slackSignature,
  verifySlackRequest,
} from '../../../../../shared/connectors/slack/verify';
import { UnauthenticatedError } from '../../../../../shared/errors';

const secret = 'signing-secret-of-the-app';
const body = 'token=x&team_id=T0FAKETEAM1&command=%2Fhub&text=status+WEB-12';

describe("Slack's v0 request signature", () => {
  it('accepts a request signed by Slack with the app signing secret within five minutes', () => {
    const now = new Date();
    expect(() => verifySlackRequest(secret, signSlackRequest(secret, body, now), body, now)).not.toThrow();
    // Headers arrive in any case.
    const headers = Object.fromEntries(
      Object.entries(signSlackRequest(secret, body, now)).map(([k, v]) => [k.toUpperCase(), v]),
    );
    expect(() => verifySlackRequest(secret, headers, body, now)).not.toThrow();
  });

  it('matches the example in Slack’s documentation of the v0 scheme', () => {
    // docs.slack.dev › Verifying requests from Slack: the base string is `v0:<timestamp>:<body>`.
    expect(
      slackSignature(
        '8f742231b10e8888abcd99yyyzzz85a5',
        '1531420618',
        'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
      ),
    ).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
  });

  it('refuses a signature made with another secret (forged)', () => {
    const now = new Date();
    expect(() =>
      verifySlackRequest(secret, signSlackRequest('another-secret', body, now), body, now),
    ).toThrow(UnauthenticatedError);
  });

  it('refuses a body changed after signing', () => {
    const now = new Date();
    expect(() => verifySlackRequest(secret, signSlackRequest(secret, body, now), `${body}&x=1`, now)).toThrow(
      UnauthenticatedError,
    );
  });

  it('refuses a stale request: signed more than five minutes ago', () => {
    const now = new Date();
    const old = new Date(now.getTime() - 5 * 60_000 - 1_000);
    expect(() => verifySlackRequest(secret, signSlackRequest(secret, body, old), body, now)).toThrow(
      /5-minute window/,
    );
  });

  it('refuses a replay of an old request under its old, valid signature', () => {
    const then = new Date('2026-01-01T00:00:00Z');
    const captured = signSlackRequest(secret, body, then);
    expect(() => verifySlackRequest(secret, captured, body, then)).not.toThrow();
    expect(() => verifySlackRequest(secret, captured, body, new Date(then.getTime() + 3_600_000))).toThrow(
      UnauthenticatedError,
    );
  });

  it('refuses a timestamp from the future beyond the window, and requests without the headers', () => {
    const now = new Date();
    const ahead = new Date(now.getTime() + 6 * 60_000);
    expect(() => verifySlackRequest(secret, signSlackRequest(secret, body, ahead), body, now)).toThrow(
      UnauthenticatedError,
    );
    expect(() => verifySlackRequest(secret, {}, body, now)).toThrow(UnauthenticatedError);
    expect(() =>
      verifySlackRequest(
        secret,
        { 'x-slack-request-timestamp': 'abc', 'x-slack-signature': 'v0=00' },
        body,
        now,
      ),
    ).toThrow(UnauthenticatedError);
    const signed = signSlackRequest(secret, body, now);
    expect(() =>
      verifySlackRequest(
        secret,
        { ...signed, 'x-slack-signature': signed['x-slack-signature']?.replace('v0=', 'v1=') ?? '' },
        body,
        now,
      ),
    ).toThrow(UnauthenticatedError);
  });
});
