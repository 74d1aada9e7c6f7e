import { schemaList, serviceProviderConfig } from '../../../../shared/scim/discovery';
import { parseFilter } from '../../../../shared/scim/filter';
import { listResponse } from '../../../../shared/scim/list-response';
import { parseListQuery } from '../../../../shared/scim/query';

const users = Array.from({ length: 5 }, (_, i) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: `usr_${i}`,
  userName: `user${i}@acme.test`,
  title: i % 2 === 0 ? 'Engineer' : 'Manager',
  meta: { resourceType: 'User' },
}));

describe('a SCIM list response', () => {
  it('counts what the filter admits, then pages from the 1-based startIndex', () => {
    const body = listResponse(
      users,
      parseFilter('title eq "engineer"', []),
      parseListQuery({ startIndex: '2', count: '1' }),
    );
    expect(body).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect((body.Resources as { id: string }[]).map((r) => r.id)).toEqual(['usr_2']);
  });

  it('answers an empty page past the end, and count=0 with the total alone', () => {
    expect(listResponse(users, null, parseListQuery({ startIndex: '9' }))).toMatchObject({
      totalResults: 5,
      itemsPerPage: 0,
      Resources: [],
    });
    expect(listResponse(users, null, parseListQuery({ count: '0' }))).toMatchObject({
      totalResults: 5,
      itemsPerPage: 0,
    });
  });

  it('keeps id, schemas and meta whatever attributes are asked for', () => {
    const body = listResponse(users, null, parseListQuery({ attributes: 'title', count: '1' }));
    expect(body.Resources).toEqual([
      { schemas: users[0]?.schemas, id: 'usr_0', title: 'Engineer', meta: { resourceType: 'User' } },
    ]);
  });
});

describe('the discovery documents', () => {
  it('say what the service supports, and describe userName as unique and required', () => {
    expect(serviceProviderConfig('https://hub.test/scim/v2')).toMatchObject({
      patch: { supported: true },
      filter: { supported: true, maxResults: 200 },
      etag: { supported: true },
      bulk: { supported: false },
      sort: { supported: false },
    });
    const [user] = schemaList('https://hub.test/scim/v2').Resources as {
      attributes: Record<string, unknown>[];
    }[];
    expect(user?.attributes.find((a) => a.name === 'userName')).toMatchObject({
      type: 'string',
      required: true,
      uniqueness: 'server',
      caseExact: false,
    });
    expect(user?.attributes.find((a) => a.name === 'emails')).toMatchObject({
      type: 'complex',
      multiValued: true,
    });
    expect(user?.attributes.find((a) => a.name === 'active')).toMatchObject({ type: 'boolean' });
  });
});
