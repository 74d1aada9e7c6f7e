import { PayloadTooLargeError, ValidationError } from '../errors';

/**
 * The largest webhook body the hub takes: under Lambda's 6 MB synchronous payload (API Gateway's own
 * cap is 10 MB), with room for the request around it. A bigger event than the bus takes is claim-checked.
 */
export const MAX_WEBHOOK_BODY_BYTES = 5 * 1024 * 1024;

/** The deepest nesting of arrays and objects a webhook body may have (far above any provider's payload). */
export const MAX_WEBHOOK_JSON_DEPTH = 128;

const MiB = 1024 * 1024;

/**
 * How deep the JSON text nests its arrays and objects, read iteratively from the raw text (brackets
 * inside strings do not count), so a hostile body cannot exhaust the stack. Stops once past `limit`.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Refuses a webhook body over the documented size (413) or nesting depth (400), before anything reads it. */
export function checkWebhookBody(body: string): void {
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_WEBHOOK_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `The webhook body is ${bytes} bytes; the hub accepts at most ${MAX_WEBHOOK_BODY_BYTES} bytes (${MAX_WEBHOOK_BODY_BYTES / MiB} MiB)`,
    );
  }
  if (jsonDepth(body, MAX_WEBHOOK_JSON_DEPTH) > MAX_WEBHOOK_JSON_DEPTH) {
    throw new ValidationError(
      `The webhook body nests arrays and objects deeper than ${MAX_WEBHOOK_JSON_DEPTH} levels`,
    );
  }
}
