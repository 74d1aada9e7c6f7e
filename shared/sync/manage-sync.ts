import type { RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { Principal } from '../identity/principal';
import { newId } from '../ids';
import type { Clock } from '../ports/clock';
import type { AuditStore, ConnectionStore, DeadLetterStore, OrgStore, PageRequest } from '../ports/stores';
import { PLANS } from '../tenancy/plans';
import { openBranchForLink } from './branches';
import { isActiveJob } from './jobs';
import type { Link } from './link';
import type { Mapping, MappingInput, Side } from './mapping';
import { containerOf, SIDES } from './mapping';
import type { SyncStore } from './ports';
import type { SyncProviders, WorkItemConnectors } from './providers';
import { workItemConnector } from './providers';
import type { ScanStarter } from './scan';

interface Deps {
  readonly store: SyncStore;
  readonly connections: Pick<ConnectionStore, 'get'>;
  readonly clock: Clock;
}

/**
 * Both connections must exist in the org, and their providers must be able to play their side
 * (a tracker, a code host), with a project or repository that provider can have. Returns each
 * side's provider, which the mapping records.
 */
async function checkConnections(
  deps: Deps & { readonly connectors: WorkItemConnectors },
  orgId: string,
  input: MappingInput,
): Promise<Record<Side, string>> {
  const issues: { path: string; message: string }[] = [];
  const providers = { tracker: '', codeHost: '' };
  for (const side of SIDES) {
    const connection = await deps.connections.get(orgId, input[side].connectionId);
    const part = side === 'tracker' ? 'tracker' : 'code host';
    if (!connection) {
      issues.push({ path: `${side}.connectionId`, message: 'no such connection in this org' });
      continue;
    }
    const connector = workItemConnector(connection.provider, side, deps.connectors);
    if (!connector) {
      issues.push({
        path: `${side}.connectionId`,
        message: `a ${connection.provider} connection cannot be the ${part}`,
      });
      continue;
    }
    const named = input[side].provider;
    if (named !== undefined && named !== connection.provider)
      issues.push({
        path: `${side}.provider`,
        message: `the connection is ${connection.provider}, not ${named}`,
      });
    providers[side] = connection.provider;
    const field = side === 'tracker' ? 'project' : 'repository';
    const wrong = connector.checkContainer(containerOf(input, side));
    if (wrong) issues.push({ path: `${side}.${field}`, message: `${connector.displayName}: ${wrong}` });
  }
  if (issues.length > 0) throw new ValidationError('The mapping names connections it cannot use', issues);
  return providers;
}

/** The mapping as stored: each side with the provider that plays it. */
const withProviders = (input: MappingInput, providers: Record<Side, string>) => ({
  ...input,
  tracker: { ...input.tracker, provider: providers.tracker },
  codeHost: { ...input.codeHost, provider: providers.codeHost },
});

async function requireLink(store: SyncStore, orgId: string, linkId: string): Promise<Link> {
  const link = await store.getLink(orgId, linkId);
  if (!link) throw new NotFoundError(`No link ${linkId}`);
  return link;
}

async function requireMapping(store: SyncStore, orgId: string, mappingId: string): Promise<Mapping> {
  const mapping = await store.getMapping(orgId, mappingId);
  if (!mapping) throw new NotFoundError(`No mapping ${mappingId}`);
  return mapping;
}

export function makeManageMappings(
  deps: Deps & {
    /** The providers that can take part: the modules' sync parts (`ProviderCatalog.syncConnectors`). */
    readonly connectors: WorkItemConnectors;
    readonly audit: Pick<AuditStore, 'append'>;
    readonly scanner: Pick<ScanStarter, 'backfill'>;
    readonly orgs: Pick<OrgStore, 'get'>;
  },
) {
  const audited = (
    action: string,
    principal: Principal,
    request: RequestContext,
    mapping: Mapping,
    at: Date,
  ) =>
    auditChange({
      action,
      principal,
      orgId: mapping.orgId,
      targets: [{ type: 'mapping', id: mapping.id }],
      request,
      at,
      after: {
        tracker: mapping.tracker,
        codeHost: mapping.codeHost,
        fields: mapping.fields,
        conflicts: mapping.conflicts,
      },
    });
  return {
    list: async (orgId: string) => ({ items: await deps.store.listMappings(orgId) }),
    get: (orgId: string, mappingId: string) => requireMapping(deps.store, orgId, mappingId),
    create: async (orgId: string, input: MappingInput, principal: Principal, request: RequestContext) => {
      const providers = await checkConnections(deps, orgId, input);
      const at = deps.clock.now();
      const mapping: Mapping = {
        ...withProviders(input, providers),
        id: newId('map'),
        orgId,
        name: input.name ?? `${input.tracker.project} ↔ ${input.codeHost.repository}`,
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
        version: 1,
      };
      const org = await deps.orgs.get(orgId);
      if (!org) throw new NotFoundError(`Organisation ${orgId} does not exist`);
      await deps.store.createMapping(mapping, audited('mapping.created', principal, request, mapping, at), {
        resource: 'mappings',
        limit: PLANS[org.plan].mappings,
      });
      return mapping;
    },
    replace: async (
      orgId: string,
      mappingId: string,
      input: MappingInput,
      principal: Principal,
      request: RequestContext,
    ) => {
      const current = await requireMapping(deps.store, orgId, mappingId);
      if (
        input.tracker.connectionId !== current.tracker.connectionId ||
        input.codeHost.connectionId !== current.codeHost.connectionId
      ) {
        throw new ValidationError("A mapping's connections cannot change: its links belong to them", [
          { path: 'connectionId', message: 'create another mapping for other connections' },
        ]);
      }
      const providers = await checkConnections(deps, orgId, input);
      const at = deps.clock.now();
      const next: Mapping = {
        ...withProviders(input, providers),
        id: current.id,
        orgId,
        name: input.name ?? current.name,
        createdAt: current.createdAt,
        updatedAt: at.toISOString(),
        version: current.version + 1,
      };
      await deps.store.saveMapping(
        next,
        current.version,
        audited('mapping.updated', principal, request, next, at),
      );
      return next;
    },
    startBackfill: async (
      orgId: string,
      mappingId: string,
      principal: Principal,
      request: RequestContext,
    ) => {
      const mapping = await requireMapping(deps.store, orgId, mappingId);
      const running = await deps.store.latestJob(orgId, mappingId, 'backfill');
      // A backfill left behind (its org was suspended mid-way) does not block a new one for ever.
      if (running && isActiveJob(running, deps.clock.now()))
        throw new ConflictError(`Backfill ${running.id} is still running; follow it with GET …/backfill`);
      const job = await deps.scanner.backfill(mapping);
      await deps.audit.append(
        auditChange({
          action: 'mapping.backfill_started',
          principal,
          orgId,
          targets: [
            { type: 'mapping', id: mappingId },
            { type: 'job', id: job.id },
          ],
          request,
          at: deps.clock.now(),
          after: { total: job.total },
        }),
      );
      return job;
    },
    getBackfill: async (orgId: string, mappingId: string) => {
      await requireMapping(deps.store, orgId, mappingId);
      const job = await deps.store.latestJob(orgId, mappingId, 'backfill');
      if (!job) throw new NotFoundError(`Mapping ${mappingId} has had no backfill`);
      return job;
    },
    remove: async (orgId: string, mappingId: string, principal: Principal, request: RequestContext) => {
      const current = await requireMapping(deps.store, orgId, mappingId);
      const removed = await deps.store.deleteMapping(
        orgId,
        mappingId,
        audited('mapping.deleted', principal, request, current, deps.clock.now()),
      );
      if (!removed) throw new NotFoundError(`No mapping ${mappingId}`);
    },
  };
}

export function makeReadSync(
  deps: Deps & {
    readonly connections: Pick<ConnectionStore, 'get'>;
    readonly deadLetters: Pick<DeadLetterStore, 'list'>;
  },
) {
  return {
    listLinks: (orgId: string, page: PageRequest) => deps.store.listLinks(orgId, page),
    getLink: (orgId: string, linkId: string) => requireLink(deps.store, orgId, linkId),
    connectionStatus: async (orgId: string, connectionId: string) => {
      const connection = await deps.connections.get(orgId, connectionId);
      if (!connection) throw new NotFoundError(`No connection ${connectionId}`);
      const [stats, mappings, parked] = await Promise.all([
        deps.store.getStats(orgId, connectionId),
        deps.store.listMappings(orgId),
        deps.deadLetters.list(orgId, { limit: 100 }),
      ]);
      const { connectionId: _id, ...sync } = stats;
      return {
        connectionId,
        status: connection.status,
        lastError: connection.lastError,
        sync,
        mappings: await Promise.all(
          mappings
            .filter(
              (m) => m.tracker.connectionId === connectionId || m.codeHost.connectionId === connectionId,
            )
            .map(async (m) => ({ id: m.id, name: m.name, ...(await deps.store.getCursor(orgId, m.id)) })),
        ),
        deadLetters: parked.items.filter((d) => d.body.includes(`"connectionId":"${connectionId}"`)).length,
      };
    },
  };
}

export function makeOpenLinkBranch(
  deps: Deps & { readonly providers: SyncProviders; readonly audit: Pick<AuditStore, 'append'> },
) {
  return async (
    orgId: string,
    linkId: string,
    options: { base?: string | undefined; draft?: boolean | undefined },
    principal: Principal,
    request: RequestContext,
  ) => {
    const link = await requireLink(deps.store, orgId, linkId);
    const mapping = await requireMapping(deps.store, orgId, link.mappingId);
    const opened = await openBranchForLink(deps, link, mapping, { ...options, audited: false });
    await deps.audit.append(
      auditChange({
        action: 'link.branch_requested',
        principal,
        orgId,
        targets: [{ type: 'link', id: linkId }],
        request,
        at: deps.clock.now(),
        after: { branch: opened.branch, pullRequests: opened.pullRequests.map((p) => p.url) },
      }),
    );
    return opened;
  };
}
