import type { ChatAction, ChatCard } from '../chat/model';
import type { CanonicalEvent } from '../events/canonical-event';
import type { ApprovalView } from './approval';
import { approvalActionId, viewOf } from './approval';
import { approvalOf } from './events';

const MAX_TITLE = 150;
const MAX_FALLBACK = 300;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const firstLine = (text: string) => text.split('\n', 1)[0] ?? '';
/** A time people read the same on every platform: `2026-12-02 14:05 UTC`. */
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/**
 * The chat card of an approval, as it stands: while pending, the question with one button per
 * option (`approval:<id>:<option>`, which the bot hands to the answer use case) and who asked it
 * and until when; once resolved, the same question with who decided (or that it expired or was
 * cancelled) and no buttons. The notify chat channel posts it for `approval.requested` and
 * updates the posted card in place for the events after it.
 */
export function approvalCard(source: CanonicalEvent | ApprovalView, now?: Date): ChatCard {
  const approval = 'type' in source && 'tenantId' in source ? approvalOf(source) : (source as ApprovalView);
  if (!approval) throw new Error('The event is not one of the hub’s approval events');
  const view = now ? viewOf(approval, now) : approval;
  const asked = `Asked by ${view.requestedBy.name}`;
  const question = clip(firstLine(view.question), MAX_TITLE);
  const base = { text: view.question };
  switch (view.status) {
    case 'pending': {
      const actions: ChatAction[] = view.options.map((option, i) => ({
        kind: 'button',
        id: approvalActionId(view.id, option.id),
        label: option.label,
        ...(i === 0 ? { style: 'primary' as const } : {}),
      }));
      return {
        ...base,
        title: `Decision needed: ${question}`,
        context: `${asked}, expires ${when(view.expiresAt)}`,
        actions,
        tone: 'warning',
        fallback: clip(
          `Decision needed: ${firstLine(view.question)} (${view.options.map((o) => o.label).join(' / ')})`,
          MAX_FALLBACK,
        ),
      };
    }
    case 'decided': {
      const decision = view.decision;
      const label = decision?.label ?? 'decided';
      const by = decision
        ? `Decided by ${decision.by.name} via ${decision.via} at ${when(decision.at)}`
        : 'Decided';
      return {
        ...base,
        title: `${label}: ${question}`,
        fields: [{ label: 'Decision', value: label }],
        context: `${by} · ${asked}`,
        tone: 'good',
        fallback: clip(`${label}: ${firstLine(view.question)} (${by})`, MAX_FALLBACK),
      };
    }
    case 'expired':
      return {
        ...base,
        title: `Expired: ${question}`,
        context: `Nobody answered before ${when(view.expiredAt ?? view.expiresAt)} · ${asked}`,
        tone: 'neutral',
        fallback: clip(`Expired unanswered: ${firstLine(view.question)}`, MAX_FALLBACK),
      };
    case 'cancelled':
      return {
        ...base,
        title: `Cancelled: ${question}`,
        context: `Cancelled by ${view.cancelled?.by.name ?? 'the requester'}${view.cancelled ? ` at ${when(view.cancelled.at)}` : ''} · ${asked}`,
        tone: 'neutral',
        fallback: clip(`Cancelled: ${firstLine(view.question)}`, MAX_FALLBACK),
      };
  }
}
