import { DynamoDbConversationDirectory } from '../../shared/adapters/dynamodb/dynamodb-conversation-directory';
import { ForbiddenError, ValidationError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

const conversation = (id: string, serviceUrl = 'https://smba.trafficmanager.net/amer/') => ({
  id,
  installationId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  name: 'General',
  data: { serviceUrl, botId: '28:bot' },
  updatedAt: '2026-12-02T01:00:00.000Z',
});

describe('the chat conversation directory in DynamoDB Local', () => {
  it('remembers a conversation per org and provider, refreshes it, and forgets it', async () => {
    const directory = new DynamoDbConversationDirectory(aws.docs, aws.tables);
    const orgId = newId('org');
    const other = newId('org');
    await directory.remember(orgId, 'chat-a', conversation('19:c@thread.tacv2'));
    expect(await directory.recall(orgId, 'chat-a', '19:c@thread.tacv2')).toEqual(
      conversation('19:c@thread.tacv2'),
    );
    // Another org, or another provider, does not see it.
    expect(await directory.recall(other, 'chat-a', '19:c@thread.tacv2')).toBeNull();
    expect(await directory.recall(orgId, 'chat-b', '19:c@thread.tacv2')).toBeNull();
    await directory.remember(
      orgId,
      'chat-a',
      conversation('19:c@thread.tacv2', 'https://smba.trafficmanager.net/emea/'),
    );
    expect((await directory.recall(orgId, 'chat-a', '19:c@thread.tacv2'))?.data.serviceUrl).toBe(
      'https://smba.trafficmanager.net/emea/',
    );
    await directory.forget(orgId, 'chat-a', '19:c@thread.tacv2');
    expect(await directory.recall(orgId, 'chat-a', '19:c@thread.tacv2')).toBeNull();
  });

  it("forgets every conversation of one installation in the org, and nobody else's", async () => {
    const directory = new DynamoDbConversationDirectory(aws.docs, aws.tables);
    const orgId = newId('org');
    const other = newId('org');
    const tenant = conversation('c').installationId;
    await directory.remember(orgId, 'chat-a', conversation('19:one@thread.tacv2'));
    await directory.remember(orgId, 'chat-a', { ...conversation(`tenant:${tenant}`) });
    await directory.remember(orgId, 'chat-a', {
      ...conversation('19:else@thread.tacv2'),
      installationId: 'T2',
    });
    await directory.remember(orgId, 'chat-b', conversation('19:one@thread.tacv2'));
    await directory.remember(other, 'chat-a', conversation('19:one@thread.tacv2'));
    expect(await directory.forgetInstallation(orgId, 'chat-a', tenant)).toBe(2);
    expect(await directory.recall(orgId, 'chat-a', '19:one@thread.tacv2')).toBeNull();
    expect(await directory.recall(orgId, 'chat-a', `tenant:${tenant}`)).toBeNull();
    // Another installation, another provider, another org: kept.
    expect(await directory.recall(orgId, 'chat-a', '19:else@thread.tacv2')).not.toBeNull();
    expect(await directory.recall(orgId, 'chat-b', '19:one@thread.tacv2')).not.toBeNull();
    expect(await directory.recall(other, 'chat-a', '19:one@thread.tacv2')).not.toBeNull();
    expect(await directory.forgetInstallation(orgId, 'chat-a', tenant)).toBe(0);
    await expect(directory.forgetInstallation('P#x', 'chat-a', tenant)).rejects.toThrow(ForbiddenError);
  });

  it('refuses what is not a tenant, and unbounded references', async () => {
    const directory = new DynamoDbConversationDirectory(aws.docs, aws.tables);
    await expect(directory.recall('P#x', 'chat-a', 'c')).rejects.toThrow(ForbiddenError);
    const big = {
      ...conversation('c'),
      data: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])),
    };
    await expect(directory.remember(newId('org'), 'chat-a', big)).rejects.toThrow(ValidationError);
  });
});
