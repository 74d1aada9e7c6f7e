import { decodeTime } from 'ulid';
import { sessionIdOf } from '../../../../shared/identity/session-id';
import { ID_PATTERN } from '../../../../shared/ids';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const ADA = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E3';
const BO = 'usr_01JD3Q4ZK8M7X2V9N6B5C4D3E4';
const signedIn = 1_764_676_800; // 2025-12-02T12:00:00Z

describe('sessionIdOf', () => {
  it('names the same session for every token of one sign-in (a refresh keeps auth_time)', () => {
    expect(sessionIdOf(ORG, ADA, signedIn)).toBe(sessionIdOf(ORG, ADA, signedIn));
  });

  it('names a new session for a new sign-in, another user or another org', () => {
    const id = sessionIdOf(ORG, ADA, signedIn);
    expect(sessionIdOf(ORG, ADA, signedIn + 1)).not.toBe(id);
    expect(sessionIdOf(ORG, BO, signedIn)).not.toBe(id);
    expect(sessionIdOf('org_01JD3Q4ZK8M7X2V9N6B5C4D3E9', ADA, signedIn)).not.toBe(id);
  });

  it('is a well-formed session id that sorts by when the session began', () => {
    const id = sessionIdOf(ORG, ADA, signedIn);
    expect(id).toMatch(ID_PATTERN('ses'));
    expect(decodeTime(id.slice(4))).toBe(signedIn * 1000);
    expect(sessionIdOf(ORG, BO, signedIn + 60) > id).toBe(true);
  });
});
