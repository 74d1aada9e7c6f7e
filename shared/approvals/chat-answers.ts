import type { ApprovalAnswerResult, ApprovalAnswers as ChatApprovalAnswers } from '../chat/ports';
import type { Clock } from '../ports/clock';
import { approvalCard } from './card';
import type { AnswerResult, ApprovalAnswers } from './manage-approvals';

const STATUS: Record<AnswerResult['outcome'], ApprovalAnswerResult['status']> = {
  won: 'decided',
  already_decided: 'already_decided',
  expired: 'expired',
  cancelled: 'expired',
  not_allowed: 'not_allowed',
  unknown: 'not_found',
};

/**
 * The approvals as a chat button answers them: the same use case as `POST …/approvals/{id}/answer`,
 * its result told in the chat's terms, with the approval's card as it now stands (who decided).
 */
export function chatApprovalAnswers(approvals: ApprovalAnswers, clock: Clock): ChatApprovalAnswers {
  return {
    async answer(input) {
      const result = await approvals.answer(input);
      const status = STATUS[result.outcome];
      if (!('approval' in result)) return { status };
      return { status, card: approvalCard(result.approval, clock.now()) };
    },
  };
}
