import { DynamoDbAddressConfirmationStore } from '../../shared/adapters/dynamodb/dynamodb-address-confirmation-store';
import { DynamoDbMailSuppressionStore } from '../../shared/adapters/dynamodb/dynamodb-mail-suppression-store';
import { DynamoDbNotificationRuleStore } from '../../shared/adapters/dynamodb/dynamodb-notification-rule-store';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import type { RequestContext } from '../../shared/audit/audit-record';
import { auditBySystem } from '../../shared/audit/audit-record';
import { NotFoundError } from '../../shared/errors';
import {
  addressStates,
  makeConfirmAddress,
  makeRequestConfirmations,
  resolveConfirmation,
} from '../../shared/notify/email/address-confirmation';
import { PreferenceAwareEmailRecipients } from '../../shared/notify/email/recipients';
import { makeManageNotificationRules } from '../../shared/notify/rules/manage-rules';
import { noEndpoints } from '../../shared/notify/rules/ports';
import { CreateNotificationRuleRequest } from '../../shared/notify/rules/rule';
import type { MailMessage } from '../../shared/ports/mailer';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import type { User } from '../../shared/tenancy/user';
import { platformAdmin } from '../support/api-events';
import { aCanonicalEvent } from '../support/builders';
import type { LocalAws } from '../support/local-aws';
import { startLocalAws } from '../support/local-aws';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());

const request: RequestContext = { requestId: 'req-confirm', ip: '127.0.0.1', userAgent: 'jest' };

async function setup(
  slug: string,
  takeQuota?: (orgId: string, address: string, at: Date) => Promise<boolean>,
) {
  let now = new Date('2026-12-02T10:00:00.000Z');
  const clock = { now: () => now };
  const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
  const org = await makeCreateOrg({ orgs, clock })({ name: 'Acme', slug }, platformAdmin, request);
  const member: User = {
    id: 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1',
    orgId: org.id,
    email: 'dev@acme.test',
    name: 'Dev',
    role: 'member',
    status: 'active',
    createdAt: now.toISOString(),
    createdBy: 'test',
  };
  const users = {
    get: async (_o: string, id: string) => (id === member.id ? member : null),
    findByEmail: async (_o: string, email: string) => (email === member.email ? member : null),
  };
  const confirmations = new DynamoDbAddressConfirmationStore(aws.docs, aws.tables);
  const suppressions = new DynamoDbMailSuppressionStore(aws.docs, aws.tables);
  const mails: MailMessage[] = [];
  const deps = { confirmations, suppressions, users, clock };
  const manage = makeManageNotificationRules({
    orgs,
    rules: new DynamoDbNotificationRuleStore(aws.docs, aws.tables),
    refs: {
      endpoints: noEndpoints,
      users,
      teams: { get: async () => null },
      connections: { get: async () => null },
    },
    users,
    teams: { get: async () => null, membersOf: async () => [] },
    events: { get: async () => undefined },
    claims: {} as never,
    channels: {},
    clock,
    addresses: {
      states: (orgId, addresses) => addressStates(deps, orgId, addresses),
      request: makeRequestConfirmations({
        ...deps,
        mailer: {
          send: async (m) => {
            mails.push(m);
            return { messageId: `m${mails.length}` };
          },
        },
        publicUrl: 'http://127.0.0.1:3000',
        orgName: async () => 'Acme',
        ...(takeQuota ? { takeQuota } : {}),
      }),
    },
  });
  const recipients = new PreferenceAwareEmailRecipients({
    users,
    teams: { membersOf: async () => [] },
    preferences: { getMany: async () => new Map() },
    suppressions,
    confirmations,
    clock,
  });
  const later = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  return { org, manage, mails, confirmations, suppressions, recipients, orgs, clock, later };
}

const tokenIn = (mail: MailMessage | undefined) =>
  /token=(hubconf_[A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];

describe('double opt-in of the bare addresses a rule emails', () => {
  it('asks a new address once, holds its email until it confirms, and its single-use link confirms it for that org only', async () => {
    const { org, manage, mails, confirmations, suppressions, recipients, orgs, clock, later } =
      await setup('confirm-it-1');
    await suppressions.suppress(
      org.id,
      {
        address: 'left@else.test',
        reason: 'unsubscribed',
        detail: null,
        suppressedAt: clock.now().toISOString(),
      },
      auditBySystem({
        action: 'test',
        actor: 't',
        orgId: org.id,
        targets: [],
        requestId: 'r',
        at: clock.now(),
      }),
    );
    const rule = await manage.create(
      org.id,
      CreateNotificationRuleRequest.parse({
        name: 'ops',
        eventTypes: ['pull_request.*'],
        destinations: [{ kind: 'email', addresses: ['Ops@Else.test', 'dev@acme.test', 'left@else.test'] }],
      }),
      platformAdmin,
      request,
    );
    // One email, to the new address only: not to the org's user, never to one that unsubscribed.
    expect(mails.map((m) => m.to)).toEqual(['ops@else.test']);
    expect(mails[0]?.tags).toEqual({ orgId: org.id });
    expect(rule.addressConfirmations).toEqual([
      { address: 'ops@else.test', state: 'pending' },
      { address: 'dev@acme.test', state: 'user' },
      { address: 'left@else.test', state: 'suppressed' },
    ]);
    const destination = { kind: 'email' as const, addresses: ['ops@else.test', 'dev@acme.test'] };
    const event = aCanonicalEvent({ tenantId: org.id, type: 'pull_request.merged' });
    expect((await recipients.resolve(org.id, destination, event)).now.map((t) => t.address)).toEqual([
      'dev@acme.test',
    ]);

    // Edited again the same day: no second email; a day later, one more.
    await manage.update(org.id, rule.id, { destinations: rule.destinations }, platformAdmin, request);
    expect(mails).toHaveLength(1);
    later(86_400_001);
    await manage.update(org.id, rule.id, { destinations: rule.destinations }, platformAdmin, request);
    expect(mails).toHaveLength(2);

    const confirm = makeConfirmAddress({ confirmations, orgs, clock });
    // The first link still works (7 days), and only once.
    const token = tokenIn(mails[0]);
    expect(await resolveConfirmation({ confirmations, orgs }, token)).toMatchObject({
      orgId: org.id,
      address: 'ops@else.test',
      orgName: 'Acme',
    });
    await expect(confirm(token, { requestId: 'r1' })).resolves.toMatchObject({ address: 'ops@else.test' });
    await expect(confirm(token, { requestId: 'r2' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(confirm('hubconf_nope', { requestId: 'r3' })).rejects.toBeInstanceOf(NotFoundError);
    expect((await manage.get(org.id, rule.id)).addressConfirmations[0]).toEqual({
      address: 'ops@else.test',
      state: 'confirmed',
    });
    expect((await recipients.resolve(org.id, destination, event)).now.map((t) => t.address)).toEqual([
      'dev@acme.test',
      'ops@else.test',
    ]);
    // Confirmed: a later edit asks nothing more.
    later(3 * 86_400_000);
    await manage.update(org.id, rule.id, { destinations: rule.destinations }, platformAdmin, request);
    expect(mails).toHaveLength(2);

    // Per org: another org's rule naming the same address asks it again, and it is not confirmed there.
    const other = await setup('confirm-it-2');
    const theirs = await other.manage.create(
      other.org.id,
      CreateNotificationRuleRequest.parse({
        name: 'ops',
        eventTypes: ['push'],
        destinations: [{ kind: 'email', addresses: ['ops@else.test'] }],
      }),
      platformAdmin,
      request,
    );
    expect(theirs.addressConfirmations).toEqual([{ address: 'ops@else.test', state: 'pending' }]);
    expect(other.mails.map((m) => m.to)).toEqual(['ops@else.test']);
  });

  it('the rule test says which addresses are unconfirmed and renders only what would be sent', async () => {
    const { org, manage } = await setup('confirm-it-3');
    const rule = await manage.create(
      org.id,
      CreateNotificationRuleRequest.parse({
        name: 'ops',
        eventTypes: ['pull_request.*'],
        destinations: [{ kind: 'email', addresses: ['ops@else.test'] }],
      }),
      platformAdmin,
      request,
    );
    const tried = await manage.test(org.id, rule.id, { sample: 'pull_request.merged' });
    expect(tried.matched).toBe(true);
    expect(tried.deliveries[0]).toMatchObject({ rendered: [], unconfirmed: ['ops@else.test'] });
    expect(tried.deliveries[0]?.note).toMatch(/confirm/);
  });

  it("sends no confirmation once the org's daily email quota is spent, and counts each one it sends", async () => {
    let left = 1;
    const { org, manage, mails } = await setup('confirm-it-4', async () => left-- > 0);
    const rule = await manage.create(
      org.id,
      CreateNotificationRuleRequest.parse({
        name: 'ops',
        eventTypes: ['push'],
        destinations: [{ kind: 'email', addresses: ['one@else.test', 'two@else.test'] }],
      }),
      platformAdmin,
      request,
    );
    expect(mails.map((m) => m.to)).toEqual(['one@else.test']);
    expect(rule.addressConfirmations.map((a) => a.state)).toEqual(['pending', 'pending']);
  });
});
