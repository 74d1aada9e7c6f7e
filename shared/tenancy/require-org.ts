import { NotFoundError } from '../errors';
import type { OrgStore } from '../ports/stores';
import type { Org } from './org';

/** Loads an org the caller is already allowed to address, or fails with 404. */
export async function requireOrg(orgs: OrgStore, orgId: string): Promise<Org> {
  const org = await orgs.get(orgId);
  if (!org) throw new NotFoundError(`Organisation ${orgId} does not exist`);
  return org;
}
