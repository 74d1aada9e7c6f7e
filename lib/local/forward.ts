import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';

/**
 * Passes a request on to `target` as it came and its answer back as it comes: the local stand-ins
 * that sit in front of a server (the data gateway, the call counter) forward with it.
 * `body` is the request body when the caller has read it already.
 */
export function forward(target: URL, req: IncomingMessage, res: ServerResponse, body?: Buffer): void {
  const upstream = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(error.message);
  });
  if (body) upstream.end(body);
  else req.pipe(upstream);
}
