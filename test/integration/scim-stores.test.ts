import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbOrgStore } from '../../shared/adapters/dynamodb/dynamodb-org-store';
import { DynamoDbScimGroupStore } from '../../shared/adapters/dynamodb/dynamodb-scim-group-store';
import { DynamoDbScimUserStore } from '../../shared/adapters/dynamodb/dynamodb-scim-user-store';
import { DynamoDbTeamStore } from '../../shared/adapters/dynamodb/dynamodb-team-store';
import { DynamoDbUserStore } from '../../shared/adapters/dynamodb/dynamodb-user-store';
import type { Principal } from '../../shared/identity/principal';
import { makeScimGroups } from '../../shared/scim/groups';
import { parseListQuery } from '../../shared/scim/query';
import type { ScimCaller } from '../../shared/scim/scim-caller';
import { toScimError } from '../../shared/scim/scim-handler';
import { makeScimUsers } from '../../shared/scim/users';
import { makeCreateOrg } from '../../shared/tenancy/create-org';
import { platformAdmin } from '../support/api-events';
import type { LocalDynamoDb } from '../support/local-dynamodb';
import { startLocalDynamoDb } from '../support/local-dynamodb';

let aws: LocalDynamoDb;
beforeAll(async () => {
  aws = await startLocalDynamoDb();
});
afterAll(async () => aws?.stop());

const clock = { now: () => new Date() };
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** An org of its own, the SCIM services over the DynamoDB stores, and who was signed out. */
async function scimWorld(slug: string) {
  const orgs = new DynamoDbOrgStore(aws.docs, aws.tables);
  const org = await makeCreateOrg({ orgs, clock })({ name: slug, slug }, platformAdmin, {
    requestId: 'req-it',
    ip: '127.0.0.1',
    userAgent: 'jest',
  });
  const users = new DynamoDbUserStore(aws.docs, aws.tables);
  const profiles = new DynamoDbScimUserStore(aws.docs, aws.tables);
  const teams = new DynamoDbTeamStore(aws.docs, aws.tables);
  const groupStore = new DynamoDbScimGroupStore(aws.docs, aws.tables);
  const signedOut: string[] = [];
  const principal: Principal = {
    kind: 'org_member',
    type: 'api_key',
    id: 'scim_1',
    name: 'SCIM token Okta',
    orgId: org.id,
    role: 'admin',
  };
  const caller: ScimCaller = {
    org,
    principal,
    request: { requestId: 'req-scim', ip: '203.0.113.9', userAgent: 'Okta', channel: 'scim' },
    baseUrl: 'https://hub.test/scim/v2',
  };
  const scimUsers = makeScimUsers({
    users,
    profiles,
    teams,
    sessions: { signOut: async (u) => void signedOut.push(u.email) },
    clock,
  });
  const scimGroups = makeScimGroups({ orgs, teams, users, groups: groupStore, clock });
  const idOf = (result: { body?: unknown }) => String((result.body as { id: string }).id);
  const auditOf = async () =>
    (
      await aws.docs.send(
        new QueryCommand({
          TableName: aws.tables.auditTable,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': `T#${org.id}#AUDIT` },
        }),
      )
    ).Items ?? [];
  return { org, caller, users, profiles, groupStore, scimUsers, scimGroups, signedOut, idOf, auditOf };
}

async function refusal(run: Promise<unknown>) {
  try {
    await run;
  } catch (error) {
    return toScimError(error);
  }
  throw new Error('expected a refusal');
}

describe('SCIM stores against DynamoDB Local', () => {
  it('moves the hub user email and userName claims with a PUT that changes the address, atomically', async () => {
    const w = await scimWorld('scim-readdress-it');
    const ada = w.idOf(
      await w.scimUsers.create(w.caller, {
        userName: 'ada@acme.test',
        emails: [{ value: 'ada@acme.test', primary: true }],
        name: { givenName: 'Ada', familyName: 'Lovelace' },
      }),
    );
    const grace = w.idOf(await w.scimUsers.create(w.caller, { userName: 'grace@acme.test' }));

    const put = await w.scimUsers.replace(w.caller, ada, {
      userName: 'ada.byron@acme.test',
      emails: [{ value: 'ada.byron@acme.test', type: 'work', primary: true }],
      name: { givenName: 'Ada', familyName: 'Byron' },
    });
    expect(put.body).toMatchObject({ id: ada, userName: 'ada.byron@acme.test' });
    await expect(w.users.get(w.org.id, ada)).resolves.toMatchObject({
      email: 'ada.byron@acme.test',
      name: 'Ada Byron',
    });
    await expect(w.users.findByEmail(w.org.id, 'ada.byron@acme.test')).resolves.toMatchObject({ id: ada });
    await expect(w.users.findByEmail(w.org.id, 'ada@acme.test')).resolves.toBeNull();
    await expect(w.profiles.userIdByUserName(w.org.id, 'ADA.BYRON@acme.test')).resolves.toBe(ada);
    await expect(w.profiles.userIdByUserName(w.org.id, 'ada@acme.test')).resolves.toBeNull();
    expect(w.signedOut).toEqual(['ada@acme.test']);
    // The old address is free again: another user may take it.
    w.idOf(await w.scimUsers.create(w.caller, { userName: 'ada@acme.test' }));

    const audits = (await w.auditOf()).length;
    const clash = await refusal(
      w.scimUsers.replace(w.caller, ada, {
        userName: 'ada.byron@acme.test',
        displayName: 'Not written',
        emails: [{ value: 'Grace@acme.test', primary: true }],
      }),
    );
    expect(clash).toMatchObject({ status: 409, scimType: 'uniqueness' });
    // Nothing of the refused change is written: profile, user, claims and audit trail stand.
    const read = await w.scimUsers.get(w.caller, ada, parseListQuery({}));
    expect(read.body).not.toHaveProperty('displayName');
    await expect(w.users.get(w.org.id, ada)).resolves.toMatchObject({ email: 'ada.byron@acme.test' });
    await expect(w.users.findByEmail(w.org.id, 'grace@acme.test')).resolves.toMatchObject({ id: grace });
    await expect(w.users.findByEmail(w.org.id, 'ada.byron@acme.test')).resolves.toMatchObject({ id: ada });
    expect(await w.auditOf()).toHaveLength(audits);

    const taken = await refusal(w.scimUsers.replace(w.caller, ada, { userName: 'GRACE@acme.test' }));
    expect(taken).toMatchObject({ status: 409, scimType: 'uniqueness' });
  });

  it("keeps a group's externalId, filters on it exactly, and names members; users show their groups", async () => {
    const w = await scimWorld('scim-groups-it');
    const ada = w.idOf(
      await w.scimUsers.create(w.caller, { userName: 'ada@acme.test', displayName: 'Ada Lovelace' }),
    );
    const created = await w.scimGroups.create(w.caller, {
      displayName: 'Engineering',
      externalId: 'okta-00g1',
      members: [{ value: ada, display: 'whatever the IdP says' }],
    });
    const group = w.idOf(created);
    expect(created.body).toMatchObject({
      externalId: 'okta-00g1',
      members: [{ value: ada, display: 'Ada Lovelace', type: 'User' }],
    });
    const read = await w.scimGroups.get(w.caller, group, parseListQuery({}));
    expect(read.body).toMatchObject({
      externalId: 'okta-00g1',
      members: [{ value: ada, display: 'Ada Lovelace' }],
    });
    expect(read.headers?.etag).toBe(created.headers?.etag);

    const found = await w.scimGroups.list(w.caller, parseListQuery({ filter: 'externalId eq "okta-00g1"' }));
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id: group }] });
    const otherCase = await w.scimGroups.list(
      w.caller,
      parseListQuery({ filter: 'externalId eq "OKTA-00G1"' }),
    );
    expect(otherCase.body).toMatchObject({ totalResults: 0 });

    const user = await w.scimUsers.get(w.caller, ada, parseListQuery({}));
    expect(user.body).toMatchObject({
      groups: [
        {
          value: group,
          display: 'Engineering',
          $ref: `https://hub.test/scim/v2/Groups/${group}`,
          type: 'direct',
        },
      ],
    });

    await w.scimGroups.patch(w.caller, group, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'externalId', value: 'entra-42' }],
    });
    await expect(w.groupStore.externalIdOf(w.org.id, group)).resolves.toBe('entra-42');
    await w.scimGroups.patch(w.caller, group, {
      schemas: [PATCH],
      Operations: [{ op: 'remove', path: 'externalId' }],
    });
    await expect(w.groupStore.externalIdOf(w.org.id, group)).resolves.toBeNull();
    const audited = (await w.auditOf()).filter((a) => a.action === 'team.scim_external_id_set');
    expect(audited.map((a) => a.after)).toEqual(
      expect.arrayContaining([{ externalId: 'okta-00g1' }, { externalId: 'entra-42' }, { externalId: null }]),
    );
    expect(audited.every((a) => a.channel === 'scim')).toBe(true);

    await w.scimGroups.replace(w.caller, group, { displayName: 'Eng', externalId: 'okta-00g2' });
    await expect(w.groupStore.externalIds(w.org.id)).resolves.toEqual(new Map([[group, 'okta-00g2']]));
    await w.scimGroups.remove(w.caller, group);
    await expect(w.groupStore.externalIds(w.org.id)).resolves.toEqual(new Map());
    const after = await w.scimUsers.get(w.caller, ada, parseListQuery({}));
    expect(after.body).not.toHaveProperty('groups');
  });

  it("keeps one org's externalIds from another's", async () => {
    const a = await scimWorld('scim-ext-a-it');
    const b = await scimWorld('scim-ext-b-it');
    const group = a.idOf(await a.scimGroups.create(a.caller, { displayName: 'Ops', externalId: 'x-1' }));
    await expect(b.groupStore.externalIds(b.org.id)).resolves.toEqual(new Map());
    await expect(b.groupStore.externalIdOf(b.org.id, group)).resolves.toBeNull();
    await expect(b.scimGroups.get(b.caller, group, parseListQuery({}))).rejects.toMatchObject({
      status: 404,
    });
  });
});
