import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAccessStore } from '../../shared/adapters/dynamodb/dynamodb-access-store';
import { DynamoDbInvitationStore } from '../../shared/adapters/dynamodb/dynamodb-invitation-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import { DynamoDbUserStore } from '../../shared/adapters/dynamodb/dynamodb-user-store';
import type { RequestContext } from '../../shared/audit/audit-record';
import { makeRoleGuard } from '../../shared/authz/role-guard';
import { ConflictError, ForbiddenError, GoneError, NotFoundError } from '../../shared/errors';
import type { CanonicalEvent } from '../../shared/events/canonical-event';
import { domainEventFromInsert } from '../../shared/events/domain-change';
import type { Principal } from '../../shared/identity/principal';
import type { MailMessage } from '../../shared/ports/mailer';
import type { SecretCipher } from '../../shared/ports/secret-cipher';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import {
  makeAcceptInvitation,
  makeInviteUser,
  makeListInvitations,
  makeResendInvitation,
  makeRevokeInvitation,
} from '../../shared/tenancy/manage-invitations';
import { makeSendInvitationMail } from '../../shared/tenancy/send-invitation-mail';
import { platformAdmin } from '../support/api-events';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

const request: RequestContext = { requestId: 'req-inv', ip: '127.0.0.1', userAgent: 'jest' };

/** Encrypts by binding the plaintext to its context, so a wrong context fails as KMS would. */
const cipher: SecretCipher = {
  encrypt: async (plaintext, context) =>
    Buffer.from(JSON.stringify({ plaintext, context })).toString('base64'),
  decrypt: async (ciphertext, context) => {
    const sealed = JSON.parse(Buffer.from(ciphertext, 'base64').toString('utf8'));
    if (JSON.stringify(sealed.context) !== JSON.stringify(context)) throw new Error('context mismatch');
    return sealed.plaintext;
  },
};

function setup(slug: string, settings: Record<string, unknown> = {}) {
  let now = new Date('2026-11-27T10:00:00Z');
  const clock = { now: () => now };
  const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
  const invitations = new DynamoDbInvitationStore(aws.docs, aws.tables);
  const users = new DynamoDbUserStore(aws.docs, aws.tables);
  const sent: MailMessage[] = [];
  const mayGrant = makeRoleGuard(new DynamoDbAccessStore(aws.docs, aws.tables));
  const deps = { orgs, invitations, cipher, clock, mayGrant };
  const sendMail = makeSendInvitationMail({
    invitations,
    cipher,
    mailer: {
      send: async (m) => {
        sent.push(m);
        return { messageId: `m${sent.length}` };
      },
    },
    config: { from: 'hub@example.com', acceptUrl: undefined },
    clock,
  });
  /** Plays the outbox: announces every email item as the table's stream would, to the mail worker. */
  const deliverOutbox = async (orgId: string) => {
    const items = await aws.docs.send(
      new QueryCommand({
        TableName: aws.tables.domainTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `T#${orgId}#INVITEMAIL` },
      }),
    );
    const outcomes = [];
    for (const item of items.Items ?? []) {
      const event = domainEventFromInsert(item, 'stream-1', now) as CanonicalEvent;
      expect(event.type).toBe('invitation.sent');
      expect(JSON.stringify(event)).not.toMatch(/tokenCiphertext|@/);
      outcomes.push(await sendMail(event));
    }
    return outcomes;
  };
  return {
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    sent,
    users,
    invitations,
    deliverOutbox,
    createOrg: () => makeCreateOrg({ orgs, clock })({ name: slug, slug, settings }, platformAdmin, request),
    invite: makeInviteUser(deps),
    resend: makeResendInvitation(deps),
    revoke: makeRevokeInvitation({ invitations, clock, mayGrant }),
    list: makeListInvitations({ invitations, clock }),
    accept: makeAcceptInvitation({ orgs, invitations, clock }),
  };
}

const tokenIn = (mail: MailMessage | undefined) =>
  /hubinv_[A-Za-z0-9_-]{43}/.exec(mail?.text ?? '')?.[0] ?? '';
const DAY = 24 * 60 * 60 * 1000;

describe('invitations against DynamoDB Local', () => {
  it('emails a single-use token that makes the invitee a user with the invited role', async () => {
    const hub = setup('inv-happy');
    const org = await hub.createOrg();
    const invitation = await hub.invite(
      org.id,
      { email: 'Ada@Example.com', role: 'viewer' },
      platformAdmin,
      request,
    );
    expect(invitation).toMatchObject({ email: 'ada@example.com', role: 'viewer', status: 'pending' });
    expect(JSON.stringify(invitation)).not.toMatch(/hubinv_|tokenHash/);

    expect(await hub.deliverOutbox(org.id)).toEqual(['sent']);
    expect(hub.sent).toHaveLength(1);
    expect(hub.sent[0]).toMatchObject({
      to: 'ada@example.com',
      subject: expect.stringContaining('inv-happy'),
    });
    // A redelivered announcement sends nothing twice, and the stored token ciphertext is gone.
    expect(await hub.deliverOutbox(org.id)).toEqual(['already-sent']);
    expect(hub.sent).toHaveLength(1);
    expect((await hub.list(org.id, { limit: 10 })).items[0]?.lastSentAt).not.toBeNull();

    const user = await hub.accept({ token: tokenIn(hub.sent[0]), name: 'Ada' }, request);
    expect(user).toMatchObject({ orgId: org.id, email: 'ada@example.com', role: 'viewer', status: 'active' });
    await expect(hub.users.get(org.id, user.id)).resolves.toMatchObject({ email: 'ada@example.com' });
    await expect(hub.accept({ token: tokenIn(hub.sent[0]), name: 'Ada' }, request)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect((await hub.list(org.id, { limit: 10 })).items[0]).toMatchObject({
      status: 'accepted',
      acceptedUserId: user.id,
    });
    // Already a user: not invited again.
    await expect(
      hub.invite(org.id, { email: 'ada@example.com' }, platformAdmin, request),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('expires after seven days; a resend issues a new token and kills the old one', async () => {
    const hub = setup('inv-expiry');
    const org = await hub.createOrg();
    const invitation = await hub.invite(org.id, { email: 'bo@example.com' }, platformAdmin, request);
    await hub.deliverOutbox(org.id);
    const first = tokenIn(hub.sent[0]);
    hub.advance(7 * DAY + 1000);
    expect((await hub.list(org.id, { limit: 10 })).items[0]?.status).toBe('expired');
    await expect(hub.accept({ token: first, name: 'Bo' }, request)).rejects.toBeInstanceOf(GoneError);

    const resent = await hub.resend(org.id, invitation.id, platformAdmin, request);
    expect(resent).toMatchObject({ status: 'pending', sendCount: 2 });
    expect(await hub.deliverOutbox(org.id)).toEqual(['already-sent', 'sent']);
    expect(hub.sent).toHaveLength(2);
    const second = tokenIn(hub.sent[1]);
    expect(second).not.toBe(first);
    await expect(hub.accept({ token: first, name: 'Bo' }, request)).rejects.toBeInstanceOf(NotFoundError);
    await expect(hub.accept({ token: second, name: 'Bo' }, request)).resolves.toMatchObject({
      role: 'member',
    });
  });

  it('refuses a revoked token, and lets exactly one of two concurrent accepts through', async () => {
    const hub = setup('inv-revoke');
    const org = await hub.createOrg();
    const revoked = await hub.invite(org.id, { email: 'cy@example.com' }, platformAdmin, request);
    const raced = await hub.invite(org.id, { email: 'di@example.com' }, platformAdmin, request);
    await hub.deliverOutbox(org.id);
    const tokenFor = (to: string) => tokenIn(hub.sent.find((m) => m.to === to));

    await hub.revoke(org.id, revoked.id, platformAdmin, request);
    await expect(
      hub.accept({ token: tokenFor('cy@example.com'), name: 'Cy' }, request),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(hub.revoke(org.id, revoked.id, platformAdmin, request)).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(hub.resend(org.id, revoked.id, platformAdmin, request)).rejects.toBeInstanceOf(
      ConflictError,
    );

    const token = tokenFor('di@example.com');
    const results = await Promise.allSettled([
      hub.accept({ token, name: 'Di' }, request),
      hub.accept({ token, name: 'Di' }, request),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await hub.users.list(org.id, { limit: 10 })).items.map((u) => u.email)).toEqual([
      'di@example.com',
    ]);
    expect(raced.id).toBeDefined();
  });

  it('checks the inviter may grant the role and the org admits the domain, when sent and when used', async () => {
    const hub = setup('inv-rules', { allowedEmailDomains: ['example.com'] });
    const org = await hub.createOrg();
    const admin: Principal = {
      kind: 'org_member',
      type: 'api_key',
      id: 'key_x',
      name: 'a',
      orgId: org.id,
      role: 'admin',
    };
    await expect(
      hub.invite(org.id, { email: 'ed@example.com', role: 'owner' }, admin, request),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(hub.invite(org.id, { email: 'ed@elsewhere.org' }, admin, request)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(
      hub.invite(org.id, { email: 'ed@example.com', role: 'admin' }, admin, request),
    ).resolves.toMatchObject({
      role: 'admin',
    });
    expect(await hub.invite(org.id, { email: 'fi@example.com' }, admin, request)).toMatchObject({
      role: org.settings.defaultRole,
    });
  });
});
