import { answerUnmatchedRoute } from '../../../../shared/http/unmatched-route';
import { apiEvent } from '../../../support/api-events';

const unmatched = (method: string, path: string) => {
  const event = apiEvent({ method, path, routePath: path });
  return answerUnmatchedRoute({ ...event, routeKey: '$default', rawPath: path });
};

describe('a request no route matches', () => {
  it('is a problem+json 404 naming the method and path, and where the API is described', () => {
    const res = unmatched('GET', '/v1/orgs/org_1/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(String(res.body))).toMatchObject({
      status: 404,
      detail: 'No route is GET /v1/orgs/org_1/nothing-here; the API is described at GET /v1/openapi.json',
      instance: '/v1/orgs/org_1/nothing-here',
    });
  });

  it('is a 405 listing the methods when the path exists with others', () => {
    const res = unmatched('PUT', '/v1/orgs/org_1');
    expect(res.statusCode).toBe(405);
    const allow = String(res.headers?.allow).split(', ');
    expect(allow).toEqual(expect.arrayContaining(['GET', 'PATCH']));
    expect(allow).not.toContain('PUT');
    expect(JSON.parse(String(res.body)).allow).toEqual(allow);
  });

  it('echoes a long path only in part', () => {
    const res = unmatched('GET', `/${'a'.repeat(5000)}`);
    expect(String(JSON.parse(String(res.body)).detail).length).toBeLessThan(300);
  });

  it("answers under /scim/v2 in SCIM's error schema, never problem+json", () => {
    const missing = unmatched('GET', '/scim/v2/Bulk');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers?.['content-type']).toBe('application/scim+json');
    expect(JSON.parse(String(missing.body))).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '404',
      detail: 'The SCIM service has no GET /scim/v2/Bulk',
    });
    const wrongMethod = unmatched('PATCH', '/scim/v2/Users');
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers?.['content-type']).toBe('application/scim+json');
    expect(String(wrongMethod.headers?.allow).split(', ')).toEqual(['GET', 'POST']);
  });
});
