import type { DueKind } from '../notify/delivery/due-work';
import type { Clock } from '../ports/clock';
import { APPROVAL_EXPIRY_KIND, makeExpireApproval } from './manage-approvals';
import type { ApprovalStore } from './ports';

/**
 * The due work of approvals for the minute's sweep: each approval whose time has come is expired
 * (unless an answer came first), its event published with the change.
 */
export function approvalExpiry(approvals: ApprovalStore, clock: Clock): DueKind {
  const expire = makeExpireApproval({ approvals, clock });
  return {
    kind: APPROVAL_EXPIRY_KIND,
    run: async (entry) => {
      // Not due by this clock (one behind the indexer's): left in the index, found again next minute.
      if ((await expire(entry.orgId, entry.ref)) === 'not_due')
        throw new Error(`Approval ${entry.ref} is not due yet`);
    },
  };
}
