import type { z } from 'zod';
import type { FieldIssue } from './errors';

/** Zod's issues in the problem document's `errors` form. */
export function zodIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
}
