import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './http-gateway';

/** A JSON answer of a local-only endpoint (`/_local/*`); problem+json from 400 on. */
export function replyJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': status < 400 ? 'application/json' : 'application/problem+json' });
  res.end(JSON.stringify(body));
}

/** A problem+json answer of a local-only endpoint. */
export function replyProblem(res: ServerResponse, status: number, title: string, detail: string): void {
  replyJson(res, status, { type: 'about:blank', title, status, detail });
}

/**
 * A local endpoint's JSON body; undefined when it is not JSON (or too large), for its schema to
 * refuse. Only with `content-type: application/json`: a web page cannot send that cross-site
 * without a preflight the runtime never answers, so a page the developer visits cannot drive
 * the local-only endpoints (set a pool password, publish DNS records).
 */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) return undefined;
  try {
    return JSON.parse((await readBody(req))?.toString('utf8') || 'null');
  } catch {
    return undefined;
  }
}
