import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../audit/audit-record';
import { auditBySystem } from '../../audit/audit-record';
import { page } from '../../chat/browser-page';
import type { InstallCookieScope } from '../../chat/install-cookie';
import { clearInstallCookie, hasInstallCookie, setInstallCookie } from '../../chat/install-cookie';
import type { InstallClaims } from '../../chat/install-state';
import { consumeInstallState, mintInstallState, readInstallState } from '../../chat/install-state';
import type { AppReply, AppRequest } from '../../chat/model';
import { DependencyUnavailableError, HubError, QuotaExceededError } from '../../errors';
import { newId } from '../../ids';
import { PLANS } from '../../tenancy/plans';
import type { Connection } from '../connection';
import { newWebhookSecret, secretContext } from '../create-connection';
import { credentialsContext, credentialsServer } from '../manage-connections';
import { credentialFields } from '../provider-catalog';
import type { ChatDeps } from '../provider-module';
import type { SlackBotCredentials } from './credentials';
import { slackCredentialKinds } from './credentials';
import { exchangeSlackCode } from './oauth';
import type { SlackAppSettings } from './settings';
import { slackApp } from './settings';

const PROVIDER = 'slack';

/** The key install states are signed with: derived from the app's client secret, never the secret itself. */
const stateKey = (app: SlackAppSettings) =>
  createHash('sha256').update(`hub-slack-install-state:${app.clientSecret}`).digest('base64url');

/** A small page for the person in the browser (shared by the chat apps' browser flows). */
export { page };

const redirectUri = (deps: ChatDeps) => `${deps.publicUrl.replace(/\/+$/, '')}/${PROVIDER}/oauth/callback`;

/** The install's browser cookie goes to the callback only, `Secure` unless the hub is plain-http loopback. */
const cookieScope = (deps: ChatDeps): InstallCookieScope => ({
  publicUrl: deps.publicUrl,
  callbackPath: new URL(redirectUri(deps)).pathname,
});

/** Starts an install for the org by the hub user: the hub URL that sends the browser to Slack's consent. */
export async function slackInstallUrl(
  deps: ChatDeps,
  by: { readonly orgId: string; readonly userId: string },
): Promise<string> {
  if (!deps.installStates) throw new DependencyUnavailableError('No install state store here');
  const app = await slackApp(deps.appSecret);
  const state = await mintInstallState(
    { store: deps.installStates, key: stateKey(app), now: deps.clock.now() },
    { provider: PROVIDER, ...by },
  );
  return `${deps.publicUrl.replace(/\/+$/, '')}/${PROVIDER}/install?state=${encodeURIComponent(state)}`;
}

/**
 * `GET /slack/install?state=…`: a valid, unexpired state goes on to Slack's consent page (it is used
 * up at the callback), and this browser gets the install's cookie, which the callback requires.
 */
export async function handleInstall(deps: ChatDeps, request: AppRequest): Promise<AppReply> {
  const app = await slackApp(deps.appSecret);
  const state = request.query.state ?? '';
  const now = deps.clock.now();
  const read = readInstallState(stateKey(app), state, PROVIDER, now);
  if (!read.ok)
    return page(
      400,
      'This install link does not work',
      'It has expired or is not one the hub made. Start the install again from the hub.',
    );
  const authorize = new URL(app.authorizeUrl);
  authorize.searchParams.set('client_id', app.clientId);
  authorize.searchParams.set('scope', app.scopes);
  authorize.searchParams.set('state', state);
  authorize.searchParams.set('redirect_uri', redirectUri(deps));
  return {
    status: 302,
    headers: {
      location: authorize.toString(),
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    },
    cookies: [
      setInstallCookie(
        stateKey(app),
        PROVIDER,
        state,
        cookieScope(deps),
        (read.claims.expiresAt.getTime() - now.getTime()) / 1000,
      ),
    ],
  };
}

/** The audit record of the install, by the hub user who started it. */
function byInstaller(
  claims: InstallClaims,
  record: Omit<Parameters<typeof auditBySystem>[0], 'actor' | 'orgId' | 'requestId'>,
  teamId: string,
): AuditRecord {
  const audit = auditBySystem({
    ...record,
    actor: 'hub-slack-install',
    orgId: claims.orgId,
    requestId: `slack-install:${teamId}`,
  });
  return { ...audit, actor: { type: 'user', id: claims.userId, name: claims.userId } };
}

/** The non-secret fields of the installation: what the connection shows and the trail records. */
function summaryOf(credentials: SlackBotCredentials, at: Date) {
  const values = credentials as unknown as Record<string, unknown>;
  const kind = slackCredentialKinds[0];
  const fields = credentialFields(kind).filter((f) => !f.secret && values[f.name] !== undefined);
  return {
    kind: credentials.kind,
    ...Object.fromEntries(fields.map((f) => [f.name, values[f.name]])),
    setAt: at.toISOString(),
  };
}

/**
 * `GET /slack/oauth/callback?code=…&state=…`: only from the browser that opened the install link
 * (its install cookie, cleared by every answer; without it nothing is read, used up or stored).
 * The state is then checked and used up, the code exchanged
 * for the bot's tokens, and the workspace bound to exactly the org that started the install (one
 * bound to another org is refused with nothing stored). The connection is created, or its
 * credentials replaced on a second install, encrypted; the install is on the org's trail.
 */
export async function handleCallback(deps: ChatDeps, request: AppRequest): Promise<AppReply> {
  if (!deps.installStates || !deps.orgs)
    throw new DependencyUnavailableError('No install state store or org store here');
  const app = await slackApp(deps.appSecret);
  const state = request.query.state ?? '';
  // The install's cookie goes whatever the answer (as Bolt's InstallProvider does).
  const cookies = [clearInstallCookie(stateKey(app), PROVIDER, state, cookieScope(deps))];
  // Checked before the state is touched: a callback from another browser uses nothing up.
  if (!hasInstallCookie(stateKey(app), PROVIDER, state, request.headers.cookie))
    return {
      ...page(
        403,
        'This install was started in another browser',
        'Slack was not connected. Finish the install in the browser that opened the install link from the hub, or start it again from the hub in this browser.',
      ),
      cookies,
    };
  return { ...(await completeInstall(deps, app, state, request)), cookies };
}

/** The callback of the browser that started the install: the state used up, the code exchanged, the workspace bound. */
async function completeInstall(
  deps: ChatDeps,
  app: SlackAppSettings,
  state: string,
  request: AppRequest,
): Promise<AppReply> {
  if (!deps.installStates || !deps.orgs)
    throw new DependencyUnavailableError('No install state store or org store here');
  const now = deps.clock.now();
  const checked = await consumeInstallState(
    { store: deps.installStates, key: stateKey(app), now },
    state,
    PROVIDER,
  );
  if (!checked.ok)
    return page(
      400,
      'This install could not be finished',
      checked.reason === 'expired'
        ? 'The install took too long. Start it again from the hub.'
        : 'This install link was already used or is not one the hub made. Start the install again from the hub.',
    );
  const claims = checked.claims;
  if (request.query.error)
    return page(200, 'Install cancelled', 'Slack was not connected. You can close this page.');
  const code = request.query.code ?? '';
  if (!/^[A-Za-z0-9._-]{1,500}$/.test(code))
    return page(
      400,
      'This install could not be finished',
      'Slack sent no code. Start the install again from the hub.',
    );

  const org = await deps.orgs.get(claims.orgId);
  if (org?.status !== 'active')
    return page(403, 'This install could not be finished', 'The organisation is not active.');

  let install: Awaited<ReturnType<typeof exchangeSlackCode>>;
  try {
    install = await exchangeSlackCode(deps.fetch, app, code, redirectUri(deps), now);
  } catch (error) {
    const detail = error instanceof HubError ? error.message : 'Slack did not answer';
    return page(502, 'Slack refused the install', detail.slice(0, 300));
  }
  const { credentials } = install;
  const teamId = credentials.teamId;
  const refuse = async () => {
    await deps.audit.append(
      byInstaller(
        claims,
        {
          action: 'chat.install_refused',
          targets: [{ type: 'slack_team', id: teamId }],
          at: now,
          outcome: 'denied',
          after: { provider: PROVIDER, teamId, reason: 'bound to another organisation' },
        },
        teamId,
      ),
    );
    return page(
      409,
      'This workspace is connected elsewhere',
      'This Slack workspace is already connected to another organisation on this hub. Remove it there first.',
    );
  };

  const bound = await deps.installations.find(PROVIDER, teamId);
  if (bound && bound.orgId !== claims.orgId) return refuse();
  const existing = bound ? await deps.connections.withCredentials(claims.orgId, bound.connectionId) : null;
  const summary = summaryOf(credentials, now);
  const apiUrl = app.apiUrl.replace(/\/+$/, '');

  if (existing) {
    // Installed again (new scopes, a new token): the same connection gets the new credentials.
    const current = existing.connection;
    const next: Connection = { ...current, credentials: summary, updatedAt: now.toISOString() };
    const encrypted = await deps.cipher.encrypt(
      JSON.stringify(credentials),
      credentialsContext(claims.orgId, current.id, credentialsServer(current)),
    );
    await deps.connections.setCredentials(
      next,
      encrypted,
      byInstaller(
        claims,
        {
          action: 'connection.credentials_set',
          targets: [{ type: 'connection', id: current.id }],
          at: now,
          after: summary,
        },
        teamId,
      ),
    );
    // A connection Slack had refused works again with the new tokens (a disabled one stays disabled).
    const refreshed = await deps.connections.get(claims.orgId, current.id);
    const route = await deps.connections.findWebhookRoute(current.id);
    if (refreshed?.status === 'needs_attention' && route?.orgId === claims.orgId) {
      const active: Connection = {
        ...refreshed,
        status: 'active',
        lastError: null,
        updatedAt: now.toISOString(),
      };
      await deps.connections.save(
        active,
        refreshed,
        { ...route, status: 'active' },
        byInstaller(
          claims,
          {
            action: 'connection.status_changed',
            targets: [{ type: 'connection', id: current.id }],
            at: now,
            before: { status: refreshed.status },
            after: { status: 'active', reason: 'installed again' },
          },
          teamId,
        ),
      );
    }
    return page(
      200,
      'Slack is connected',
      `The workspace ${credentials.teamName ?? teamId} is connected again. You can close this page.`,
    );
  }

  const connectionId = bound?.connectionId ?? newId('con');
  if (!bound && (await deps.installations.bind(PROVIDER, teamId, claims.orgId, connectionId)) === 'taken')
    return refuse();
  const connection: Connection = {
    id: connectionId,
    orgId: claims.orgId,
    provider: PROVIDER,
    name: `Slack ${credentials.teamName ?? teamId}`.slice(0, 100),
    status: 'active',
    config: { baseUrl: apiUrl },
    lastError: null,
    credentials: summary,
    previousSecretExpiresAt: null,
    webhookUrl: `/${PROVIDER}/events`,
    createdAt: now.toISOString(),
  };
  try {
    // The connection's webhook secret is unused (Slack signs with the app's signing secret) but every connection has one.
    const webhookSecret = await deps.cipher.encrypt(
      newWebhookSecret(),
      secretContext(claims.orgId, connectionId),
    );
    await deps.connections.create(
      { ...connection, credentials: null },
      webhookSecret,
      byInstaller(
        claims,
        {
          action: 'connection.created',
          targets: [{ type: 'connection', id: connectionId }],
          at: now,
          after: { provider: PROVIDER, name: connection.name, baseUrl: apiUrl, teamId },
        },
        teamId,
      ),
      { resource: 'connections', limit: PLANS[org.plan].connections },
    );
    const encrypted = await deps.cipher.encrypt(
      JSON.stringify(credentials),
      credentialsContext(claims.orgId, connectionId, credentialsServer(connection)),
    );
    await deps.connections.setCredentials(
      connection,
      encrypted,
      byInstaller(
        claims,
        {
          action: 'connection.credentials_set',
          targets: [{ type: 'connection', id: connectionId }],
          at: now,
          after: summary,
        },
        teamId,
      ),
    );
  } catch (error) {
    // Nothing half-made stays: the workspace is free again for a later try.
    if (!bound) await deps.installations.unbind(PROVIDER, teamId).catch(() => undefined);
    if (error instanceof QuotaExceededError)
      return page(
        409,
        'This install could not be finished',
        "The organisation's plan allows no more connections.",
      );
    throw error;
  }
  return page(
    200,
    'Slack is connected',
    `The workspace ${credentials.teamName ?? teamId} is connected to the hub. You can close this page.`,
  );
}
