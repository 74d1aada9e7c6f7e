import type { RequestContext } from '../../audit/audit-record';
import { auditChange } from '../../audit/audit-record';
import type { AccessDirectory } from '../../authz/access-directory';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors';
import { isCanonicalType } from '../../events/canonical';
import type { CanonicalEvent } from '../../events/canonical-event';
import { resolveClaim } from '../../events/claim-check';
import { permissionsOf } from '../../identity/permissions';
import type { Principal } from '../../identity/principal';
import { newId } from '../../ids';
import type { ClaimCheckStore } from '../../ports/claim-check-store';
import type { Clock } from '../../ports/clock';
import type { EventStore, OrgStore, PageRequest, TeamStore, UserStore } from '../../ports/stores';
import { PLANS } from '../../tenancy/plans';
import type { AddressState } from '../email/address-confirmation';
import type { DeliveryTarget, Destination, NotificationChannel, RenderedMessage } from '../model';
import { compileRule, eventFacts, explainMatch } from './match';
import type { NotificationRuleStore } from './ports';
import type {
  CreateNotificationRuleInput,
  NotificationRule,
  RuleCreator,
  TestNotificationRuleInput,
  UpdateNotificationRuleInput,
} from './rule';
import { sampleEvent } from './sample-event';
import type { RuleReferences } from './validate-rule';
import { validateRule } from './validate-rule';

/** The channels that render what a rule would send, by channel name (those not wired render nothing). */
export type RenderingChannels = Partial<{
  readonly [C in DeliveryTarget['channel']]: Pick<
    NotificationChannel<Extract<DeliveryTarget, { channel: C }>>,
    'render'
  >;
}>;

export interface ManageRulesDeps {
  readonly orgs: Pick<OrgStore, 'get'>;
  readonly rules: NotificationRuleStore;
  readonly refs: RuleReferences;
  readonly users: Pick<UserStore, 'get'>;
  readonly teams: Pick<TeamStore, 'get' | 'membersOf'>;
  readonly events: Pick<EventStore, 'get'>;
  readonly claims: ClaimCheckStore;
  readonly channels: RenderingChannels;
  readonly clock: Clock;
  /** The org's custom roles: trying a rule on a stored event reads that event (`events:read`). */
  readonly access?: Pick<AccessDirectory, 'get'>;
  /**
   * Double opt-in of bare addresses: their states (shown with each rule) and the confirmation
   * emails a create or change sends. Without it, every address shows as `pending` and none is asked.
   */
  readonly addresses?: {
    states(orgId: string, addresses: readonly string[]): Promise<Map<string, AddressState>>;
    request(
      orgId: string,
      addresses: readonly string[],
      request: { requestId: string; actor: string },
    ): Promise<readonly string[]>;
  };
}

/** A rule as the routes answer it: with the confirmation state of each address it names. */
export type RuleWithAddresses = NotificationRule & {
  readonly addressConfirmations: readonly { readonly address: string; readonly state: AddressState }[];
};

const addressesOf = (rule: Pick<NotificationRule, 'destinations'>): string[] => [
  ...new Set(
    rule.destinations.flatMap((d) =>
      d.kind === 'email' ? (d.addresses ?? []).map((a) => a.toLowerCase()) : [],
    ),
  ),
];

/** At most this many recipients of one email destination are rendered when a rule is tried. */
export const MAX_RENDERED_TARGETS = 25;

export interface RuleDelivery {
  readonly destination: Destination;
  /** Addresses that get nothing until they confirm (double opt-in), or that are suppressed. */
  readonly unconfirmed?: readonly string[];
  readonly suppressed?: readonly string[];
  readonly rendered: readonly RenderedMessage[];
  /** Recipients past MAX_RENDERED_TARGETS, not rendered. */
  readonly omitted?: number;
  /** Why nothing was rendered for a destination that has recipients. */
  readonly note?: string;
}

export interface RuleTestResult {
  readonly event: CanonicalEvent;
  readonly enabled: boolean;
  readonly matched: boolean;
  readonly reasons: readonly string[];
  readonly deliveries: readonly RuleDelivery[];
}

/** What an audit record says of a rule: its settings (a rule holds no secret). */
/** Who makes a rule: the hub user behind the principal (a personal key's owner), by name. */
const creatorOf = (principal: Principal, askedIn?: RuleCreator['askedIn']): RuleCreator => {
  const userId =
    principal.type === 'user'
      ? principal.id
      : principal.kind === 'org_member'
        ? principal.ownerUserId
        : undefined;
  return {
    ...(userId ? { userId } : {}),
    name: principal.name.slice(0, 200),
    ...(askedIn ? { askedIn } : {}),
  };
};

const summary = (rule: NotificationRule) => ({
  name: rule.name,
  enabled: rule.enabled,
  eventTypes: rule.eventTypes,
  conditions: rule.conditions,
  destinations: rule.destinations,
});

/** Lists, creates, reads, changes, deletes and tries an org's notification rules. */
export function makeManageNotificationRules(deps: ManageRulesDeps) {
  const requireRule = async (orgId: string, ruleId: string) => {
    const found = await deps.rules.get(orgId, ruleId);
    if (!found) throw new NotFoundError(`No notification rule ${ruleId}`);
    return found;
  };

  /** Who an email destination reaches: its users, its teams' members (active users only), its addresses. */
  const emailTargets = async (orgId: string, d: Extract<Destination, { kind: 'email' }>) => {
    const memberIds = (
      await Promise.all((d.teamIds ?? []).map((teamId) => deps.teams.membersOf(orgId, teamId)))
    ).flatMap((members) => members.map((m) => m.userId));
    const users = await Promise.all(
      [...new Set([...(d.userIds ?? []), ...memberIds])].map((id) => deps.users.get(orgId, id)),
    );
    const targets = new Map<string, Extract<DeliveryTarget, { channel: 'email' }>>();
    for (const user of users) {
      if (user?.status === 'active')
        targets.set(user.email.toLowerCase(), { channel: 'email', address: user.email, userId: user.id });
    }
    const states = await statesOf(orgId, d.addresses ?? []);
    const unconfirmed: string[] = [];
    const suppressed: string[] = [];
    for (const address of d.addresses ?? []) {
      const key = address.toLowerCase();
      const state = states.get(key) ?? 'pending';
      if (state === 'pending') unconfirmed.push(key);
      else if (state === 'suppressed') suppressed.push(key);
      // A user's address is that user (listed above when active); a confirmed one is sent to.
      else if (state === 'confirmed' && !targets.has(key)) targets.set(key, { channel: 'email', address });
    }
    return { targets: [...targets.values()], unconfirmed, suppressed };
  };

  const statesOf = (orgId: string, addresses: readonly string[]) =>
    addresses.length === 0 || !deps.addresses
      ? Promise.resolve(new Map<string, AddressState>())
      : deps.addresses.states(orgId, addresses);

  const withAddresses = async (rule: NotificationRule): Promise<RuleWithAddresses> => {
    const addresses = addressesOf(rule);
    const states = await statesOf(rule.orgId, addresses);
    return {
      ...rule,
      addressConfirmations: addresses.map((address) => ({
        address,
        state: states.get(address) ?? 'pending',
      })),
    };
  };

  const askToConfirm = async (rule: NotificationRule, principal: Principal, request: RequestContext) => {
    const addresses = addressesOf(rule);
    if (addresses.length > 0 && deps.addresses)
      await deps.addresses.request(rule.orgId, addresses, {
        requestId: request.requestId,
        actor: principal.id,
      });
  };

  const render = async (
    orgId: string,
    destination: Destination,
    event: CanonicalEvent,
  ): Promise<RuleDelivery> => {
    if (destination.kind === 'webhook_endpoint') {
      const channel = deps.channels.webhook;
      if (!channel) return { destination, rendered: [], note: 'The webhook channel is not available here' };
      return {
        destination,
        rendered: [await channel.render(event, { channel: 'webhook', endpointId: destination.endpointId })],
      };
    }
    if (destination.kind === 'chat') {
      const channel = deps.channels.chat;
      if (!channel) return { destination, rendered: [], note: 'The chat channel is not available here' };
      const connection = await deps.refs.connections.get(orgId, destination.connectionId);
      if (!connection)
        return {
          destination,
          rendered: [],
          note: `No connection ${destination.connectionId} in this organisation`,
        };
      const target = {
        channel: 'chat' as const,
        provider: connection.provider,
        connectionId: connection.id,
        conversation: destination.conversation,
      };
      return { destination, rendered: [await channel.render(event, target)] };
    }
    const { targets, unconfirmed, suppressed } = await emailTargets(orgId, destination);
    const held = {
      ...(unconfirmed.length > 0 ? { unconfirmed } : {}),
      ...(suppressed.length > 0 ? { suppressed } : {}),
    };
    const channel = deps.channels.email;
    if (targets.length === 0)
      return {
        destination,
        rendered: [],
        ...held,
        note:
          unconfirmed.length > 0
            ? 'The destination reaches no active user or confirmed address (its addresses get email once they confirm)'
            : 'The destination reaches no active user or address',
      };
    if (!channel)
      return { destination, rendered: [], ...held, note: 'The email channel is not available here' };
    const shown = targets.slice(0, MAX_RENDERED_TARGETS);
    const rendered = await Promise.all(shown.map((target) => channel.render(event, target)));
    return {
      destination,
      rendered,
      ...held,
      ...(targets.length > shown.length ? { omitted: targets.length - shown.length } : {}),
    };
  };

  const eventToTry = async (orgId: string, rule: NotificationRule, input: TestNotificationRuleInput) => {
    if (input.sample !== undefined) {
      if (!isCanonicalType(input.sample)) {
        // A generic sender's own types have no shape the hub knows: a stored one shows what it sends.
        const custom = input.sample.startsWith('custom.');
        throw new ValidationError(
          custom
            ? `${input.sample} is a sender's own type, which has no sample: try the rule on one of its stored events ("eventId")`
            : `${input.sample} is not a canonical event type`,
          [
            {
              path: 'sample',
              message: custom
                ? 'give eventId (an event of that type from GET …/events) instead'
                : 'a canonical event type (work_item.created, pull_request.merged…)',
            },
          ],
        );
      }
      return sampleEvent(orgId, input.sample, rule.conditions, deps.clock.now());
    }
    const eventId = input.eventId as string;
    const stored = await deps.events.get(orgId, eventId);
    if (!stored) throw new NotFoundError(`No event ${eventId} in this organisation`);
    if (!stored.claim) return stored;
    // The feed keeps only the reference of an event too large for the bus: read it whole.
    const { data: _data, ...envelope } = stored;
    return resolveClaim({ ...envelope, claim: stored.claim }, deps.claims);
  };

  return {
    list: async (orgId: string, page: PageRequest) => {
      const found = await deps.rules.list(orgId, page);
      return { ...found, items: await Promise.all(found.items.map(withAddresses)) };
    },

    get: async (orgId: string, ruleId: string) => withAddresses((await requireRule(orgId, ruleId)).value),

    create: async (
      orgId: string,
      input: CreateNotificationRuleInput,
      principal: Principal,
      request: RequestContext,
      /** The chat conversation it was asked for in (the bot's `subscribe`). */
      askedIn?: RuleCreator['askedIn'],
    ): Promise<RuleWithAddresses> => {
      const org = await deps.orgs.get(orgId);
      if (!org) throw new NotFoundError(`Organisation ${orgId} does not exist`);
      const at = deps.clock.now();
      const rule: NotificationRule = {
        id: newId('nrule'),
        orgId,
        ...input,
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
        createdBy: creatorOf(principal, askedIn),
      };
      await validateRule(rule, deps.refs);
      const audit = auditChange({
        action: 'notification_rule.created',
        principal,
        orgId,
        targets: [{ type: 'notification_rule', id: rule.id }],
        request,
        at,
        after: summary(rule),
      });
      await deps.rules.create(rule, audit, {
        resource: 'notificationRules',
        limit: PLANS[org.plan].notificationRules,
      });
      await askToConfirm(rule, principal, request);
      return withAddresses(rule);
    },

    update: async (
      orgId: string,
      ruleId: string,
      input: UpdateNotificationRuleInput,
      principal: Principal,
      request: RequestContext,
    ): Promise<RuleWithAddresses> => {
      const { value: before, version } = await requireRule(orgId, ruleId);
      const at = deps.clock.now();
      const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
      const rule: NotificationRule = { ...before, ...defined, updatedAt: at.toISOString() };
      await validateRule(rule, deps.refs, {
        destinations: input.destinations !== undefined,
        connections: input.conditions !== undefined,
      });
      const audit = auditChange({
        action: 'notification_rule.updated',
        principal,
        orgId,
        targets: [{ type: 'notification_rule', id: ruleId }],
        request,
        at,
        before: summary(before),
        after: summary(rule),
      });
      await deps.rules.save(rule, version, audit);
      // Destinations given: each address not yet confirmed is asked (at most once a day).
      if (input.destinations !== undefined) await askToConfirm(rule, principal, request);
      return withAddresses(rule);
    },

    remove: async (orgId: string, ruleId: string, principal: Principal, request: RequestContext) => {
      const { value: rule } = await requireRule(orgId, ruleId);
      const audit = auditChange({
        action: 'notification_rule.deleted',
        principal,
        orgId,
        targets: [{ type: 'notification_rule', id: ruleId }],
        request,
        at: deps.clock.now(),
        before: summary(rule),
      });
      await deps.rules.remove(orgId, ruleId, audit);
    },

    /** What the rule would send for a sample or a stored event: whether it matches, why not, and the rendering. Sends nothing. */
    test: async (
      orgId: string,
      ruleId: string,
      input: TestNotificationRuleInput,
      principal?: Principal,
    ): Promise<RuleTestResult> => {
      const { value: rule } = await requireRule(orgId, ruleId);
      // A stored event is the org's data: its reader needs events:read as the feed asks, not only notifications:manage.
      if (input.eventId !== undefined && principal?.kind === 'org_member') {
        const access = deps.access ? await deps.access.get(orgId) : undefined;
        if (!permissionsOf(principal.role, access).includes('events:read'))
          throw new ForbiddenError('Trying a rule on a stored event needs events:read as well');
      }
      const event = await eventToTry(orgId, rule, input);
      if (event.tenantId !== orgId) throw new NotFoundError(`No event ${event.id} in this organisation`);
      const { matched, reasons } = explainMatch(compileRule(rule), eventFacts(event));
      const deliveries = matched
        ? await Promise.all(rule.destinations.map((d) => render(orgId, d, event)))
        : [];
      return { event, enabled: rule.enabled, matched, reasons, deliveries };
    },
  };
}
