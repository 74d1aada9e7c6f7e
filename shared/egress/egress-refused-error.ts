import { ValidationError } from '../errors';

/**
 * The egress guard refused a call: a non-public address, plain http, a redirect to another host.
 * Retrying cannot help (the connection's server is the problem), so workers park the work with the
 * reason, as for any ValidationError.
 */
export class EgressRefusedError extends ValidationError {}

/** The EgressRefusedError somewhere in an error's `cause` chain (libraries wrap what fetch threw). */
export function egressRefusal(error: unknown): EgressRefusedError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth += 1) {
    if (current instanceof EgressRefusedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
