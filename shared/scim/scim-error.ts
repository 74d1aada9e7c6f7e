/** SCIM's error response schema (RFC 7644 §3.12). */
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** The `scimType` values of RFC 7644 §3.12 the hub answers with. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/**
 * A refusal of the SCIM service, answered in SCIM's error schema (not problem+json: IdPs parse
 * `status` and `scimType`). `status` is a string in the body, as the RFC's examples and Entra expect.
 */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly scimType?: ScimType,
    options?: { cause?: unknown },
  ) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScimError';
  }
}

/** The body of a SCIM error response. */
export function scimErrorBody(error: ScimError): Record<string, unknown> {
  return {
    schemas: [SCIM_ERROR_SCHEMA],
    status: String(error.status),
    ...(error.scimType ? { scimType: error.scimType } : {}),
    detail: error.message,
  };
}

/** A SCIM JSON response. */
export function scimResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): { statusCode: number; headers: Record<string, string>; body: string } {
  return {
    statusCode,
    headers: { 'content-type': SCIM_CONTENT_TYPE, ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

export const scimErrorResponse = (error: ScimError) => scimResponse(error.status, scimErrorBody(error));
