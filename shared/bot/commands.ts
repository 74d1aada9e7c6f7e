import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import type { ChatMember } from '../chat/authorize-member';
import type { ChatCard } from '../chat/model';
import type { ItemRef } from '../connectors/work-items';
import { HubError, NotFoundError } from '../errors';
import type { Principal } from '../identity/principal';
import type { CreateNotificationRuleInput, NotificationRule } from '../notify/rules/rule';
import type { Link } from '../sync/link';
import { itemKeys } from '../sync/link';
import type { Mapping } from '../sync/mapping';
import type { SyncStore } from '../sync/ports';
import type { SyncProviders } from '../sync/providers';
import type { ActAsDeps, OrgPrincipal } from './act-as';
import { authorize, chatRequest } from './act-as';
import type { BotCommand } from './parse';
import { parseCommand, USAGE } from './parse';

/** The API's use cases the bot runs (the same functions the routes call). */
export interface BotDeps {
  readonly gate: ActAsDeps;
  readonly sync: Pick<SyncStore, 'listMappings' | 'findLinkId'>;
  /** `makeReadSync(…).getLink` (GET …/links/{linkId}). */
  readonly getLink: (orgId: string, linkId: string) => Promise<Link>;
  /** `makeOpenLinkBranch(…)` (POST …/links/{linkId}/branch). */
  readonly openBranch: (
    orgId: string,
    linkId: string,
    options: { base?: string | undefined; draft?: boolean | undefined },
    principal: Principal,
    request: RequestContext,
  ) => Promise<Link>;
  /** `makeManageRules(…).create` (POST …/notification-rules). */
  readonly createRule: (
    orgId: string,
    input: CreateNotificationRuleInput,
    principal: Principal,
    request: RequestContext,
    askedIn?: { provider: string; connectionId: string; conversation: string },
  ) => Promise<NotificationRule>;
  /** The trackers' clients, as the sync engine opens them (credentials, tokens, egress guard). */
  readonly trackers: Pick<SyncProviders, 'tracker'>;
}

/** Who asks, where: the org comes from the installation's binding, never from the request. */
export interface BotContext {
  readonly orgId: string;
  /** The hub member the one gate (`authorizeMember`) admitted: no command runs without one. */
  readonly member: ChatMember;
  readonly provider: string;
  readonly connectionId: string;
  readonly conversation: string;
  /** The chat work's id: the request id of its audit records. */
  readonly requestId: string;
}

const card = (
  title: string,
  text: string,
  tone: ChatCard['tone'] = 'neutral',
  fields?: ChatCard['fields'],
): ChatCard => ({
  title,
  text,
  tone,
  ...(fields ? { fields } : {}),
  fallback: `${title}: ${text}`.slice(0, 300),
});

/** The error a person sees: what went wrong and, for a refusal, that it was refused. */
export const errorCard = (message: string, tone: ChatCard['tone'] = 'danger'): ChatCard =>
  card('The hub could not do that', message.slice(0, 1000), tone);

export function helpCard(): ChatCard {
  const lines = Object.values(USAGE).map((u) => `- \`${u.split(' — ')[0]}\` — ${u.split(' — ')[1]}`);
  return {
    title: 'Hub commands',
    text: lines.join('\n'),
    tone: 'neutral',
    fallback: 'Hub commands: status, create, assign, move, link, subscribe, help',
  };
}

/**
 * Runs one bot command as the matched hub user: parsed and bounded first, then authorised exactly
 * as the API authorises the same operation, then done through the API's own use cases, audited with
 * the platform as the channel. A refusal or a bad request is a card saying why; anything else
 * (a provider down) is thrown, for the queue's failure policy to retry.
 */
export function makeBotCommands(deps: BotDeps) {
  const project = (key: string) => key.slice(0, key.lastIndexOf('-'));

  /** The mappings that sync the key's project, and the key's link in one of them, if linked. */
  const locate = async (orgId: string, key: string, repository?: string) => {
    const mappings = (await deps.sync.listMappings(orgId)).filter(
      (m) =>
        m.tracker.project.toUpperCase() === project(key) &&
        (repository === undefined || m.codeHost.repository.toLowerCase() === repository.toLowerCase()),
    );
    for (const mapping of mappings) {
      const linkId = await deps.sync.findLinkId(orgId, itemKeys.key(mapping.tracker.connectionId, key));
      if (linkId) return { mappings, mapping, linkId };
    }
    return { mappings, mapping: mappings[0] ?? null, linkId: null };
  };

  const requireMapping = (mapping: Mapping | null, projectKey: string, repository?: string): Mapping => {
    if (!mapping) {
      throw new NotFoundError(
        repository
          ? `No mapping syncs project ${projectKey} with ${repository}`
          : `No mapping syncs project ${projectKey}`,
      );
    }
    return mapping;
  };

  const audited = async (
    principal: OrgPrincipal,
    request: RequestContext,
    action: string,
    key: string,
    after: Record<string, unknown>,
  ) =>
    deps.gate.audit.append(
      auditChange({
        action,
        principal,
        orgId: principal.orgId,
        targets: [{ type: 'work_item', id: key }],
        request,
        at: deps.gate.clock.now(),
        after,
      }),
    );

  const linkFields = (link: Link): NonNullable<ChatCard['fields']> => {
    const value = (field: keyof Link['fields']) => {
      const v = link.fields[field]?.value;
      return v === undefined || v === null ? '—' : Array.isArray(v) ? v.join(', ') || '—' : String(v);
    };
    return [
      { label: 'Status', value: value('status') },
      { label: 'Assignee', value: value('assignee') },
      { label: 'Linked', value: `[${link.codeHost.key}](${link.codeHost.url})` },
      {
        label: 'Pull requests',
        value: link.pullRequests.map((p) => `[#${p.number}](${p.url}) ${p.state}`).join(', ') || 'none',
      },
      { label: 'Last sync', value: link.lastSyncedAt ?? 'never' },
      ...(link.branch ? [{ label: 'Branch', value: `\`${link.branch}\`` }] : []),
    ];
  };

  const run = async (
    command: BotCommand,
    principal: OrgPrincipal,
    ctx: BotContext,
    request: RequestContext,
  ): Promise<ChatCard> => {
    const { orgId } = ctx;
    switch (command.name) {
      case 'help':
        return helpCard();
      case 'status': {
        // Authorised before anything is read, as the gate does.
        await authorize(deps.gate, principal, { permission: 'sync:read', operation: 'getLink' }, request);
        const found = await locate(orgId, command.key);
        requireMapping(found.mapping, project(command.key));
        if (!found.linkId) return card(command.key, `${command.key} is not linked to a code host item yet.`);
        const link = await deps.getLink(orgId, found.linkId);
        const title = String(link.fields.title?.value ?? command.key);
        return {
          title: `${command.key}: ${title}`,
          titleUrl: link.tracker.url,
          fields: linkFields(link),
          tone: 'neutral',
          fallback: `${command.key}: ${title}`.slice(0, 300),
        };
      }
      case 'create': {
        await authorize(
          deps.gate,
          principal,
          { permission: 'work_items:manage', operation: 'createWorkItem' },
          request,
        );
        const found = await locate(orgId, `${command.project}-1`);
        const mapping = requireMapping(found.mapping, command.project);
        const tracker = await deps.trackers.tracker(orgId, mapping.tracker.connectionId);
        const created = await tracker.client.createItem(mapping.tracker.project, mapping.tracker.itemType, {
          title: command.title,
        });
        await audited(principal, request, 'work_item.created', created.ref.key, {
          project: mapping.tracker.project,
          connectionId: mapping.tracker.connectionId,
        });
        return {
          ...card(`${created.ref.key}: ${command.title}`, `Created in ${mapping.tracker.project}.`, 'good'),
          titleUrl: created.ref.url,
        };
      }
      case 'assign':
      case 'move': {
        const operation = command.name === 'assign' ? 'assignWorkItem' : 'moveWorkItem';
        await authorize(deps.gate, principal, { permission: 'work_items:manage', operation }, request);
        const found = await locate(orgId, command.key);
        const mapping = requireMapping(found.mapping, project(command.key));
        const link = found.linkId ? await deps.getLink(orgId, found.linkId) : null;
        const connectionId = link?.tracker.connectionId ?? mapping.tracker.connectionId;
        const tracker = await deps.trackers.tracker(orgId, connectionId);
        if (command.name === 'move') {
          await tracker.client.moveTo(command.key, command.status);
          await audited(principal, request, 'work_item.moved', command.key, { status: command.status });
          return card(command.key, `Moved to **${command.status}**.`, 'good');
        }
        const email = command.assignee === '@me' ? (principal.email ?? '') : command.assignee;
        // The provider takes its own user id: the person is looked up by email where it can.
        const assignee = tracker.client.findUser ? await tracker.client.findUser({ email }) : email;
        if (assignee === null)
          throw new NotFoundError(`${tracker.connector.displayName} has no one user with the email ${email}`);
        const ref: ItemRef = link
          ? { id: link.tracker.id, key: link.tracker.key, url: link.tracker.url }
          : { id: command.key, key: command.key, url: '' };
        await tracker.client.updateItem(link?.tracker.container ?? mapping.tracker.project, ref, {
          assignee,
        });
        await audited(principal, request, 'work_item.assigned', command.key, { assignee, email });
        return card(command.key, `Assigned to ${email}.`, 'good');
      }
      case 'link': {
        await authorize(
          deps.gate,
          principal,
          { permission: 'sync:manage', operation: 'openLinkBranch' },
          request,
        );
        const found = await locate(orgId, command.key, command.repository);
        requireMapping(found.mapping, project(command.key), command.repository);
        if (!found.linkId) {
          throw new NotFoundError(`${command.key} is not linked to an issue of ${command.repository} yet`);
        }
        const link = await deps.openBranch(orgId, found.linkId, {}, principal, request);
        const pr = link.pullRequests.at(-1);
        return {
          ...card(
            `${command.key}: branch opened`,
            `Branch \`${link.branch ?? ''}\` on ${command.repository}${pr ? `, draft pull request [#${pr.number}](${pr.url})` : ''}.`,
            'good',
          ),
          ...(pr ? { titleUrl: pr.url } : {}),
        };
      }
      case 'subscribe': {
        await authorize(
          deps.gate,
          principal,
          { permission: 'notifications:manage', operation: 'createNotificationRule' },
          request,
        );
        const rule = await deps.createRule(
          orgId,
          {
            name: `${ctx.provider} ${ctx.conversation}: ${command.pattern}`.slice(0, 200),
            description: `Subscribed from ${ctx.provider} by ${principal.name}`,
            enabled: true,
            eventTypes: [command.pattern],
            conditions: {},
            destinations: [{ kind: 'chat', connectionId: ctx.connectionId, conversation: ctx.conversation }],
          },
          principal,
          request,
          { provider: ctx.provider, connectionId: ctx.connectionId, conversation: ctx.conversation },
        );
        return card(
          'Subscribed',
          `This conversation now gets \`${command.pattern}\` events (rule ${rule.id}).`,
          'good',
        );
      }
    }
  };

  return {
    /** Parses and runs a command's text for the member the gate admitted; the reply card. */
    run: async (ctx: BotContext, text: string): Promise<ChatCard> => {
      const parsed = parseCommand(text);
      if (!parsed.ok) return errorCard(parsed.error, 'warning');
      const request = chatRequest(ctx.requestId, ctx.provider);
      try {
        return await run(parsed.command, ctx.member.principal, ctx, request);
      } catch (error) {
        if (error instanceof HubError && error.status < 500) return errorCard(error.message);
        throw error;
      }
    },
  };
}
