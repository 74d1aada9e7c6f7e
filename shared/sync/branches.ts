import { auditBySystem } from '../audit/audit-record';
import { ConflictError } from '../errors';
import type { Clock } from '../ports/clock';
import type { AuditStore } from '../ports/stores';
import type { Link } from './link';
import type { Mapping } from './mapping';
import type { SyncStore } from './ports';
import type { SyncProviders } from './providers';
import { saveLinkChange } from './save-link';

/** `PROJ-12-fix-the-login-page`: the item's key first (so pull requests name it), then the title. */
export function branchName(key: string, title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '-')
    .slice(0, 50)
    .replace(/-+$/, '');
  return slug ? `${key}-${slug}` : key;
}

/**
 * Opens a branch named from the linked tracker item on the code host, and a draft pull request for
 * it, then links the pull request back on the item. A branch that exists already is used as it is;
 * the pull request names the item's key, so its later reviews and merge move the item along the
 * mapping.
 */
export async function openBranchForLink(
  deps: { store: SyncStore; providers: SyncProviders; audit: Pick<AuditStore, 'append'>; clock: Clock },
  link: Link,
  mapping: Mapping,
  options: {
    base?: string | undefined;
    draft?: boolean | undefined;
    requestId?: string;
    /** False when the caller audits the request itself (the API, as the person who asked). */
    audited?: boolean;
  },
): Promise<Link> {
  if (link.ended)
    throw new ConflictError(`Link ${link.id} has ended: its ${link.ended.side} item was deleted`);
  const codeHost = await deps.providers.codeHost(link.orgId, link.codeHost.connectionId);
  const tracker = await deps.providers.tracker(link.orgId, link.tracker.connectionId);
  const repository = link.codeHost.container;
  const key = link.tracker.key;
  const title = String(link.fields.title?.value ?? key);
  const branch = link.branch ?? branchName(key, title);
  const base = options.base ?? mapping.branches.base;
  await codeHost.client.createBranch(repository, branch, base);
  const pr = await codeHost.client.openPullRequest(repository, {
    title: `${key}: ${title}`,
    head: branch,
    base,
    body: `${tracker.connector.displayName}: [${key}](${link.tracker.url})`,
    draft: options.draft ?? true,
    closes: link.codeHost,
  });
  await tracker.client.linkPullRequest(key, {
    url: pr.url,
    title: `${key}: ${title}`,
    state: 'open',
    codeHost: codeHost.connector.displayName,
  });
  const current = await saveLinkChange(deps.store, link, (l) => ({
    ...l,
    branch,
    pullRequests: [
      ...l.pullRequests.filter((p) => p.url !== pr.url),
      { repository, number: pr.number, url: pr.url, state: 'open' },
    ],
  }));
  if (options.audited === false) return current;
  await deps.audit.append(
    auditBySystem({
      action: 'link.branch_opened',
      actor: 'hub-sync',
      orgId: link.orgId,
      targets: [{ type: 'link', id: link.id }],
      requestId: options.requestId ?? link.id,
      at: deps.clock.now(),
      after: { branch, pullRequest: pr.url, draft: pr.draft },
    }),
  );
  return current;
}
