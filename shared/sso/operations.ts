import * as z from 'zod';
import { authErrors, jsonBody, ok, problem } from '../api/operation-doc';
import { ListQuery, OrgIdParam } from '../api/schemas';
import { CHALLENGE_LABEL, DomainInput, DomainPage, DomainSchema, MAX_DOMAINS_PER_ORG } from './domains';

const DomainParam = z.object({
  orgId: z.string(),
  domain: z.string().meta({ description: 'The domain, in lower case', example: 'example.com' }),
});

/** Enterprise sign-in's operations, documented beside the feature and merged into the OpenAPI document. */
export const ssoOperations = {
  listDomains: {
    requestParams: { path: OrgIdParam, query: ListQuery },
    description:
      'The email domains the org has claimed. A verified domain routes sign-ins with an address in it to the org, and an IdP of the org may only assert addresses in its verified domains.',
    responses: {
      '200': ok('A page of domains', DomainPage),
      '400': problem('Bad query or cursor'),
      ...authErrors,
    },
  },
  addDomain: {
    requestParams: { path: OrgIdParam },
    description: `Claims a domain, pending its proof: publish the answer's \`verificationRecord\` (a TXT record at \`${CHALLENGE_LABEL}.<domain>\`) and call \`…/verify\`. The record's value is not a secret. At most ${MAX_DOMAINS_PER_ORG} domains per org. Audited (\`sso_domain.added\`).`,
    requestBody: jsonBody(DomainInput),
    responses: {
      '201': ok('The domain, pending, with the record to publish', DomainSchema),
      '400': problem('The body is not a domain name'),
      ...authErrors,
      '409': problem(`The org has this domain already, or holds ${MAX_DOMAINS_PER_ORG}`),
    },
  },
  getDomain: {
    requestParams: { path: DomainParam },
    description: 'One domain, with its TXT record and the outcome of its last check.',
    responses: {
      '200': ok('The domain', DomainSchema),
      ...authErrors,
      '404': problem('The org has no such domain'),
    },
  },
  verifyDomain: {
    requestParams: { path: DomainParam },
    description:
      "Looks up the domain's TXT record. When it holds the org's value, the domain is verified and claimed for the org: no other org can verify it until this one removes it. A domain verified before stays verified. Audited (`sso_domain.verified`); a failed check is recorded on the domain (`lastCheckError`).",
    responses: {
      '200': ok('The domain, verified', DomainSchema),
      '400': problem('No TXT record holds the value yet (the reason is on the domain too)'),
      ...authErrors,
      '404': problem('The org has no such domain'),
      '409': problem('Another organisation has verified this domain'),
      '503': problem('DNS could not be asked; try again shortly'),
    },
  },
  removeDomain: {
    requestParams: { path: DomainParam },
    description:
      'Gives the domain up: sign-ins in it no longer go to the org, and its claim is released for another org to prove. Audited (`sso_domain.removed`).',
    responses: {
      '204': { description: 'Removed' },
      ...authErrors,
      '404': problem('The org has no such domain'),
    },
  },
};
