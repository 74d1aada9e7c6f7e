import type { OrgPurger, OrgStore } from '../../../../shared/ports/stores';
import { makePurgeDeletedOrgs } from '../../../../shared/tenancy/delete-org';
import type { Org } from '../../../../shared/tenancy/org';
import { OrgSettingsSchema } from '../../../../shared/tenancy/org';

const ORG = 'org_01JD3Q4ZK8M7X2V9N6B5C4D3E2';
const deleted: Org = {
  id: ORG,
  name: 'Gone',
  slug: 'gone',
  status: 'deleted',
  plan: 'team',
  settings: OrgSettingsSchema.parse({}),
  createdAt: '2026-01-01T00:00:00.000Z',
  deletedAt: '2026-11-01T00:00:00.000Z',
  purgeAfter: '2026-11-01T00:00:00.000Z',
};

function hub(options: { stillScheduled: boolean }) {
  const purged: string[] = [];
  const cleared: string[] = [];
  const orgs = {
    duePurges: async () => [{ orgId: ORG, purgeAfter: '2026-11-01T00:00:00.000Z' }],
    // Read just before a restore lands: still deleted.
    get: async () => deleted,
    recordPurgeProgress: async () => options.stillScheduled,
    clearPurge: async (orgId: string) => void cleared.push(orgId),
  } as unknown as OrgStore;
  const purger: OrgPurger = {
    purge: async (orgId) => {
      purged.push(orgId);
      return { removed: { org: 1 }, done: true };
    },
  };
  const purge = makePurgeDeletedOrgs({
    orgs,
    purger,
    clock: { now: () => new Date('2026-12-01T00:00:00Z') },
  });
  return { purge, purged, cleared };
}

describe('the purge of deleted orgs', () => {
  it('leaves alone an org restored between finding it due and beginning its purge', async () => {
    const h = hub({ stillScheduled: false });
    expect(await h.purge()).toEqual([]);
    expect(h.purged).toEqual([]);
    expect(h.cleared).toEqual([]);
  });

  it('purges an org still on the schedule once it has marked the purge begun', async () => {
    const h = hub({ stillScheduled: true });
    expect(await h.purge()).toEqual([{ orgId: ORG, removed: { org: 1 }, done: true }]);
    expect(h.cleared).toEqual([ORG]);
  });
});
