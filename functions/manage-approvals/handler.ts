import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import {
  AnswerApprovalSchema,
  ListApprovalsQuerySchema,
  RequestApprovalSchema,
} from '../../shared/approvals/approval';
import type { Approvals } from '../../shared/approvals/manage-approvals';
import { apiHandler, byOperation, json } from '../../shared/http/api-handler';

/** Serves the approval routes: an agent asks, people answer, the requester or an admin cancels. */
export const makeHandler = (approvals: Approvals) =>
  byOperation({
    requestApproval: apiHandler({
      operation: 'requestApproval',
      body: RequestApprovalSchema,
      handle: async ({ body, path, principal, request }) =>
        json(201, await approvals.request(path.orgId, body, principal, request)),
    }),
    listApprovals: apiHandler({
      operation: 'listApprovals',
      query: ListApprovalsQuerySchema,
      handle: async ({ path, query }) =>
        json(
          200,
          await approvals.list(path.orgId, query.status, { limit: query.limit, cursor: query.cursor }),
        ),
    }),
    getApproval: apiHandler({
      operation: 'getApproval',
      handle: async ({ path }) => json(200, await approvals.get(path.orgId, path.approvalId)),
    }),
    answerApproval: apiHandler({
      operation: 'answerApproval',
      body: AnswerApprovalSchema,
      handle: async ({ body, path, principal, request }) =>
        json(
          200,
          await approvals.answerAsCaller(path.orgId, path.approvalId, body.option, principal, request),
        ),
    }),
    cancelApproval: apiHandler({
      operation: 'cancelApproval',
      handle: async ({ path, principal, request }) =>
        json(200, await approvals.cancel(path.orgId, path.approvalId, principal, request)),
    }),
  });

export const handler = makeHandler(adapters.approvals(hubClock()));
