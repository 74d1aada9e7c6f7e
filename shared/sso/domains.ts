import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { AuditRecord, RequestContext } from '../audit/audit-record';
import { auditChange } from '../audit/audit-record';
import { ConflictError, DependencyUnavailableError, NotFoundError, ValidationError } from '../errors';
import type { Principal } from '../identity/principal';
import type { Clock } from '../ports/clock';
import type { Page, PageRequest } from '../ports/stores';
import { zodIssues } from '../validation';

/**
 * A DNS name an org can claim: lower-case labels of letters, digits and inner hyphens, at least
 * two of them, a top-level label that is not all digits (no IP addresses), at most 253 characters.
 */
export const DOMAIN_NAME =
  /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)$/;

/** The most domains one org may hold (verified or not): enough for a company's brands, not a land grab. */
export const MAX_DOMAINS_PER_ORG = 50;

/** Where the org publishes its proof, under the domain it claims. */
export const CHALLENGE_LABEL = '_integration-hub-challenge';
const RECORD_PREFIX = 'integration-hub-domain-verification=';

export const DomainInput = z
  .object({
    domain: z
      .string()
      .max(253)
      .transform((d) => d.trim().toLowerCase().replace(/\.$/, ''))
      .pipe(z.string().regex(DOMAIN_NAME, 'a DNS name such as example.com'))
      .meta({ description: 'The email domain the org claims (example.com)', example: 'example.com' }),
  })
  .strict()
  .meta({ id: 'DomainInput' });

export interface OrgDomain {
  readonly domain: string;
  readonly status: 'pending' | 'verified';
  /** The value the TXT record must hold (not a secret: it is published in DNS). */
  readonly token: string;
  readonly createdAt: string;
  readonly verifiedAt: string | null;
  readonly lastCheckedAt: string | null;
  readonly lastCheckError: string | null;
}

export const DomainSchema = z
  .object({
    domain: z.string(),
    status: z
      .enum(['pending', 'verified'])
      .describe('verified: sign-ins with an address in this domain go to the org (once it has SSO)'),
    verificationRecord: z
      .object({ type: z.literal('TXT'), name: z.string(), value: z.string() })
      .describe('The DNS record to publish, then call …/verify'),
    createdAt: z.iso.datetime(),
    verifiedAt: z.iso.datetime().nullable(),
    lastCheckedAt: z.iso.datetime().nullable(),
    lastCheckError: z.string().nullable().describe('Why the last check found no proof'),
  })
  .meta({ id: 'OrgDomain' });

export const DomainPage = z
  .object({ items: z.array(DomainSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'OrgDomainPage' });

export const challengeName = (domain: string) => `${CHALLENGE_LABEL}.${domain}`;
export const challengeValue = (token: string) => `${RECORD_PREFIX}${token}`;

/** A domain as the API shows it, with the record to publish. */
export const domainView = (d: OrgDomain): z.infer<typeof DomainSchema> => ({
  domain: d.domain,
  status: d.status,
  verificationRecord: { type: 'TXT', name: challengeName(d.domain), value: challengeValue(d.token) },
  createdAt: d.createdAt,
  verifiedAt: d.verifiedAt,
  lastCheckedAt: d.lastCheckedAt,
  lastCheckError: d.lastCheckError,
});

export interface DomainStore {
  /** Adds a pending domain; ConflictError when the org has it already or holds the most it may. */
  add(orgId: string, domain: OrgDomain, audit: AuditRecord, limit: number): Promise<void>;
  get(orgId: string, domain: string): Promise<OrgDomain | null>;
  list(orgId: string, page: PageRequest): Promise<Page<OrgDomain>>;
  /**
   * Marks the domain verified and claims it for the org across the platform, in one write;
   * ConflictError when another org holds the claim.
   */
  verify(orgId: string, domain: OrgDomain, audit: AuditRecord): Promise<void>;
  /** Records a check that found no proof (no audit: nothing changed). */
  recordCheck(orgId: string, domain: string, at: string, error: string): Promise<void>;
  /** Removes the domain and, when the org holds it, its platform claim. */
  remove(orgId: string, domain: string, audit: AuditRecord): Promise<void>;
  /** The org holding a verified domain: where a sign-in with an address in it goes. */
  orgOf(domain: string): Promise<string | null>;
}

/** Reads a name's TXT records, each as its strings joined (a long record comes in 255-byte pieces). */
export interface TxtResolver {
  resolveTxt(name: string): Promise<readonly string[]>;
}

/** What a resolver says when the name has no TXT record at all (not a failure to ask). */
export class NoTxtRecordError extends Error {}

const parseDomain = (raw: string): string => {
  const parsed = DomainInput.safeParse({ domain: raw });
  if (!parsed.success) throw new ValidationError('Not a domain name', zodIssues(parsed.error));
  return parsed.data.domain;
};

/** An org's domains for sign-in routing: add, list, prove by DNS, remove. */
export function makeDomains(deps: { domains: DomainStore; resolver: TxtResolver; clock: Clock }) {
  const found = async (orgId: string, domain: string): Promise<OrgDomain> => {
    const d = await deps.domains.get(orgId, parseDomain(domain));
    if (!d) throw new NotFoundError(`The org has no domain ${domain}`);
    return d;
  };
  const audit = (
    action: string,
    orgId: string,
    domain: string,
    principal: Principal,
    request: RequestContext,
    at: Date,
  ) =>
    auditChange({
      action,
      principal,
      orgId,
      targets: [{ type: 'domain', id: domain }],
      request,
      at,
    });

  return {
    async add(
      orgId: string,
      input: z.infer<typeof DomainInput>,
      principal: Principal,
      request: RequestContext,
    ) {
      const at = deps.clock.now();
      const domain: OrgDomain = {
        domain: input.domain,
        status: 'pending',
        token: randomBytes(24).toString('base64url'),
        createdAt: at.toISOString(),
        verifiedAt: null,
        lastCheckedAt: null,
        lastCheckError: null,
      };
      await deps.domains.add(
        orgId,
        domain,
        audit('sso_domain.added', orgId, domain.domain, principal, request, at),
        MAX_DOMAINS_PER_ORG,
      );
      return domainView(domain);
    },

    async list(orgId: string, page: PageRequest) {
      const out = await deps.domains.list(orgId, page);
      return { items: out.items.map(domainView), nextCursor: out.nextCursor };
    },

    async get(orgId: string, domain: string) {
      return domainView(await found(orgId, domain));
    },

    /**
     * Looks for the TXT record and, when it holds the org's value, claims the domain. A domain
     * verified before is checked again (a proof can be withdrawn), but stays verified if the
     * record is gone: removing it is an admin's act, not DNS's.
     */
    async verify(orgId: string, domain: string, principal: Principal, request: RequestContext) {
      const current = await found(orgId, domain);
      const at = deps.clock.now();
      const name = challengeName(current.domain);
      const expected = challengeValue(current.token);
      let records: readonly string[];
      try {
        records = await deps.resolver.resolveTxt(name);
      } catch (error) {
        if (!(error instanceof NoTxtRecordError))
          throw new DependencyUnavailableError(`DNS could not be asked about ${name}; try again shortly`);
        records = [];
      }
      if (!records.some((r) => r.trim() === expected)) {
        const reason =
          records.length === 0
            ? `No TXT record at ${name}`
            : `The TXT records at ${name} do not hold ${expected}`;
        if (current.status === 'verified') return domainView(current);
        await deps.domains.recordCheck(orgId, current.domain, at.toISOString(), reason);
        throw new ValidationError(`${reason}: publish it, wait for DNS to serve it, and verify again`, [
          { path: 'domain', message: reason },
        ]);
      }
      if (current.status === 'verified') return domainView(current);
      const verified: OrgDomain = {
        ...current,
        status: 'verified',
        verifiedAt: at.toISOString(),
        lastCheckedAt: at.toISOString(),
        lastCheckError: null,
      };
      try {
        await deps.domains.verify(
          orgId,
          verified,
          audit('sso_domain.verified', orgId, current.domain, principal, request, at),
        );
      } catch (error) {
        if (error instanceof ConflictError)
          await deps.domains.recordCheck(orgId, current.domain, at.toISOString(), error.message);
        throw error;
      }
      return domainView(verified);
    },

    async remove(orgId: string, domain: string, principal: Principal, request: RequestContext) {
      const current = await found(orgId, domain);
      await deps.domains.remove(
        orgId,
        current.domain,
        audit('sso_domain.removed', orgId, current.domain, principal, request, deps.clock.now()),
      );
    },
  };
}

export type Domains = ReturnType<typeof makeDomains>;
