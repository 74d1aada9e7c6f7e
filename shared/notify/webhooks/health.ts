import { auditBySystem, onceAuditId } from '../../audit/audit-record';
import { logger } from '../../observability/observability';
import type { Clock } from '../../ports/clock';
import type { DueIndex } from '../../ports/due-index';
import type { Mailer } from '../../ports/mailer';
import type { AuditStore, Page, PageRequest } from '../../ports/stores';
import type { User } from '../../tenancy/user';
import type { StoredEndpoint } from './endpoint';
import type { WebhookEndpointStore } from './endpoint-store';

/** An endpoint failing without a single success this long is disabled; its admins are warned a day before. */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
export const WARN_AFTER_MS = 4 * 86_400_000;
/** The due-index kind of an endpoint's health checks. */
export const HEALTH_KIND = 'endpoint-health';

export interface HealthDeps {
  readonly endpoints: WebhookEndpointStore;
  readonly dueIndex: Pick<DueIndex, 'add'>;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly clock: Clock;
}

/** Disables an endpoint the hub gave up on (HTTP 410, five days failing), audited; null when it already was. */
export async function disableEndpoint(
  deps: Pick<HealthDeps, 'endpoints'>,
  orgId: string,
  endpointId: string,
  reason: string,
  at: Date,
): Promise<StoredEndpoint | null> {
  const current = await deps.endpoints.get(orgId, endpointId);
  if (!current?.enabled) return null;
  const audit = auditBySystem({
    action: 'webhook_endpoint.disabled',
    actor: 'hub-deliveries',
    orgId,
    targets: [{ type: 'webhook_endpoint', id: endpointId }],
    requestId: `disable-${endpointId}-${current.version}`,
    at,
    before: { enabled: true },
    after: { enabled: false, reason, failingSince: current.failingSince ?? null },
  });
  // A write of `enabled` and the reason alone: settings changed meanwhile are kept.
  if (!(await deps.endpoints.disable(orgId, endpointId, reason, at, audit))) return null;
  return {
    ...current,
    enabled: false,
    disabledReason: reason,
    updatedAt: at.toISOString(),
    version: current.version + 1,
  };
}

/** Notes that an endpoint started failing, and indexes its day-4 warning and day-5 check. */
export async function noteFailure(
  deps: HealthDeps,
  orgId: string,
  endpointId: string,
  at: Date,
): Promise<void> {
  if (!(await deps.endpoints.markFailing(orgId, endpointId, at))) return;
  await Promise.all([
    deps.dueIndex.add({
      kind: HEALTH_KIND,
      orgId,
      ref: endpointId,
      dueAt: new Date(at.getTime() + WARN_AFTER_MS),
    }),
    deps.dueIndex.add({
      kind: HEALTH_KIND,
      orgId,
      ref: endpointId,
      dueAt: new Date(at.getTime() + DISABLE_AFTER_MS),
    }),
  ]);
}

export interface HealthCheckDeps extends HealthDeps {
  readonly mailer: Mailer;
  readonly users: { list(orgId: string, page: PageRequest): Promise<Page<User>> };
}

/** The org's active owners and admins: who is told about its endpoints. */
export async function adminsOf(deps: Pick<HealthCheckDeps, 'users'>, orgId: string): Promise<User[]> {
  const admins: User[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.users.list(orgId, { limit: 100, ...(cursor ? { cursor } : {}) });
    for (const user of page.items)
      if (user.status === 'active' && (user.role === 'owner' || user.role === 'admin')) admins.push(user);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && admins.length < 50);
  return admins;
}

/**
 * An endpoint's health check, when one of its entries comes due: failing four days → its org's
 * admins are warned (once); five → it is disabled and they are told. A check whose endpoint has
 * since succeeded (or started failing again later) finds nothing to do.
 */
export async function checkEndpointHealth(
  deps: HealthCheckDeps,
  orgId: string,
  endpointId: string,
): Promise<string> {
  const now = deps.clock.now();
  const endpoint = await deps.endpoints.get(orgId, endpointId);
  if (!endpoint?.enabled || !endpoint.failingSince) return 'healthy';
  const failingMs = now.getTime() - Date.parse(endpoint.failingSince);
  const tell = async (subject: string, text: string) => {
    const admins = await adminsOf(deps, orgId);
    await Promise.all(
      admins.map((u) =>
        deps.mailer
          // One line: a subject carries the endpoint's URL, and a header must not break.
          .send({
            to: u.email,
            subject: subject.replace(/[\r\n\t]+/g, ' ').slice(0, 200),
            text,
            tags: { orgId },
          })
          .catch((error: unknown) => logger.warn('Could not mail an admin', { error: error as Error })),
      ),
    );
  };
  if (failingMs >= DISABLE_AFTER_MS) {
    const disabled = await disableEndpoint(
      deps,
      orgId,
      endpointId,
      'failing for 5 days without a success',
      now,
    );
    if (disabled)
      await tell(
        `Webhook endpoint disabled: ${endpoint.url}`,
        `The webhook endpoint ${endpoint.id} (${endpoint.url}) has failed every delivery since ${endpoint.failingSince}, so the hub disabled it.\n\nFix the receiver, enable the endpoint again, and recover the failed messages (POST …/webhook-endpoints/${endpoint.id}/recover).\n`,
      );
    return disabled ? 'disabled' : 'unchanged';
  }
  if (failingMs >= WARN_AFTER_MS && !endpoint.warnedAt) {
    const audit = {
      ...auditBySystem({
        action: 'webhook_endpoint.failing',
        actor: 'hub-deliveries',
        orgId,
        targets: [{ type: 'webhook_endpoint', id: endpointId }],
        requestId: `warn-${endpointId}`,
        at: now,
        after: {
          failingSince: endpoint.failingSince,
          disablesAt: new Date(Date.parse(endpoint.failingSince) + DISABLE_AFTER_MS).toISOString(),
        },
      }),
      // One warning per failing spell, however often the check runs.
      id: onceAuditId(endpoint.failingSince, `endpoint-failing#${endpointId}#${endpoint.failingSince}`),
    };
    if (!(await deps.endpoints.markWarned(orgId, endpointId, endpoint.failingSince, now, audit)))
      return 'unchanged';
    await tell(
      `Webhook endpoint failing: ${endpoint.url}`,
      `The webhook endpoint ${endpoint.id} (${endpoint.url}) has failed every delivery since ${endpoint.failingSince}. Unless one succeeds, the hub disables it on ${new Date(Date.parse(endpoint.failingSince) + DISABLE_AFTER_MS).toISOString()}.\n`,
    );
    return 'warned';
  }
  return 'unchanged';
}
