import type * as z from 'zod';
import type { ZodOpenApiOperationObject } from 'zod-openapi';
import { Problem } from './schemas';

/** What an operation's document says beyond what the topology's route does (summary, tag, id). */
export type OperationDoc = Omit<ZodOpenApiOperationObject, 'summary' | 'tags' | 'operationId'>;

export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});
export const ok = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});
export const jsonBody = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const authErrors = {
  '401': problem(
    "No valid credential was sent; (urn:integration-hub:problem:session-expired) the user signed in longer ago than the org's sessionLifetimeMinutes, or the session was idle longer than its sessionIdleMinutes; or (urn:integration-hub:problem:session-revoked) the session was revoked",
  ),
  '403': problem(
    'The credential does not allow this, its user is not an active user of the org, the org is suspended, the network is not allowed, or (urn:integration-hub:problem:mfa-required) the org requires MFA and the sign-in shows no second factor',
  ),
  '429': problem("The org's plan allows no more requests this minute; see Retry-After"),
};
