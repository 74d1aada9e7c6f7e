import type { Context } from 'aws-lambda';
import * as adapters from '../../shared/adapters/wiring';
import { jwtConfig } from '../../shared/config/config';
import { makeAuthenticator } from '../../shared/identity/authenticate';
import { makeJwtVerify } from '../../shared/identity/jwt-verifier';
import { LastUsedRecorder } from '../../shared/identity/last-used';
import { instrumented } from '../../shared/observability/instrumented';
import { systemClock } from '../../shared/ports/clock';
import { makeCredentialExpiry } from '../../shared/realtime/revalidate';
import type { RealtimeSessionDeps, WebSocketEvent } from '../../shared/realtime/session';
import { makeRealtimeSession } from '../../shared/realtime/session';

/**
 * The real-time API's `$connect`, `$disconnect` and `$default` routes: a connection is opened with
 * the API's own credentials (checked by the authorizer's code) and admitted by the API's gate as a
 * read of the org's event feed; its messages subscribe and ping; its close forgets it.
 */
export const makeHandler = (deps: RealtimeSessionDeps) => {
  const session = makeRealtimeSession(deps);
  return instrumented(async (event: WebSocketEvent, _context: Context) => session(event));
};

const keys = adapters.apiKeyStore();
const lastUsed = new LastUsedRecorder(keys);

export const handler = makeHandler({
  authenticate: makeAuthenticator({ keys, verifyJwt: makeJwtVerify(jwtConfig()), clock: systemClock }),
  connections: adapters.realtimeConnections(),
  gate: {
    tenants: adapters.tenantDirectory(),
    audit: adapters.auditStore(),
    usage: adapters.usageStore(),
    users: adapters.userStore(),
    access: adapters.accessDirectory(),
    facts: adapters.accessFacts(),
    sessions: adapters.sessionGate(),
  },
  clock: systemClock,
  credentialExpiry: makeCredentialExpiry({ keys }),
  recordKeyUse: (orgId, keyId, ip, at) => lastUsed.record(orgId, keyId, ip, at),
});
