import { auditBySystem } from '../audit/audit-record';
import { ValidationError } from '../errors';
import type { Clock } from '../ports/clock';
import type { AuditStore } from '../ports/stores';
import type { Link } from './link';
import type { Mapping } from './mapping';
import type { SyncStore } from './ports';
import type { SyncProviders } from './providers';
import { saveLinkChange } from './save-link';

/** `PROJ-12-fix-the-login-page`: the issue key first (so pull requests name it), then the title. */
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
 * Opens a branch named from the linked Jira issue and a draft pull request for it, then links the
 * pull request back in Jira. A branch that exists already is used as it is; the pull request names
 * the Jira key, so its later reviews and merge move the issue along the mapping.
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
  const gh = await deps.providers.github(link.orgId, link.github.connectionId);
  const jira = await deps.providers.jira(link.orgId, link.jira.connectionId);
  const repo = gh.repo(link.github.repository);
  const title = String(link.fields.title?.value ?? link.jira.key);
  const branch = link.branch ?? branchName(link.jira.key, title);
  const base = options.base ?? mapping.branches.base;
  try {
    await gh.ops.createBranch(repo, branch, base);
  } catch (error) {
    // GitHub answers 422 "Reference already exists" for a branch made before: use it.
    if (!(error instanceof ValidationError && /already exists/i.test(error.message))) throw error;
  }
  const pr = await gh.ops.openPullRequest(repo, {
    title: `${link.jira.key}: ${title}`,
    head: branch,
    base,
    body: `Jira: [${link.jira.key}](${link.jira.url})\n\nCloses #${link.github.number}`,
    draft: options.draft ?? true,
  });
  await jira.ops.linkPullRequest(link.jira.key, {
    url: pr.url,
    title: `${link.jira.key}: ${title}`,
    state: 'open',
  });
  const current = await saveLinkChange(deps.store, link, (l) => ({
    ...l,
    branch,
    pullRequests: [
      ...l.pullRequests.filter((p) => p.url !== pr.url),
      { repository: l.github.repository, number: pr.number, url: pr.url, state: 'open' },
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
