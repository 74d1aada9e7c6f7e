import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbSsoSubjectStore } from '../../shared/adapters/dynamodb/dynamodb-sso-subject-store';
import { TENANT_COLLECTIONS, tenantPk } from '../../shared/adapters/dynamodb/keys';
import { auditChange } from '../../shared/audit/audit-record';
import { subjectHashOf } from '../../shared/sso/subject-bindings';
import { member } from '../support/api-events';
import type { LocalDynamoDb } from '../support/local-dynamodb';
import { startLocalDynamoDb } from '../support/local-dynamodb';

let aws: LocalDynamoDb;
beforeAll(async () => {
  aws = await startLocalDynamoDb();
});
afterAll(async () => aws?.stop());

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EA';
const OTHER_ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EB';
const SSO = 'sso_01JD3Q4ZK8M7X2V9N6B5C4D3E9';
const ADA = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E1';
const BOB = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const request = { requestId: 'req-it', ip: '127.0.0.1', userAgent: 'jest' };
const audit = (action: string, userId: string) =>
  auditChange({
    action,
    principal: member(ORG),
    orgId: ORG,
    targets: [{ type: 'user', id: userId }],
    request,
    at: new Date(),
  });
const binding = (userId: string, subject: string, orgId = ORG) => ({
  orgId,
  connectionId: SSO,
  userId,
  subjectHash: subjectHashOf(subject),
  boundAt: new Date().toISOString(),
});
const auditActions = async () =>
  (
    await aws.docs.send(
      new QueryCommand({
        TableName: aws.tables.auditTable,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': tenantPk(ORG, TENANT_COLLECTIONS.audit) },
      }),
    )
  ).Items?.map((i) => i.action) ?? [];

describe('the DynamoDB SSO subject binding store', () => {
  it('binds one subject to one user, both ways, with its audit record', async () => {
    const store = new DynamoDbSsoSubjectStore(aws.docs, aws.tables);
    expect(await store.bind(binding(ADA, 'idp-ada'), audit('sso_subject.bound', ADA))).toBe(true);
    expect(await store.bySubject(ORG, SSO, subjectHashOf('idp-ada'))).toMatchObject({ userId: ADA });
    expect(await store.ofUser(ORG, SSO, ADA)).toMatchObject({ subjectHash: subjectHashOf('idp-ada') });
    // The subject again for bob, or another subject for ada: neither binds (nor writes a record).
    expect(await store.bind(binding(BOB, 'idp-ada'), audit('sso_subject.bound', BOB))).toBe(false);
    expect(await store.bind(binding(ADA, 'idp-other'), audit('sso_subject.bound', ADA))).toBe(false);
    expect(await store.ofUser(ORG, SSO, BOB)).toBeNull();
    expect(await store.bySubject(ORG, SSO, subjectHashOf('idp-other'))).toBeNull();
    // Another org's partition holds nothing of it.
    expect(await store.bySubject(OTHER_ORG, SSO, subjectHashOf('idp-ada'))).toBeNull();
  });

  it('unbinds both ways with its audit record, once', async () => {
    const store = new DynamoDbSsoSubjectStore(aws.docs, aws.tables);
    expect(await store.unbind(ORG, SSO, ADA, audit('sso_subject.unbound', ADA))).toBe(true);
    expect(await store.ofUser(ORG, SSO, ADA)).toBeNull();
    expect(await store.bySubject(ORG, SSO, subjectHashOf('idp-ada'))).toBeNull();
    expect(await store.unbind(ORG, SSO, ADA, audit('sso_subject.unbound', ADA))).toBe(false);
    expect((await auditActions()).sort()).toEqual(['sso_subject.bound', 'sso_subject.unbound']);
    // The subject is free again: bob may have it now.
    expect(await store.bind(binding(BOB, 'idp-ada'), audit('sso_subject.bound', BOB))).toBe(true);
  });

  it("forgets a deleted connection's bindings, and only its own", async () => {
    const store = new DynamoDbSsoSubjectStore(aws.docs, aws.tables);
    const OTHER_SSO = 'sso_01JD3Q4ZK8M7X2V9N6B5C4D3E8';
    expect(await store.bind(binding(ADA, 'idp-ada-2'), audit('sso_subject.bound', ADA))).toBe(true);
    expect(
      await store.bind(
        { ...binding(ADA, 'okta-ada'), connectionId: OTHER_SSO },
        audit('sso_subject.bound', ADA),
      ),
    ).toBe(true);
    await store.forgetConnection(ORG, SSO);
    expect(await store.ofUser(ORG, SSO, ADA)).toBeNull();
    expect(await store.ofUser(ORG, SSO, BOB)).toBeNull();
    expect(await store.bySubject(ORG, SSO, subjectHashOf('idp-ada'))).toBeNull();
    expect(await store.ofUser(ORG, OTHER_SSO, ADA)).toMatchObject({ subjectHash: subjectHashOf('okta-ada') });
  });
});
