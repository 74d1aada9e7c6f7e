import { retryAfterFor, tierOf } from '../../../../../shared/connectors/slack/rate-tiers';

describe("Slack's rate tiers", () => {
  it('knows the tier of each method the hub calls, Tier 3 for others', () => {
    expect(tierOf('chat.postMessage')).toBe('special');
    expect(tierOf('chat.update')).toBe(3);
    expect(tierOf('users.info')).toBe(4);
    expect(tierOf('users.lookupByEmail')).toBe(3);
    expect(tierOf('conversations.open')).toBe(3);
    expect(tierOf('some.new.method')).toBe(3);
  });

  it("waits what Slack's Retry-After says (bounded), else one interval of the method's tier", () => {
    expect(retryAfterFor('chat.update', '17')).toBe(17);
    expect(retryAfterFor('chat.update', 0)).toBe(1);
    expect(retryAfterFor('chat.update', '999999')).toBe(3600);
    expect(retryAfterFor('chat.postMessage')).toBe(1);
    expect(retryAfterFor('chat.update', null)).toBe(2);
    expect(retryAfterFor('users.info', 'soon')).toBe(1);
  });
});
