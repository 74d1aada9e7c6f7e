import type { AuditRecord, RequestContext } from '../audit/audit-record';
import { auditBySystem, auditChange } from '../audit/audit-record';
import type { ProviderCatalog } from '../connectors/provider-catalog';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';
import type { WebhookEndpointStore } from '../notify/webhooks/endpoint-store';
import type { Clock } from '../ports/clock';
import type { DueIndex } from '../ports/due-index';
import type {
  AuditStore,
  ConnectionStore,
  OrgStore,
  PageRequest,
  TeamStore,
  UserStore,
} from '../ports/stores';
import { PLANS } from '../tenancy/plans';
import { effectiveTeams } from '../tenancy/team';
import type { User } from '../tenancy/user';
import type { ApprovalView, RequestApprovalInput, StoredApproval } from './approval';
import { viewOf } from './approval';
import type { ApprovalEventType } from './events';
import { approvalEvent } from './events';
import type { ApprovalStore, Resolution } from './ports';

/** The due-index kind of an approval's expiry; its ref is the approval id. */
export const APPROVAL_EXPIRY_KIND = 'approval-expiry';
/** Who the trail names when the hub expires an approval. */
const SWEEPER = 'approval-expiry';

export interface ApprovalsDeps {
  readonly approvals: ApprovalStore;
  readonly orgs: Pick<OrgStore, 'get'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly teams: Pick<TeamStore, 'all' | 'membershipsOf'>;
  readonly connections: Pick<ConnectionStore, 'get'>;
  readonly endpoints: Pick<WebhookEndpointStore, 'get'>;
  /** Which providers have a chat part (asked by id: nothing here names a provider). */
  readonly providers: Pick<ProviderCatalog, 'module'>;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly dueIndex: Pick<DueIndex, 'add' | 'remove'>;
  readonly clock: Clock;
}

/** Who answers, and through what: `api`, or the chat provider a button was clicked in. */
export interface AnswerInput {
  readonly orgId: string;
  readonly approvalId: string;
  readonly option: string;
  readonly userId: string;
  readonly channel: string;
  /** Where the request came from, for the trail (the API's; a chat click has none of its own). */
  readonly request?: RequestContext;
}

/**
 * How an answer went, for the API and the bot to say: the first authorised answer wins; a later
 * one learns who decided; `message` is a sentence a person can be shown as it is.
 */
export type AnswerResult =
  | { readonly outcome: 'won'; readonly approval: ApprovalView; readonly message: string }
  | {
      readonly outcome: 'already_decided';
      readonly approval: ApprovalView;
      readonly decision: NonNullable<ApprovalView['decision']>;
      readonly message: string;
    }
  | { readonly outcome: 'not_allowed'; readonly message: string }
  | { readonly outcome: 'expired'; readonly approval: ApprovalView; readonly message: string }
  | { readonly outcome: 'cancelled'; readonly approval: ApprovalView; readonly message: string }
  | { readonly outcome: 'unknown'; readonly what: 'approval' | 'option'; readonly message: string };

/** The port the bot calls when someone clicks an approval's button (`approval:<id>:<option>`). */
export interface ApprovalAnswers {
  answer(input: AnswerInput): Promise<AnswerResult>;
}

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
export const decidedMessage = (d: NonNullable<ApprovalView['decision']>) =>
  `Already decided by ${d.by.name} via ${d.via} at ${when(d.at)}: ${d.label}`;

/** Whether a hub user is among the approval's answerers: named, in a named team, or holding a named role. */
export async function mayAnswer(
  deps: Pick<ApprovalsDeps, 'teams'>,
  approval: Pick<StoredApproval, 'orgId' | 'answerers'>,
  user: Pick<User, 'id' | 'role' | 'status'>,
): Promise<boolean> {
  if (user.status !== 'active') return false;
  const { userIds, teamIds, roles } = approval.answerers;
  if (userIds.includes(user.id) || roles.includes(user.role)) return true;
  if (teamIds.length === 0) return false;
  const [teams, memberships] = await Promise.all([
    deps.teams.all(approval.orgId),
    deps.teams.membershipsOf(approval.orgId, user.id),
  ]);
  return effectiveTeams(teams, memberships).some((t) => teamIds.includes(t.teamId));
}

const asActor = (principal: Principal) => ({ type: principal.type, id: principal.id, name: principal.name });
const target = (approvalId: string) => [{ type: 'approval', id: approvalId }];
const noRequest = (channel: string): RequestContext => ({
  requestId: `${channel}-answer`,
  ip: '',
  userAgent: channel,
});

/** The approvals use cases: asked by an agent, answered by people (API or chat), expired by the sweep. */
export function makeApprovals(deps: ApprovalsDeps) {
  const require = async (orgId: string, approvalId: string) => {
    const found = await deps.approvals.get(orgId, approvalId);
    if (!found) throw new NotFoundError(`Approval ${approvalId} does not exist`);
    return found;
  };
  const invalid = (path: string, message: string) => new ValidationError(message, [{ path, message }]);

  /** Writes the resolution with its audit record and event; false when another writer came first. */
  const resolve = (
    current: StoredApproval,
    next: StoredApproval,
    how: Resolution,
    type: ApprovalEventType,
    audit: AuditRecord,
    at: Date,
  ) =>
    deps.approvals
      .resolve(next, how, at, audit, approvalEvent(type, next, at, audit.requestId))
      .then(async (won) => {
        // The sweep would find nothing to do: its entry is forgotten (a left one is a no-op).
        if (won)
          await deps.dueIndex
            .remove({
              kind: APPROVAL_EXPIRY_KIND,
              orgId: current.orgId,
              ref: current.id,
              dueAt: new Date(current.expiresAt),
            })
            .catch(() => undefined);
        return won;
      });

  /** What a later answer (or cancel) is told about an approval that is no longer pending. */
  const settled = (view: ApprovalView): AnswerResult => {
    if (view.status === 'decided' && view.decision)
      return {
        outcome: 'already_decided',
        approval: view,
        decision: view.decision,
        message: decidedMessage(view.decision),
      };
    if (view.status === 'cancelled')
      return {
        outcome: 'cancelled',
        approval: view,
        message: `The request was cancelled by ${view.cancelled?.by.name ?? 'its requester'}`,
      };
    return {
      outcome: 'expired',
      approval: view,
      message: `The request expired at ${when(view.expiresAt)} unanswered`,
    };
  };

  const answer = async (input: AnswerInput): Promise<AnswerResult> => {
    const { orgId, approvalId } = input;
    const approval = await deps.approvals.get(orgId, approvalId);
    if (!approval)
      return { outcome: 'unknown', what: 'approval', message: `There is no approval ${approvalId}` };
    const user = await deps.users.get(orgId, input.userId);
    const request = input.request ?? noRequest(input.channel);
    const at = deps.clock.now();
    if (!user || !(await mayAnswer(deps, approval, user))) {
      const principal: Principal = user
        ? { kind: 'org_member', type: 'user', id: user.id, name: user.name, orgId, role: user.role }
        : { kind: 'org_member', type: 'user', id: input.userId, name: input.userId, orgId, role: 'viewer' };
      await deps.audit.append(
        auditChange({
          action: 'approval.answer_refused',
          principal,
          orgId,
          targets: target(approvalId),
          request,
          at,
          outcome: 'denied',
          after: { option: input.option, via: input.channel, reason: 'not among the answerers' },
        }),
      );
      return { outcome: 'not_allowed', message: 'You are not among the people this request asks' };
    }
    const option = approval.options.find((o) => o.id === input.option);
    if (!option)
      return {
        outcome: 'unknown',
        what: 'option',
        message: `${input.option} is not one of the options (${approval.options.map((o) => o.id).join(', ')})`,
      };
    const view = viewOf(approval, at);
    if (view.status !== 'pending') return settled(view);
    const next: StoredApproval = {
      ...approval,
      status: 'decided',
      decision: {
        option: option.id,
        label: option.label,
        by: { userId: user.id, name: user.name },
        at: at.toISOString(),
        via: input.channel,
      },
    };
    const audit = auditChange({
      action: 'approval.decided',
      principal: { kind: 'org_member', type: 'user', id: user.id, name: user.name, orgId, role: user.role },
      orgId,
      targets: target(approvalId),
      request,
      at,
      before: { status: 'pending' },
      after: { status: 'decided', option: option.id, via: input.channel },
    });
    if (await resolve(approval, next, 'decide', 'approval.decided', audit, at))
      return { outcome: 'won', approval: next, message: `Decided: ${option.label}` };
    // Another answer (or the expiry, or a cancel) came first: say which, as it now stands.
    return settled(viewOf(await require(orgId, approvalId), deps.clock.now()));
  };

  return {
    answer,

    request: async (
      orgId: string,
      input: RequestApprovalInput,
      principal: Principal,
      request: RequestContext,
    ) => {
      const org = await deps.orgs.get(orgId);
      if (!org) throw new NotFoundError(`Organisation ${orgId} does not exist`);
      let destination: StoredApproval['destination'] = null;
      if (input.destination) {
        const connection = await deps.connections.get(orgId, input.destination.connectionId);
        if (!connection)
          throw invalid(
            'destination.connectionId',
            `Connection ${input.destination.connectionId} does not exist`,
          );
        if (!deps.providers.module(connection.provider)?.chat)
          throw invalid('destination.connectionId', `Connection ${connection.id} is not a chat connection`);
        destination = {
          kind: 'chat',
          provider: connection.provider,
          connectionId: connection.id,
          conversation: input.destination.conversation,
        };
      }
      if (input.callbackEndpointId && !(await deps.endpoints.get(orgId, input.callbackEndpointId)))
        throw invalid('callbackEndpointId', `Webhook endpoint ${input.callbackEndpointId} does not exist`);
      const userIds = [...new Set(input.answerers.userIds ?? [])];
      const teamIds = [...new Set(input.answerers.teamIds ?? [])];
      const missingUsers = (
        await Promise.all(userIds.map(async (id) => ((await deps.users.get(orgId, id)) ? null : id)))
      ).filter((id) => id !== null);
      if (missingUsers.length > 0)
        throw invalid('answerers.userIds', `No user ${missingUsers.join(', ')} in the org`);
      if (teamIds.length > 0) {
        const known = new Set((await deps.teams.all(orgId)).map((t) => t.id));
        const missing = teamIds.filter((id) => !known.has(id));
        if (missing.length > 0)
          throw invalid('answerers.teamIds', `No team ${missing.join(', ')} in the org`);
      }
      const at = deps.clock.now();
      const approval: StoredApproval = {
        id: newId('apr'),
        orgId,
        status: 'pending',
        question: input.question,
        options: input.options.map((o) => ({ id: o.id, label: o.label })),
        answerers: { userIds, teamIds, roles: [...new Set(input.answerers.roles ?? [])] },
        destination,
        context: input.context ?? null,
        callbackEndpointId: input.callbackEndpointId ?? null,
        requestedBy: asActor(principal),
        createdAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + input.expiresIn * 1000).toISOString(),
        decision: null,
        cancelled: null,
        expiredAt: null,
      };
      // Indexed first: an approval is never stored where no sweep would expire it (an entry left
      // by a failed write is a no-op).
      await deps.dueIndex.add({
        kind: APPROVAL_EXPIRY_KIND,
        orgId,
        ref: approval.id,
        dueAt: new Date(approval.expiresAt),
      });
      await deps.approvals.create(
        approval,
        auditChange({
          action: 'approval.requested',
          principal,
          orgId,
          targets: target(approval.id),
          request,
          at,
          after: {
            options: approval.options.map((o) => o.id),
            answerers: approval.answerers,
            destination: destination ? `${destination.connectionId}:${destination.conversation}` : null,
            expiresAt: approval.expiresAt,
          },
        }),
        { resource: 'pendingApprovals', limit: PLANS[org.plan].pendingApprovals },
        approvalEvent('approval.requested', approval, at, request.requestId),
      );
      return approval;
    },

    get: async (orgId: string, approvalId: string) =>
      viewOf(await require(orgId, approvalId), deps.clock.now()),

    list: async (orgId: string, status: StoredApproval['status'] | undefined, page: PageRequest) => {
      const now = deps.clock.now();
      const found = await deps.approvals.list(orgId, status, now, page);
      return { items: found.items.map((a) => viewOf(a, now)), nextCursor: found.nextCursor };
    },

    /** The API's answer: as the signed-in user; refusals as HTTP errors. */
    answerAsCaller: async (
      orgId: string,
      approvalId: string,
      option: string,
      principal: Principal,
      request: RequestContext,
    ) => {
      // Only a person, signed in: an API key — a personal one too — is what agents ask with, and an
      // agent holding its owner's key must not answer its own question.
      const userId = principal.type === 'user' ? principal.id : undefined;
      if (!userId)
        throw new ForbiddenError(
          'Only a person answers: sign in (a user token), or answer from the chat message',
        );
      const result = await answer({ orgId, approvalId, option, userId, channel: 'api', request });
      switch (result.outcome) {
        case 'won':
          return result.approval;
        case 'not_allowed':
          throw new ForbiddenError(result.message);
        case 'unknown':
          if (result.what === 'approval') throw new NotFoundError(result.message);
          throw new ValidationError(result.message, [{ path: 'option', message: 'not one of the options' }]);
        case 'already_decided':
          throw new ConflictError(result.message, {
            extensions: { status: 'decided', decision: result.decision },
          });
        default:
          throw new ConflictError(result.message, { extensions: { status: result.approval.status } });
      }
    },

    /** Cancels a pending approval: its requester may, and the org's owners and admins. */
    cancel: async (orgId: string, approvalId: string, principal: Principal, request: RequestContext) => {
      const current = await require(orgId, approvalId);
      const admin =
        principal.kind === 'platform_admin' || principal.role === 'owner' || principal.role === 'admin';
      if (!admin && principal.id !== current.requestedBy.id)
        throw new ForbiddenError('Only its requester or an admin cancels an approval');
      const at = deps.clock.now();
      const view = viewOf(current, at);
      if (view.status !== 'pending') {
        const why = settled(view);
        throw new ConflictError(why.message, { extensions: { status: view.status } });
      }
      const next: StoredApproval = {
        ...current,
        status: 'cancelled',
        cancelled: { by: asActor(principal), at: at.toISOString() },
      };
      const audit = auditChange({
        action: 'approval.cancelled',
        principal,
        orgId,
        targets: target(approvalId),
        request,
        at,
        before: { status: 'pending' },
        after: { status: 'cancelled' },
      });
      if (!(await resolve(current, next, 'cancel', 'approval.cancelled', audit, at))) {
        const now = viewOf(await require(orgId, approvalId), deps.clock.now());
        throw new ConflictError(settled(now).message, { extensions: { status: now.status } });
      }
      return next;
    },

    expire: makeExpireApproval(deps),
  };
}

export type Approvals = ReturnType<typeof makeApprovals>;

/**
 * The sweep's expiry of one approval: `expired` when it was pending and its time has come (a
 * conditional write: an answer written first wins, one after it is refused as expired),
 * `not_due` when its time has not come by this clock, `settled` when nothing is left to do.
 */
export function makeExpireApproval(deps: Pick<ApprovalsDeps, 'approvals' | 'clock'>) {
  return async (orgId: string, approvalId: string): Promise<'expired' | 'not_due' | 'settled'> => {
    const current = await deps.approvals.get(orgId, approvalId);
    if (current?.status !== 'pending') return 'settled';
    const at = deps.clock.now();
    if (Date.parse(current.expiresAt) > at.getTime()) return 'not_due';
    const next: StoredApproval = { ...current, status: 'expired', expiredAt: current.expiresAt };
    const audit = auditBySystem({
      action: 'approval.expired',
      actor: SWEEPER,
      orgId,
      targets: target(approvalId),
      requestId: `${SWEEPER}:${approvalId}`,
      at,
      before: { status: 'pending' },
      after: { status: 'expired' },
    });
    const event = approvalEvent('approval.expired', next, at, audit.requestId);
    return (await deps.approvals.resolve(next, 'expire', at, audit, event)) ? 'expired' : 'settled';
  };
}
