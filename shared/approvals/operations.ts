import * as z from 'zod';
import type { OperationDoc } from '../api/operation-doc';
import { authErrors, jsonBody, ok, problem } from '../api/operation-doc';
import { OrgIdParam } from '../api/schemas';
import {
  AnswerApprovalSchema,
  ApprovalPage,
  ApprovalSchema,
  ListApprovalsQuerySchema,
  RequestApprovalSchema,
} from './approval';

const OrgApprovalParams = z.object({ orgId: z.string(), approvalId: z.string() });

const notFound = problem('No such approval in the org');
const settled = problem(
  'The approval is no longer pending: `status` says whether it was decided (`decision`: which option, by whom, when, through what; the detail says "already decided by … via … at …"), expired or cancelled',
);

/** The approval operations' documentation, merged into the OpenAPI document. */
export const approvalOperations = {
  requestApproval: {
    description:
      'An agent (an API key with `approvals:request`: members and above) asks people to decide. With a chat `destination` the hub posts the question there with a button per option; answers also come through `POST …/answer`. The first authorised answer wins. Every change is published as an event — `approval.requested`, `approval.decided`, `approval.expired`, `approval.cancelled` (ApprovalEventData) — to webhook endpoints whose filter takes it (`approval.*`), to `callbackEndpointId` whatever its filter, and to the real-time stream. Unanswered at `expiresAt`, it expires.',
    requestParams: { path: OrgIdParam },
    requestBody: jsonBody(RequestApprovalSchema),
    responses: {
      '201': ok('The approval, pending', ApprovalSchema),
      '400': problem(
        'The body is not valid: an unknown field, 2-5 options with distinct slugs, no answerer, a user or team not in the org, a connection that does not exist or is not a chat connection, a webhook endpoint that does not exist, an expiry outside 60 s-7 days, a context over 4 KiB (each reason in `errors`)',
      ),
      ...authErrors,
      '429': problem(
        "The org's plan allows no more pending approvals (one is given back when it is answered, expires or is cancelled), or no more requests this minute",
      ),
    },
  },
  listApprovals: {
    requestParams: { path: OrgIdParam, query: ListApprovalsQuerySchema },
    responses: {
      '200': ok('Approvals, newest first; each status as it stands now', ApprovalPage),
      '400': problem('The query is not valid (a status, limit 1-100, a cursor this list gave)'),
      ...authErrors,
    },
  },
  getApproval: {
    description: 'An approval past its time reads as `expired` at once, before the hub has swept it.',
    requestParams: { path: OrgApprovalParams },
    responses: { '200': ok('The approval as it stands', ApprovalSchema), ...authErrors, '404': notFound },
  },
  answerApproval: {
    description:
      'Answers as the signed-in user (a user token; no API key, not even a personal one, so an agent cannot answer its own question): the same use case a chat button runs. The caller must be among the answerers — named, in a named team (or maintaining one above it), or holding a named role; a refusal is audited. The first answer wins, by a conditional write: a later one is answered 409 with who decided.',
    requestParams: { path: OrgApprovalParams },
    requestBody: jsonBody(AnswerApprovalSchema),
    responses: {
      '200': ok('The approval, decided by this answer', ApprovalSchema),
      '400': problem('The body is not valid, or the option is not one of the approval’s'),
      ...authErrors,
      '403': problem(
        'The caller is not among the answerers (audited), is not a person, or the credential does not allow this',
      ),
      '404': notFound,
      '409': settled,
    },
  },
  cancelApproval: {
    description:
      'Only its requester, or an owner or admin of the org, cancels an approval; `approval.cancelled` is published.',
    requestParams: { path: OrgApprovalParams },
    responses: {
      '200': ok('The approval, cancelled', ApprovalSchema),
      ...authErrors,
      '403': problem('The caller is neither its requester nor an owner or admin'),
      '404': notFound,
      '409': settled,
    },
  },
} satisfies Record<string, OperationDoc>;
