import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ID_PATTERN } from '../../shared/ids';
import type { LocalEndpoint } from './http-gateway';
import type { LocalCognito } from './local-cognito';
import { readJson, replyJson, replyProblem } from './local-json';

const PasswordUser = z
  .object({
    email: z.email().max(254),
    orgId: z.string().regex(ID_PATTERN('org')),
    password: z.string().min(1).max(256),
  })
  .strict();

/**
 * `GET /_local/pool`: the local user pool's endpoint, app client and region (what `hub login` needs).
 * `POST /_local/pool/users`: the local stand-in for an operator's `admin-create-user` and
 * `admin-set-user-password` on the user pool, so a hub user can sign in with a password
 * (`hub login`) on one machine. Local only; the password is never echoed.
 */
export function poolEndpoints(
  cognito: LocalCognito,
  pool: { readonly endpoint: string; readonly clientId: string; readonly region: string },
): LocalEndpoint[] {
  return [
    // Where `hub login` signs in on one machine: the local pool's endpoint and app client.
    { method: 'GET', path: '/_local/pool', handle: async (_req, res) => replyJson(res, 200, pool) },
    {
      method: 'POST',
      path: '/_local/pool/users',
      handle: async (req: IncomingMessage, res: ServerResponse) => {
        const parsed = PasswordUser.safeParse(await readJson(req));
        if (!parsed.success) {
          replyProblem(
            res,
            400,
            'Bad Request',
            'The body must be {"email": "…", "orgId": "org_…", "password": "…"}',
          );
          return;
        }
        const answer = cognito.setPassword(parsed.data);
        if ('error' in answer) {
          replyProblem(res, 400, 'Bad Request', `${answer.error.type}: ${answer.error.message}`);
          return;
        }
        replyJson(res, 200, {
          email: parsed.data.email.toLowerCase(),
          orgId: parsed.data.orgId,
          password: 'set',
        });
      },
    },
  ];
}
