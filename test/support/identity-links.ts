import type { AuditRecord } from '../../shared/audit/audit-record';
import type { IdentityLink, IdentityLinkStore } from '../../shared/chat/ports';

/**
 * An identity link store for unit tests that keeps the port's 1:1 rule (a platform user is one hub
 * user's; a hub user has one platform account per workspace); the DynamoDB store's own conditional
 * writes are tested against DynamoDB Local (test/integration/chat-stores.test.ts).
 */
export function identityLinksFake(initial: readonly IdentityLink[] = []) {
  const links: IdentityLink[] = [...initial];
  const audit: AuditRecord[] = [];
  const same = (a: IdentityLink, orgId: string, provider: string, platformUserId: string) =>
    a.orgId === orgId && a.provider === provider && a.platformUserId === platformUserId;
  const store: IdentityLinkStore = {
    find: async (orgId, provider, platformUserId) =>
      links.find((l) => same(l, orgId, provider, platformUserId)) ?? null,
    accountIn: async (orgId, provider, connectionId, userId) =>
      links.find(
        (l) =>
          l.orgId === orgId &&
          l.provider === provider &&
          l.connectionId === connectionId &&
          l.userId === userId,
      )?.platformUserId ?? null,
    put: async (link, record) => {
      const existing = links.find((l) => same(l, link.orgId, link.provider, link.platformUserId));
      if (existing && existing.userId !== link.userId) return 'platform_user_taken';
      const other = links.find(
        (l) =>
          l.orgId === link.orgId &&
          l.provider === link.provider &&
          l.connectionId === link.connectionId &&
          l.userId === link.userId &&
          l.platformUserId !== link.platformUserId,
      );
      if (other) return 'user_taken';
      if (existing) links.splice(links.indexOf(existing), 1);
      links.push(link);
      audit.push(record);
      return 'linked';
    },
    remove: async (orgId, provider, platformUserId, record) => {
      const existing = links.find((l) => same(l, orgId, provider, platformUserId));
      if (!existing) return null;
      links.splice(links.indexOf(existing), 1);
      audit.push(record);
      return existing;
    },
  };
  return { store, links, audit };
}
