import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { OrgStore } from '../ports/stores';
import type { Org, OrgSettings } from './org';
import { OrgSettingsSchema } from './org';
import type { PlanName } from './plans';

export interface CreateOrgInput {
  readonly name: string;
  readonly slug: string;
  readonly settings?: Partial<OrgSettings> | undefined;
  readonly plan?: PlanName | undefined;
}

/** Creates an organisation; its slug is unique across the installation. */
export function makeCreateOrg(deps: { orgs: OrgStore; clock: Clock }) {
  return async (input: CreateOrgInput, principal: Principal, request: RequestContext): Promise<Org> => {
    const at = deps.clock.now();
    const org: Org = {
      id: newId('org'),
      name: input.name,
      slug: input.slug,
      status: 'active',
      plan: input.plan ?? 'team',
      settings: OrgSettingsSchema.parse(input.settings ?? {}),
      createdAt: at.toISOString(),
    };
    const audit = auditChange({
      action: 'org.created',
      principal,
      orgId: org.id,
      targets: [{ type: 'org', id: org.id }],
      request,
      at,
      after: { name: org.name, slug: org.slug, plan: org.plan, settings: org.settings },
    });
    await deps.orgs.create(org, audit);
    return org;
  };
}
