import { WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import { isSlackHookUrl, slackFailure } from '../../../../../shared/connectors/slack/client';
import { EgressRefusedError } from '../../../../../shared/egress';

const platform = (error: string) => new WebAPIPlatformError({ ok: false, error });

describe("Slack's failures in the notify system's terms", () => {
  it('marks a removed app or revoked token as gone: the connection needs attention', () => {
    for (const code of ['invalid_auth', 'token_revoked', 'account_inactive'])
      expect(slackFailure('chat.postMessage', platform(code))).toEqual({
        ok: false,
        statusCode: 200,
        error: code,
        permanent: 'gone',
      });
  });

  it('marks a message that can never go as rejected', () => {
    for (const code of ['channel_not_found', 'not_in_channel', 'is_archived', 'msg_too_long'])
      expect(slackFailure('chat.postMessage', platform(code))).toMatchObject({
        error: code,
        permanent: 'rejected',
      });
  });

  it("retries a rate-limited call after Slack's Retry-After, and an expired token after the source renews it", () => {
    expect(slackFailure('chat.update', new WebAPIRateLimitedError(12))).toEqual({
      ok: false,
      statusCode: 429,
      error: 'ratelimited',
      retryAfterSeconds: 12,
    });
    expect(slackFailure('chat.postMessage', platform('ratelimited'))).toMatchObject({ retryAfterSeconds: 1 });
    expect(slackFailure('chat.postMessage', platform('token_expired'))).toMatchObject({
      retryAfterSeconds: 60,
    });
    expect(slackFailure('chat.postMessage', platform('token_expired')).permanent).toBeUndefined();
  });

  it('says what the egress guard refused, and nothing of what an unknown error carried', () => {
    expect(
      slackFailure('chat.postMessage', new WebAPIRequestError(new EgressRefusedError('private address'))),
    ).toEqual({ ok: false, error: 'refused by the egress guard', permanent: 'rejected' });
    expect(slackFailure('chat.postMessage', new Error('xoxb-secret-token in a message'))).toEqual({
      ok: false,
      error: 'the call to Slack failed',
    });
    expect(slackFailure('chat.postMessage', platform('<weird> xoxb'))).toMatchObject({ error: 'error' });
  });

  it("takes response_urls only on the deployment's Slack hooks URL", () => {
    expect(isSlackHookUrl('https://hooks.slack.com/commands/T1/2/abc', 'https://hooks.slack.com/')).toBe(
      true,
    );
    expect(isSlackHookUrl('https://hooks.slack.com.attacker.test/commands', 'https://hooks.slack.com/')).toBe(
      false,
    );
    expect(isSlackHookUrl('https://user:pw@hooks.slack.com/commands', 'https://hooks.slack.com/')).toBe(
      false,
    );
    expect(isSlackHookUrl('http://hooks.slack.com/commands', 'https://hooks.slack.com/')).toBe(false);
    expect(isSlackHookUrl('not a url', 'https://hooks.slack.com/')).toBe(false);
  });
});
