import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbChatRates } from '../../shared/adapters/dynamodb/dynamodb-chat-rates';
import {
  DynamoDbBindCodeStore,
  DynamoDbChatAppStore,
  DynamoDbIdentityLinkStore,
  DynamoDbInstallationDirectory,
  DynamoDbUsedTokens,
} from '../../shared/adapters/dynamodb/dynamodb-chat-store';
import { DynamoDbInstallStates } from '../../shared/adapters/dynamodb/dynamodb-install-states';
import { auditBySystem } from '../../shared/audit/audit-record';
import { ForbiddenError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { LocalDynamoDb } from '../support/local-dynamodb';
import { startLocalDynamoDb } from '../support/local-dynamodb';

let db: LocalDynamoDb;
beforeAll(async () => {
  db = await startLocalDynamoDb();
});
afterAll(async () => db?.stop());

const record = (orgId: string, action: string) =>
  auditBySystem({ action, actor: 'jest', orgId, targets: [], requestId: 'r', at: new Date() });

describe('the chat stores against DynamoDB Local', () => {
  it('binds an installation to exactly one org and connection', async () => {
    const directory = new DynamoDbInstallationDirectory(db.docs, db.tables.domainTable);
    const [orgA, orgB, conA, conB] = [newId('org'), newId('org'), newId('con'), newId('con')];
    await expect(directory.bind('chatfake', 'T1', orgA, conA)).resolves.toBe('bound');
    // The same binding again (a retried install) is no change; another org's is refused.
    await expect(directory.bind('chatfake', 'T1', orgA, conA)).resolves.toBe('bound');
    await expect(directory.bind('chatfake', 'T1', orgB, conB)).resolves.toBe('taken');
    await expect(directory.find('chatfake', 'T1')).resolves.toEqual({ orgId: orgA, connectionId: conA });
    // Another platform's installation of the same id is another installation.
    await expect(directory.bind('otherchat', 'T1', orgB, conB)).resolves.toBe('bound');
    await directory.unbind('chatfake', 'T1');
    await expect(directory.find('chatfake', 'T1')).resolves.toBeNull();
    await expect(directory.bind('chatfake', 'T1', orgB, conB)).resolves.toBe('bound');
  });

  it('keeps an install state with what its pending binding will bind, and gives it back once', async () => {
    const states = new DynamoDbInstallStates(db.docs, db.tables.domainTable);
    const claims = {
      provider: 'chatfake',
      orgId: newId('org'),
      userId: 'chatfake:person',
      expiresAt: new Date(Date.now() + 60_000),
      pending: { connectionId: newId('con'), tenantId: 'T1', conversationId: '19:room' },
    };
    await states.put('state-hash', claims);
    const [first, second] = await Promise.all([states.take('state-hash'), states.take('state-hash')]);
    expect([first, second].filter(Boolean)).toEqual([claims]);
    await states.put('plain-hash', { ...claims, pending: undefined });
    expect(await states.take('plain-hash')).toEqual({
      provider: claims.provider,
      orgId: claims.orgId,
      userId: claims.userId,
      expiresAt: claims.expiresAt,
    });
  });

  it('keeps a bind code by hash with its audit record, claims it once, and never after it expired', async () => {
    const codes = new DynamoDbBindCodeStore(db.docs, db.tables);
    const orgId = newId('org');
    const at = new Date();
    const code = {
      provider: 'chatfake',
      orgId,
      connectionId: newId('con'),
      installationId: 'T1',
      expiresAt: new Date(at.getTime() + 60_000),
    };
    await codes.put('hash-1', code, record(orgId, 'chat.bind_code_created'));
    await codes.put('hash-old', { ...code, expiresAt: new Date(at.getTime() - 1000) }, record(orgId, 'x'));
    await expect(codes.claim('hash-unknown', at)).resolves.toBeNull();
    // Past its time, though the TTL sweep has not removed it yet.
    await expect(codes.claim('hash-old', at)).resolves.toBeNull();
    const [first, second] = await Promise.all([codes.claim('hash-1', at), codes.claim('hash-1', at)]);
    expect([first, second].filter(Boolean)).toEqual([code]);
    await expect(codes.claim('hash-1', at)).resolves.toBeNull();
    const item = await db.docs.send(
      new QueryCommand({
        TableName: db.tables.domainTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'P#CHATBIND#hash-1' },
      }),
    );
    // The TTL attribute is set (epoch seconds), so DynamoDB removes it after it expired.
    expect(item.Items?.[0]?.expiresAt).toBe(Math.floor(code.expiresAt.getTime() / 1000));
    const audit = await db.docs.send(
      new QueryCommand({
        TableName: db.tables.auditTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `T#${orgId}#AUDIT` },
      }),
    );
    expect(audit.Items?.map((i) => i.action).sort()).toEqual(['chat.bind_code_created', 'x']);
  });

  it('claims a chat link nonce once', async () => {
    const used = new DynamoDbUsedTokens(db.docs, db.tables.domainTable);
    const until = new Date(Date.now() + 60_000);
    await expect(used.claim('nonce-1', until)).resolves.toBe(true);
    await expect(used.claim('nonce-1', until)).resolves.toBe(false);
  });

  it('keeps identity links under their org, with their audit record', async () => {
    const links = new DynamoDbIdentityLinkStore(db.docs, db.tables);
    const orgId = newId('org');
    const link = {
      orgId,
      provider: 'chatfake',
      platformUserId: 'U1',
      userId: newId('usr'),
      connectionId: newId('con'),
      via: 'email' as const,
      linkedAt: new Date().toISOString(),
    };
    await links.put(link, record(orgId, 'chat.identity_linked'));
    await expect(links.find(orgId, 'chatfake', 'U1')).resolves.toEqual(link);
    await expect(links.find(newId('org'), 'chatfake', 'U1')).resolves.toBeNull();
    // And back, for the user's direct messages: only within the org, only on that provider.
    await expect(links.platformUserOf(orgId, 'chatfake', link.userId)).resolves.toBe('U1');
    await expect(links.platformUserOf(orgId, 'otherchat', link.userId)).resolves.toBeNull();
    await expect(links.platformUserOf(newId('org'), 'chatfake', link.userId)).resolves.toBeNull();
    await expect(links.put({ ...link, orgId: 'platform' }, record(orgId, 'x'))).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const audit = await db.docs.send(
      new QueryCommand({
        TableName: db.tables.auditTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `T#${orgId}#AUDIT` },
      }),
    );
    expect(audit.Items?.map((i) => i.action)).toEqual(['chat.identity_linked']);
  });

  it('links one platform user to one hub user, and a hub user to one account per workspace, until unlinked', async () => {
    const links = new DynamoDbIdentityLinkStore(db.docs, db.tables);
    const [orgId, ada, bob, workspace, otherWorkspace] = [
      newId('org'),
      newId('usr'),
      newId('usr'),
      newId('con'),
      newId('con'),
    ];
    const link = (platformUserId: string, userId: string, connectionId = workspace) => ({
      orgId,
      provider: 'chatfake',
      platformUserId,
      userId,
      connectionId,
      via: 'link' as const,
      linkedAt: new Date().toISOString(),
    });
    await expect(links.put(link('U1', ada), record(orgId, 'chat.identity_linked'))).resolves.toBe('linked');
    // The same pair again (a retried or concurrent match) is no conflict.
    await expect(links.put(link('U1', ada), record(orgId, 'chat.identity_linked'))).resolves.toBe('linked');
    await expect(links.put(link('U1', bob), record(orgId, 'x'))).resolves.toBe('platform_user_taken');
    await expect(links.put(link('U2', ada), record(orgId, 'x'))).resolves.toBe('user_taken');
    await expect(links.find(orgId, 'chatfake', 'U1')).resolves.toMatchObject({ userId: ada });
    await expect(links.find(orgId, 'chatfake', 'U2')).resolves.toBeNull();
    await expect(links.accountIn(orgId, 'chatfake', workspace, ada)).resolves.toBe('U1');
    await expect(links.accountIn(orgId, 'chatfake', workspace, bob)).resolves.toBeNull();
    // Another workspace of the org holds another account of the same person.
    await expect(
      links.put(link('U3', ada, otherWorkspace), record(orgId, 'chat.identity_linked')),
    ).resolves.toBe('linked');
    // Once unlinked, both sides are free again.
    await expect(
      links.remove(orgId, 'chatfake', 'U1', record(orgId, 'chat.identity_unlinked')),
    ).resolves.toMatchObject({ userId: ada, connectionId: workspace });
    await expect(links.remove(orgId, 'chatfake', 'U1', record(orgId, 'x'))).resolves.toBeNull();
    await expect(links.find(orgId, 'chatfake', 'U1')).resolves.toBeNull();
    await expect(links.put(link('U1', bob), record(orgId, 'chat.identity_linked'))).resolves.toBe('linked');
    await expect(links.put(link('U2', ada), record(orgId, 'chat.identity_linked'))).resolves.toBe('linked');
    await expect(links.platformUserOf(orgId, 'chatfake', bob)).resolves.toBe('U1');
    const audit = await db.docs.send(
      new QueryCommand({
        TableName: db.tables.auditTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `T#${orgId}#AUDIT` },
      }),
    );
    // Refusals wrote nothing, their audit records included.
    expect(audit.Items?.map((i) => i.action).filter((a) => a === 'x')).toEqual([]);
  });

  it('refuses one of two concurrent links of a platform user to different hub users', async () => {
    const links = new DynamoDbIdentityLinkStore(db.docs, db.tables);
    const orgId = newId('org');
    const connectionId = newId('con');
    const attempt = (userId: string) =>
      links
        .put(
          {
            orgId,
            provider: 'chatfake',
            platformUserId: 'U9',
            userId,
            connectionId,
            via: 'link',
            linkedAt: new Date().toISOString(),
          },
          record(orgId, 'chat.identity_linked'),
        )
        .catch((error: Error) => error.name);
    const outcomes = await Promise.all([attempt(newId('usr')), attempt(newId('usr'))]);
    expect(outcomes.filter((o) => o === 'linked')).toHaveLength(1);
  });

  it('counts each chat user’s work in its window: the limit, one use said to be over, then silent', async () => {
    const rates = new DynamoDbChatRates(db.docs, db.tables.domainTable, {
      name: 'chat',
      limit: 2,
      windowSeconds: 60,
    });
    const orgId = newId('org');
    const at = new Date('2026-03-01T12:00:10Z');
    const ada = { provider: 'chatfake', platformUserId: 'U1' };
    const outcomes = [];
    for (let n = 0; n < 5; n++) outcomes.push((await rates.consume(orgId, ada, at)).outcome);
    expect(outcomes).toEqual(['allowed', 'allowed', 'over', 'silent', 'silent']);
    await expect(rates.consume(orgId, ada, at)).resolves.toEqual({
      outcome: 'silent',
      retryAfterSeconds: 50,
    });
    // Another person, another org, the next window: each counted apart.
    await expect(rates.consume(orgId, { ...ada, platformUserId: 'U2' }, at)).resolves.toMatchObject({
      outcome: 'allowed',
    });
    await expect(rates.consume(newId('org'), ada, at)).resolves.toMatchObject({ outcome: 'allowed' });
    await expect(rates.consume(orgId, ada, new Date('2026-03-01T12:01:00Z'))).resolves.toMatchObject({
      outcome: 'allowed',
    });
    await expect(rates.consume('platform', ada, at)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('admits no more than the limit of concurrent work from one chat user', async () => {
    const rates = new DynamoDbChatRates(db.docs, db.tables.domainTable, {
      name: 'chat',
      limit: 3,
      windowSeconds: 60,
    });
    const orgId = newId('org');
    const at = new Date();
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        rates.consume(orgId, { provider: 'chatfake', platformUserId: 'U1' }, at),
      ),
    );
    expect(outcomes.filter((o) => o.outcome === 'allowed')).toHaveLength(3);
    expect(outcomes.filter((o) => o.outcome === 'over')).toHaveLength(1);
  });

  it('stores chat app settings once per provider, seeding only where none are set', async () => {
    const apps = new DynamoDbChatAppStore(db.docs, db.tables);
    const app = {
      provider: 'chatfake',
      encrypted: 'c2VjcmV0',
      summary: { clientId: 'c' },
      updatedAt: new Date().toISOString(),
    };
    await expect(apps.put(app, null, { onlyIfAbsent: true })).resolves.toBe(true);
    await expect(
      apps.put({ ...app, summary: { clientId: 'seed' } }, null, { onlyIfAbsent: true }),
    ).resolves.toBe(false);
    await expect(
      apps.put({ ...app, summary: { clientId: 'set' } }, record('platform', 'platform.chat_app_set')),
    ).resolves.toBe(true);
    await expect(apps.get('chatfake')).resolves.toEqual({ ...app, summary: { clientId: 'set' } });
    await expect(apps.get('nochat')).resolves.toBeNull();
  });
});
