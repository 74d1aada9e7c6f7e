import {
  ActivitySchema,
  commandText,
  membershipChange,
  tenantOf,
} from '../../../../../shared/connectors/msteams/activity';

const base = {
  channelId: 'msteams',
  serviceUrl: 'https://smba.trafficmanager.net/amer/',
  recipient: { id: '28:bot' },
  conversation: { id: '19:c@thread.tacv2', tenantId: 'AAAAAAAA-0000-4000-8000-000000000001' },
};
const parse = (extra: Record<string, unknown>) => ActivitySchema.parse({ ...base, ...extra });

describe('reading a Teams activity', () => {
  it('strips the bot mention and markup from a channel message, leaving the command', () => {
    expect(commandText('<at>Hub</at>&nbsp;move  WEB-12 <b>Done</b>')).toBe('move WEB-12 Done');
    expect(commandText('<p><at id="0">Integration Hub</at> status WEB-12</p>')).toBe('status WEB-12');
    expect(commandText('x'.repeat(5000))).toHaveLength(2000);
  });

  it('names the tenant from channelData, else from the conversation, in lower case', () => {
    expect(tenantOf(parse({ type: 'message', channelData: { tenant: { id: 'BBBB' } } }))).toBe('bbbb');
    expect(tenantOf(parse({ type: 'message' }))).toBe('aaaaaaaa-0000-4000-8000-000000000001');
  });

  it('tells the bot being added or removed from other conversation updates', () => {
    expect(membershipChange(parse({ type: 'installationUpdate', action: 'add' }))).toBe('added');
    expect(membershipChange(parse({ type: 'installationUpdate', action: 'remove-upgrade' }))).toBe('removed');
    expect(membershipChange(parse({ type: 'conversationUpdate', membersAdded: [{ id: '28:bot' }] }))).toBe(
      'added',
    );
    expect(membershipChange(parse({ type: 'conversationUpdate', membersRemoved: [{ id: '28:bot' }] }))).toBe(
      'removed',
    );
    expect(
      membershipChange(parse({ type: 'conversationUpdate', membersAdded: [{ id: '29:someone' }] })),
    ).toBeNull();
    expect(membershipChange(parse({ type: 'message' }))).toBeNull();
  });

  it('refuses an activity without a service URL or conversation', () => {
    expect(ActivitySchema.safeParse({ type: 'message', channelId: 'msteams' }).success).toBe(false);
    expect(ActivitySchema.safeParse({ ...base, type: 'message', serviceUrl: 'ftp://x' }).success).toBe(false);
  });
});
