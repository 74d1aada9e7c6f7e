import { createHash, createHmac } from 'node:crypto';
import type { AuditRecord } from '../../audit/audit-record';
import { auditBySystem } from '../../audit/audit-record';
import { confirmPage, page } from '../../chat/browser-page';
import type { InstallCookieScope } from '../../chat/install-cookie';
import { clearInstallCookie, hasInstallCookie, setInstallCookie } from '../../chat/install-cookie';
import { consumeInstallState, mintInstallState, readInstallState } from '../../chat/install-state';
import { type AppReply, type AppRequest, type ChatCard, type ChatWork, headerOf } from '../../chat/model';
import { DependencyUnavailableError } from '../../errors';
import type { ChatDeps } from '../provider-module';
import { referencesOf } from './client';
import type { EntraSignIn } from './entra';
import type { ConversationReference } from './references';
import { TEAMS } from './references';
import type { TeamsBot } from './settings';
import { entraIssuer } from './settings';

/**
 * A Teams tenant is bound to an org in two steps, each proving one side's authority:
 *
 *   1. an org admin makes a one-time bind code in the hub, and someone sends the bot
 *      `connect <code>` in the tenant (the org's consent, and the conversation to answer in);
 *   2. a Microsoft admin of that tenant confirms with an Entra sign-in (authorization code +
 *      PKCE): the ID token's `tid` must be the tenant and its `wids` must hold a Global
 *      Administrator or Teams Administrator role (the tenant's consent).
 *
 * Between the two the binding is pending: nothing is bound, no reference kept, nothing posted to
 * the tenant. The pending binding is an install state (signed, single use, bound to the org and
 * the tenant), its browser bound by the install cookie; what it will bind lives only in its record.
 */

/** How long a Microsoft admin has to confirm after `connect <code>`. */
export const CONFIRM_TTL_MS = 30 * 60_000;

/** The key confirmation states are signed with: derived from the bot's client secret, never the secret itself. */
const stateKey = (bot: TeamsBot) =>
  createHash('sha256').update(`hub-teams-confirm-state:${bot.clientSecret}`).digest('base64url');
/** PKCE verifier and nonce of a state: derived with the key, so neither is stored nor guessable. */
const derived = (bot: TeamsBot, what: 'pkce' | 'nonce', state: string) =>
  createHmac('sha256', stateKey(bot)).update(`hub-teams-confirm-${what}:${state}`).digest('base64url');

const base = (deps: ChatDeps) => deps.publicUrl.replace(/\/+$/, '');
const redirectUri = (deps: ChatDeps) => `${base(deps)}/${TEAMS}/oauth/callback`;
const cookieScope = (deps: ChatDeps): InstallCookieScope => ({
  publicUrl: deps.publicUrl,
  callbackPath: new URL(redirectUri(deps)).pathname,
});
const confirmUrl = (deps: ChatDeps) => `${base(deps)}/${TEAMS}/install`;
/** The confirmation page's own cookie (its POST needs it): a cross-site POST is sent no Lax cookie. */
const PAGE_COOKIE = `${TEAMS}-confirm`;
const pageScope = (deps: ChatDeps): InstallCookieScope => ({
  publicUrl: deps.publicUrl,
  callbackPath: new URL(confirmUrl(deps)).pathname,
});
const MAX_FORM_BYTES = 4096;

/** What a pending binding will bind, and where it was asked for. */
export interface PendingBinding {
  readonly orgId: string;
  readonly connectionId: string;
  readonly tenantId: string;
  /** The conversation `connect <code>` was sent in: remembered once confirmed, and told so. */
  readonly reference: ConversationReference;
  /** The activity to answer under, when known. */
  readonly activityId?: string;
  /** Who sent `connect <code>` (their Entra object id or Teams id). */
  readonly requestedBy: string;
}

const pendingRecord = (p: PendingBinding): Record<string, string> =>
  Object.fromEntries(
    Object.entries({
      connectionId: p.connectionId,
      tenantId: p.tenantId,
      conversationId: p.reference.conversationId,
      serviceUrl: p.reference.serviceUrl,
      botId: p.reference.botId,
      conversationType: p.reference.conversationType,
      teamId: p.reference.teamId,
      channelId: p.reference.channelId,
      name: p.reference.name?.slice(0, 200),
      activityId: p.activityId,
      requestedBy: p.requestedBy.slice(0, 200),
    }).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
  );

const bindingOf = (orgId: string, r: Readonly<Record<string, string>>): PendingBinding | null => {
  const { connectionId, tenantId, conversationId, serviceUrl, botId } = r;
  if (!connectionId || !tenantId || !conversationId || !serviceUrl) return null;
  return {
    orgId,
    connectionId,
    tenantId,
    reference: {
      conversationId,
      serviceUrl,
      tenantId,
      botId: botId ?? '',
      ...(r.conversationType ? { conversationType: r.conversationType } : {}),
      ...(r.teamId ? { teamId: r.teamId } : {}),
      ...(r.channelId ? { channelId: r.channelId } : {}),
      ...(r.name ? { name: r.name } : {}),
    },
    ...(r.activityId ? { activityId: r.activityId } : {}),
    requestedBy: r.requestedBy ?? 'unknown',
  };
};

/** Why a confirmation was refused: said to the person, and on the org's trail. */
export type ConfirmationRefusal =
  | 'entra_error'
  | 'sign_in_invalid'
  | 'tenant_mismatch'
  | 'not_tenant_admin'
  | 'connection_changed'
  | 'tenant_taken';

const REFUSALS: Readonly<Record<ConfirmationRefusal, { status: number; title: string; text: string }>> = {
  entra_error: {
    status: 400,
    title: 'Microsoft did not sign you in',
    text: 'The sign-in was cancelled or refused, so the Teams tenant was not connected. Send `connect <code>` with a new bind code to try again.',
  },
  sign_in_invalid: {
    status: 502,
    title: 'The Microsoft sign-in could not be checked',
    text: 'Its answer was refused, so the Teams tenant was not connected. Send `connect <code>` with a new bind code to try again.',
  },
  tenant_mismatch: {
    status: 403,
    title: 'You signed in to another Microsoft tenant',
    text: 'The account you signed in with belongs to another tenant than the Teams tenant being connected. Sign in with an admin account of that tenant: send `connect <code>` with a new bind code.',
  },
  not_tenant_admin: {
    status: 403,
    title: 'Only a Microsoft admin of the tenant can confirm',
    text: 'Your account holds no Global Administrator or Teams Administrator role in this tenant, so the Teams tenant was not connected. Ask one of its admins to confirm (send `connect <code>` with a new bind code).',
  },
  connection_changed: {
    status: 409,
    title: 'The hub connection changed meanwhile',
    text: 'The Teams connection of the hub organisation is gone, inactive, or names another tenant now. Ask an admin of the hub organisation for a new bind code.',
  },
  tenant_taken: {
    status: 409,
    title: 'This tenant is connected elsewhere',
    text: 'This Teams tenant is already connected to another organisation on this hub. Remove it there first.',
  },
};

/**
 * Starts a pending binding: the hub URL (`/msteams/install?state=…`) a Microsoft admin of the
 * tenant opens to confirm it, with a signed, single-use state naming the org and the tenant.
 */
export async function startTenantConfirmation(
  deps: ChatDeps,
  bot: TeamsBot,
  binding: PendingBinding,
): Promise<string> {
  if (!deps.installStates) throw new DependencyUnavailableError('No install state store here');
  const state = await mintInstallState(
    { store: deps.installStates, key: stateKey(bot), now: deps.clock.now(), ttlMs: CONFIRM_TTL_MS },
    {
      provider: TEAMS,
      orgId: binding.orgId,
      userId: `${TEAMS}:${binding.requestedBy.slice(0, 200)}`,
      installationId: binding.tenantId,
      pending: pendingRecord(binding),
    },
  );
  return `${confirmUrl(deps)}?state=${encodeURIComponent(state)}`;
}

const linkDoesNotWork = () =>
  page(
    400,
    'This confirmation link does not work',
    'It has expired or is not one the hub made. Send the bot `connect <code>` with a new bind code.',
  );

/**
 * `GET /msteams/install?state=…`: a page that says what confirming does — which hub organisation
 * the tenant is being connected to — with a button; nothing happens until the admin presses it
 * (a link opened by mistake, or one sent by someone else, binds nothing). This browser gets the
 * page's cookie, which the button's POST requires. Nothing is used up here.
 */
export async function handleConfirmPage(
  deps: ChatDeps,
  bot: TeamsBot,
  request: AppRequest,
): Promise<AppReply> {
  const state = request.query.state ?? '';
  const now = deps.clock.now();
  const read = readInstallState(stateKey(bot), state, TEAMS, now);
  if (!read.ok || !read.claims.installationId) return linkDoesNotWork();
  const org = await deps.orgs?.get(read.claims.orgId);
  const reply = confirmPage(
    'Connect a Microsoft Teams tenant to the Integration Hub',
    [
      `Teams tenant: ${read.claims.installationId}`,
      // The name is the one the org gave itself: shown as such, beside what the hub knows it by.
      `Integration Hub organisation: "${org?.name ?? read.claims.orgId}" (the name it gave itself; ${org?.slug ? `slug ${org.slug}, ` : ''}id ${read.claims.orgId})`,
      'Someone sent the hub bot a bind code of this organisation in the tenant. Confirming lets the organisation post to and take commands from this tenant’s Teams conversations. Continue only if you expect it: you sign in to Microsoft again, with an account holding the Global Administrator or Teams Administrator role of the tenant.',
    ],
    {
      action: confirmUrl(deps),
      fields: { state },
      button: 'Sign in to Microsoft and confirm',
      formActions: ["'self'", new URL(entraIssuer(bot, read.claims.installationId)).origin],
    },
  );
  return {
    ...reply,
    cookies: [
      setInstallCookie(
        stateKey(bot),
        PAGE_COOKIE,
        state,
        pageScope(deps),
        (read.claims.expiresAt.getTime() - now.getTime()) / 1000,
      ),
    ],
  };
}

/**
 * `POST /msteams/install` (the page's button, `state` in the form): only from the browser the page
 * was shown in (its cookie). A valid, unexpired confirmation goes on to the tenant's Entra sign-in
 * (PKCE, state, nonce, and `prompt=login`: an admin signed in already signs in again); this
 * browser gets the callback's cookie, which the callback requires. Nothing is used up here.
 */
export async function handleConfirmStart(
  deps: ChatDeps,
  bot: TeamsBot,
  entra: EntraSignIn,
  request: AppRequest,
): Promise<AppReply> {
  const type = headerOf(request.headers, 'content-type') ?? '';
  if (
    !type.toLowerCase().startsWith('application/x-www-form-urlencoded') ||
    request.body.length > MAX_FORM_BYTES
  )
    return page(400, 'This confirmation could not be read', 'Press the button on the confirmation page.');
  const state = new URLSearchParams(request.body).get('state') ?? '';
  const now = deps.clock.now();
  if (!hasInstallCookie(stateKey(bot), PAGE_COOKIE, state, request.headers.cookie))
    return page(
      403,
      'This confirmation was not pressed on its page',
      'The Teams tenant was not connected. Open the confirmation link and press its button in the same browser.',
    );
  const read = readInstallState(stateKey(bot), state, TEAMS, now);
  if (!read.ok || !read.claims.installationId) return linkDoesNotWork();
  let location: string;
  try {
    location = await entra.authorizationUrl(
      entraIssuer(bot, read.claims.installationId),
      { clientId: bot.appId, clientSecret: bot.clientSecret },
      {
        redirectUri: redirectUri(deps),
        state,
        nonce: derived(bot, 'nonce', state),
        codeChallenge: createHash('sha256')
          .update(derived(bot, 'pkce', state))
          .digest('base64url'),
        prompt: 'login',
      },
    );
  } catch {
    // Entra's discovery could not be read (down, or refused by the egress guard): nothing used up.
    return page(
      502,
      'Microsoft sign-in is not reachable',
      'The hub could not reach Microsoft Entra to start the sign-in. Try the link again in a few minutes.',
    );
  }
  return {
    status: 302,
    headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    cookies: [
      clearInstallCookie(stateKey(bot), PAGE_COOKIE, state, pageScope(deps)),
      setInstallCookie(
        stateKey(bot),
        TEAMS,
        state,
        cookieScope(deps),
        (read.claims.expiresAt.getTime() - now.getTime()) / 1000,
      ),
    ],
  };
}

/** The Entra admin role an ID token's `wids` holds, of those that may confirm; null when none. */
export function adminRoleOf(bot: TeamsBot, claims: Record<string, unknown>): string | null {
  const wids = Array.isArray(claims.wids) ? claims.wids : [];
  const held = wids.find((w) => typeof w === 'string' && bot.adminRoleIds.has(w.toLowerCase()));
  return typeof held === 'string' ? held.toLowerCase() : null;
}

/**
 * `GET /msteams/oauth/callback`: only from the browser that opened the confirmation link (its
 * cookie, cleared by every answer; without it nothing is read or used up). The state is used up,
 * the code exchanged and the ID token checked; the tenant is bound only when the token's `tid` is
 * the tenant and its `wids` an admin role, and the connection still names it. Every outcome after
 * the state is on the org's trail; the conversation that asked is told once bound.
 */
export async function handleConfirmCallback(
  deps: ChatDeps,
  bot: TeamsBot,
  entra: EntraSignIn,
  request: AppRequest,
  /** Says so in the conversation that asked (best effort, bounded in time). */
  tell: (binding: PendingBinding, card: ChatCard) => Promise<void>,
): Promise<AppReply> {
  const state = request.query.state ?? '';
  const cookies = [clearInstallCookie(stateKey(bot), TEAMS, state, cookieScope(deps))];
  if (!hasInstallCookie(stateKey(bot), TEAMS, state, request.headers.cookie))
    return {
      ...page(
        403,
        'This confirmation was started in another browser',
        'The Teams tenant was not connected. Finish the sign-in in the browser that opened the confirmation link.',
      ),
      cookies,
    };
  return { ...(await confirm(deps, bot, entra, state, request, tell)), cookies };
}

async function confirm(
  deps: ChatDeps,
  bot: TeamsBot,
  entra: EntraSignIn,
  state: string,
  request: AppRequest,
  tell: (binding: PendingBinding, card: ChatCard) => Promise<void>,
): Promise<AppReply> {
  if (!deps.installStates) throw new DependencyUnavailableError('No install state store here');
  const now = deps.clock.now();
  const checked = await consumeInstallState(
    { store: deps.installStates, key: stateKey(bot), now },
    state,
    TEAMS,
  );
  const binding = checked.ok ? bindingOf(checked.claims.orgId, checked.claims.pending ?? {}) : null;
  if (!checked.ok || !binding)
    return page(
      400,
      'This confirmation could not be finished',
      checked.ok || checked.reason !== 'expired'
        ? 'This confirmation link was already used or is not one the hub made. Send the bot `connect <code>` with a new bind code.'
        : 'The confirmation took too long. Send the bot `connect <code>` with a new bind code.',
    );
  const audit = (record: Omit<Parameters<typeof auditBySystem>[0], 'actor' | 'orgId' | 'requestId' | 'at'>) =>
    deps.audit.append(
      auditBySystem({
        ...record,
        actor: 'hub-teams-confirm',
        orgId: binding.orgId,
        requestId: `teams-confirm:${binding.tenantId}`,
        at: now,
      }) satisfies AuditRecord,
    );
  const refuse = async (reason: ConfirmationRefusal, detail: Record<string, unknown> = {}) => {
    await audit({
      action: 'chat.installation_refused',
      targets: [{ type: 'connection', id: binding.connectionId }],
      outcome: 'denied',
      after: { provider: TEAMS, installationId: binding.tenantId, reason, ...detail },
    });
    const r = REFUSALS[reason];
    return page(r.status, r.title, r.text);
  };

  if (request.query.error) return refuse('entra_error', { error: request.query.error.slice(0, 100) });
  const callbackUrl = new URL(redirectUri(deps));
  for (const [k, v] of Object.entries(request.query)) callbackUrl.searchParams.set(k, v);
  let claims: Record<string, unknown>;
  try {
    claims = await entra.exchange(
      entraIssuer(bot, binding.tenantId),
      { clientId: bot.appId, clientSecret: bot.clientSecret },
      callbackUrl,
      { state, nonce: derived(bot, 'nonce', state), codeVerifier: derived(bot, 'pkce', state) },
    );
  } catch (error) {
    return refuse('sign_in_invalid', { detail: String((error as Error).message).slice(0, 200) });
  }
  const tid = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : '';
  const by = typeof claims.oid === 'string' ? claims.oid : String(claims.sub ?? '');
  if (tid !== binding.tenantId) return refuse('tenant_mismatch', { signedInTenant: tid.slice(0, 100) });
  const role = adminRoleOf(bot, claims);
  if (!role) return refuse('not_tenant_admin', { confirmedBy: by.slice(0, 100) });

  const connection = await deps.connections.get(binding.orgId, binding.connectionId);
  const summary = connection?.credentials as { kind?: string; tenantId?: string } | null | undefined;
  if (
    connection?.provider !== TEAMS ||
    connection.status !== 'active' ||
    summary?.kind !== 'teams_bot' ||
    summary.tenantId?.toLowerCase() !== binding.tenantId
  )
    return refuse('connection_changed');
  if (
    (await deps.installations.bind(TEAMS, binding.tenantId, binding.orgId, binding.connectionId)) === 'taken'
  )
    return refuse('tenant_taken');
  await referencesOf(deps).remember(binding.orgId, binding.reference, now);
  await audit({
    action: 'chat.installation_bound',
    targets: [{ type: 'connection', id: binding.connectionId }],
    after: {
      provider: TEAMS,
      installationId: binding.tenantId,
      via: 'bind_code+entra_admin',
      requestedBy: binding.requestedBy,
      confirmedBy: by.slice(0, 100),
      adminRole: role,
    },
  });
  await tell(binding, {
    title: 'This Teams tenant is now connected to its hub organisation',
    text: 'A Microsoft admin of the tenant confirmed. Add me to the teams and chats that should get the hub’s messages.',
    tone: 'good',
    fallback: 'This Teams tenant is now connected to its hub organisation.',
  });
  const work: ChatWork = {
    id: `teams-confirm:${binding.tenantId}:${now.getTime()}`,
    orgId: binding.orgId,
    connectionId: binding.connectionId,
    provider: TEAMS,
    installationId: binding.tenantId,
    actor: { platformUserId: binding.requestedBy },
    conversation: binding.reference.conversationId,
    receivedAt: now.toISOString(),
    reply: {
      provider: TEAMS,
      data: {
        serviceUrl: binding.reference.serviceUrl,
        conversationId: binding.reference.conversationId,
        tenantId: binding.tenantId,
        ...(binding.activityId ? { activityId: binding.activityId } : {}),
        ...(binding.reference.botId ? { botId: binding.reference.botId } : {}),
      },
    },
    request: {
      kind: 'installed',
      ...(binding.reference.name ? { conversationName: binding.reference.name } : {}),
    },
  };
  return {
    ...page(
      200,
      'The Teams tenant is connected',
      'You confirmed as a Microsoft admin of the tenant: it is now connected to its hub organisation. You can close this page.',
    ),
    work: [work],
  };
}
