import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { listenOnLoopback } from '../../../lib/local/free-port';
import { SlackRequests } from './requests';

type Json = Record<string, unknown>;

/** The app the fake knows: the deployment's client id/secret and signing secret (`slackLocalDefaults`). */
export const FAKE_SLACK_APP = {
  clientId: 'fake-slack-client-id',
  clientSecret: 'fake-slack-client-secret',
  signingSecret: 'fake-slack-signing-secret',
  appId: 'A0FAKEAPP01',
} as const;

/** The default workspace and its people: one with a confirmed email, one whose email is not confirmed. */
export const FAKE_SLACK_TEAM = { id: 'T0FAKETEAM1', name: 'Acme', domain: 'acme' } as const;
export const FAKE_SLACK_BOT = { userId: 'U0FAKEBOT01', botId: 'B0FAKEBOT01' } as const;
export const FAKE_SLACK_CHANNEL = 'C0GENERAL01';
export const SLACK_HUMAN = {
  id: 'U0HUMAN001',
  name: 'ada',
  realName: 'Ada Lovelace',
  email: 'ada@example.test',
} as const;
export const SLACK_UNCONFIRMED = {
  id: 'U0UNCONF01',
  name: 'eve',
  realName: 'Eve Unconfirmed',
  email: 'eve@example.test',
} as const;

export interface FakeSlackMessage {
  ts: string;
  text: string;
  blocks: unknown[];
  threadTs?: string;
  edits: number;
}

/** One Web API call as the fake saw it: the method, its parameters (token left out), and its answer. */
export interface FakeSlackCall {
  readonly method: string;
  readonly httpMethod: string;
  readonly params: Readonly<Record<string, string>>;
  readonly authorization: 'bearer' | 'param' | 'none';
  readonly status: number;
  readonly body: Json;
}

export interface FakeSlack {
  readonly url: string;
  /** What the hub's app settings say for this fake (`clientId` … `hooksUrl`). */
  readonly appSettings: Record<string, string>;
  readonly calls: FakeSlackCall[];
  /** Messages per channel, in order, with edits and threads. */
  readonly channels: Map<string, FakeSlackMessage[]>;
  /** What was posted to response_urls, by URL. */
  readonly responses: Map<string, Json[]>;
  /** Token rotation: how many refreshes, and the live tokens. */
  readonly oauth: { refreshes: number; codeExchanges: number; liveRefreshTokens: Set<string> };
  /** Builds the signed requests Slack sends an app. */
  readonly requests: SlackRequests;
  /** The next install (authorize) is into this workspace instead of the default one. */
  installInto(team: { id: string; name: string }): void;
  /** At most `perMinute` calls of `method` a minute (a 429 with `Retry-After` past it); null clears. */
  setRateLimit(method: string, perMinute: number | null, retryAfterSeconds?: number): void;
  /** The next call of `method` answers 429 with this Retry-After. */
  rateLimitNext(method: string, retryAfterSeconds: number): void;
  /** Revokes every token of the workspace (an uninstall). */
  revokeAll(): void;
  /** Moves the fake's clock on (tokens expire by it). */
  advance(ms: number): void;
  stop(): Promise<void>;
}

const rid = (prefix: string, n = 10) =>
  `${prefix}${randomBytes(n).toString('hex').toUpperCase().slice(0, n)}`;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A loopback stand-in for Slack: the OAuth v2 consent (auto-approving), `oauth.v2.access` with
 * code and rotating refresh-token grants (12-hour tokens), and the Web API methods the hub calls
 * (`auth.test`, `chat.postMessage`, `chat.update`, `users.info`, `users.lookupByEmail`,
 * `conversations.open`), stateful (messages per channel with `ts`, edits, threads), with Slack's
 * rate limiting (429 + `Retry-After`) and `response_url`s. Answers have the shapes of Slack's
 * published OpenAPI description (checked by test/contract/slack-web-api.test.ts).
 */
export async function startFakeSlack(
  options: { port?: number; tokenTtlSeconds?: number } = {},
): Promise<FakeSlack> {
  const ttl = options.tokenTtlSeconds ?? 43_200;
  let offset = 0;
  const now = () => Date.now() + offset;
  const calls: FakeSlackCall[] = [];
  const channels = new Map<string, FakeSlackMessage[]>([[FAKE_SLACK_CHANNEL, []]]);
  const members = new Set([FAKE_SLACK_CHANNEL]);
  const responses = new Map<string, Json[]>();
  const responseUses = new Map<string, number>();
  const oauth = { refreshes: 0, codeExchanges: 0, liveRefreshTokens: new Set<string>() };
  const codes = new Map<string, { team: { id: string; name: string }; redirectUri: string }>();
  const accessTokens = new Map<
    string,
    { team: { id: string; name: string }; expiresAt: number; revoked: boolean }
  >();
  const refreshTeams = new Map<string, { id: string; name: string }>();
  const limits = new Map<string, { perMinute: number; retryAfter: number; hits: number[] }>();
  const nextLimited = new Map<string, number>();
  const users = new Map<
    string,
    { id: string; name: string; realName: string; email: string; confirmed: boolean }
  >([
    [SLACK_HUMAN.id, { ...SLACK_HUMAN, confirmed: true }],
    [SLACK_UNCONFIRMED.id, { ...SLACK_UNCONFIRMED, confirmed: false }],
  ]);
  let installTeam: { id: string; name: string } | null = null;
  let lastTs = 0;
  let url = '';

  const newTs = () => {
    // Unique and increasing, in Slack's `1234567890.123456` form.
    const micros = Math.max(now() * 1000, lastTs + 1);
    lastTs = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  };
  const userObject = (u: {
    id: string;
    name: string;
    realName: string;
    email: string;
    confirmed: boolean;
  }) => ({
    id: u.id,
    team_id: FAKE_SLACK_TEAM.id,
    name: u.name,
    deleted: false,
    real_name: u.realName,
    tz: 'Europe/London',
    tz_label: 'Greenwich Mean Time',
    tz_offset: 0,
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: false,
    is_app_user: false,
    updated: 1_700_000_000,
    is_email_confirmed: u.confirmed,
    profile: {
      real_name: u.realName,
      real_name_normalized: u.realName,
      display_name: u.name,
      display_name_normalized: u.name,
      avatar_hash: 'g0000000000a',
      title: '',
      phone: '',
      skype: '',
      status_text: '',
      status_emoji: '',
      fields: null,
      email: u.email,
      team: FAKE_SLACK_TEAM.id,
    },
  });
  const issueTokens = (team: { id: string; name: string }) => {
    const accessToken = `xoxe.xoxb-1-${rid('', 24)}`;
    const refreshToken = `xoxe-1-${rid('', 24)}`;
    accessTokens.set(accessToken, { team, expiresAt: now() + ttl * 1000, revoked: false });
    oauth.liveRefreshTokens.add(refreshToken);
    refreshTeams.set(refreshToken, team);
    return {
      ok: true,
      app_id: FAKE_SLACK_APP.appId,
      authed_user: { id: SLACK_HUMAN.id },
      scope: 'chat:write,commands,im:write,users:read,users:read.email,channels:read',
      token_type: 'bot',
      access_token: accessToken,
      bot_user_id: FAKE_SLACK_BOT.userId,
      refresh_token: refreshToken,
      expires_in: ttl,
      team,
      enterprise: null,
      is_enterprise_install: false,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = req.method === 'POST' ? await readBody(req) : '';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };

    if (req.method === 'GET' && u.pathname === '/oauth/v2/authorize') {
      // The person approves at once: back to the app with a code and the state as given.
      const redirect = u.searchParams.get('redirect_uri') ?? '';
      if (u.searchParams.get('client_id') !== FAKE_SLACK_APP.clientId || !redirect)
        return send(400, { ok: false, error: 'invalid_client_id' });
      const code = `${Date.now()}.${rid('', 20)}`;
      codes.set(code, {
        team: installTeam ?? { id: FAKE_SLACK_TEAM.id, name: FAKE_SLACK_TEAM.name },
        redirectUri: redirect,
      });
      installTeam = null;
      const back = new URL(redirect);
      back.searchParams.set('code', code);
      back.searchParams.set('state', u.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }

    if (req.method === 'POST' && u.pathname.startsWith('/hooks/')) {
      const key = `${url}${u.pathname}`;
      const uses = responseUses.get(key);
      // A response_url takes five answers (within 30 minutes).
      if (uses === undefined || uses >= 5) return send(404, { ok: false, error: 'expired_url' });
      responseUses.set(key, uses + 1);
      const list = responses.get(key) ?? [];
      list.push(JSON.parse(raw || '{}'));
      responses.set(key, list);
      return send(200, { ok: true });
    }

    const match = /^\/api\/([a-zA-Z.0-9]+)$/.exec(u.pathname);
    if (!match) return send(404, { ok: false, error: 'unknown_method' });
    const method = match[1] ?? '';
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
    const params: Record<string, string> = Object.fromEntries(u.searchParams);
    if (type === 'application/json' && raw) {
      for (const [k, v] of Object.entries(JSON.parse(raw) as Json))
        params[k] = typeof v === 'string' ? v : JSON.stringify(v);
    } else if (raw) Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? params.token;
    const { token: _t, client_secret: _s, refresh_token: _r, code: _c, ...logged } = params;
    const answer = (status: number, body: Json, headers: Record<string, string> = {}) => {
      calls.push({
        method,
        httpMethod: req.method ?? '',
        params: {
          ...logged,
          ...(params.code ? { code: '…' } : {}),
          ...(params.refresh_token ? { refresh_token: '…' } : {}),
          ...(params.client_secret ? { client_secret: '…' } : {}),
        },
        authorization: bearer ? 'bearer' : params.token ? 'param' : 'none',
        status,
        body,
      });
      send(status, body, headers);
    };

    // Rate limits first, as Slack applies them per method (and per workspace).
    const forced = nextLimited.get(method);
    if (forced !== undefined) {
      nextLimited.delete(method);
      return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(forced) });
    }
    const limit = limits.get(method);
    if (limit) {
      limit.hits = limit.hits.filter((t) => t > now() - 60_000);
      if (limit.hits.length >= limit.perMinute)
        return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.retryAfter) });
      limit.hits.push(now());
    }

    if (method === 'oauth.v2.access') {
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
      if (
        (params.client_id ?? basicId) !== FAKE_SLACK_APP.clientId ||
        (params.client_secret ?? basicSecret) !== FAKE_SLACK_APP.clientSecret
      )
        return answer(200, { ok: false, error: 'invalid_client_id' });
      if (params.grant_type === 'refresh_token') {
        const refresh = params.refresh_token ?? '';
        const team = refreshTeams.get(refresh);
        // Rotation: a refresh token works once.
        if (!team || !oauth.liveRefreshTokens.has(refresh))
          return answer(200, { ok: false, error: 'invalid_refresh_token' });
        oauth.liveRefreshTokens.delete(refresh);
        oauth.refreshes += 1;
        return answer(200, issueTokens(team));
      }
      const granted = codes.get(params.code ?? '');
      if (!granted) return answer(200, { ok: false, error: 'invalid_code' });
      codes.delete(params.code ?? '');
      if (params.redirect_uri !== undefined && params.redirect_uri !== granted.redirectUri)
        return answer(200, { ok: false, error: 'bad_redirect_uri' });
      oauth.codeExchanges += 1;
      return answer(200, issueTokens(granted.team));
    }

    const held = token ? accessTokens.get(token) : undefined;
    if (!token) return answer(200, { ok: false, error: 'not_authed' });
    if (!held) return answer(200, { ok: false, error: 'invalid_auth' });
    if (held.revoked) return answer(200, { ok: false, error: 'token_revoked' });
    if (held.expiresAt <= now()) return answer(200, { ok: false, error: 'token_expired' });

    switch (method) {
      case 'auth.test':
        return answer(200, {
          ok: true,
          url: `https://${FAKE_SLACK_TEAM.domain}.slack.com/`,
          team: held.team.name,
          user: 'hub',
          team_id: held.team.id,
          user_id: FAKE_SLACK_BOT.userId,
          bot_id: FAKE_SLACK_BOT.botId,
          is_enterprise_install: false,
        });
      case 'chat.postMessage': {
        const channel = params.channel ?? '';
        const list = channels.get(channel);
        if (!list) return answer(200, { ok: false, error: 'channel_not_found' });
        if (!members.has(channel)) return answer(200, { ok: false, error: 'not_in_channel' });
        if (!params.text && !params.blocks) return answer(200, { ok: false, error: 'no_text' });
        const blocks = params.blocks ? (JSON.parse(params.blocks) as unknown[]) : [];
        if (blocks.length > 50) return answer(200, { ok: false, error: 'invalid_blocks' });
        const threadTs = params.thread_ts;
        if (threadTs && !list.some((m) => m.ts === threadTs))
          return answer(200, { ok: false, error: 'thread_not_found' });
        const message: FakeSlackMessage = {
          ts: newTs(),
          text: params.text ?? '',
          blocks,
          edits: 0,
          ...(threadTs ? { threadTs } : {}),
        };
        list.push(message);
        return answer(200, {
          ok: true,
          channel,
          ts: message.ts,
          message: {
            type: 'message',
            text: message.text,
            ts: message.ts,
            user: FAKE_SLACK_BOT.userId,
            bot_id: FAKE_SLACK_BOT.botId,
            blocks,
            ...(threadTs ? { thread_ts: threadTs } : {}),
          },
        });
      }
      case 'chat.update': {
        const list = channels.get(params.channel ?? '');
        if (!list) return answer(200, { ok: false, error: 'channel_not_found' });
        const message = list.find((m) => m.ts === params.ts);
        if (!message) return answer(200, { ok: false, error: 'message_not_found' });
        message.text = params.text ?? message.text;
        message.blocks = params.blocks ? (JSON.parse(params.blocks) as unknown[]) : message.blocks;
        message.edits += 1;
        return answer(200, {
          ok: true,
          channel: params.channel,
          ts: message.ts,
          text: message.text,
          message: { text: message.text },
        });
      }
      case 'users.info': {
        const user = users.get(params.user ?? '');
        if (!user) return answer(200, { ok: false, error: 'user_not_found' });
        return answer(200, { ok: true, user: userObject(user) });
      }
      case 'users.lookupByEmail': {
        const user = [...users.values()].find((x) => x.email === (params.email ?? '').toLowerCase());
        // Slack finds only people whose address is confirmed.
        if (!user?.confirmed) return answer(200, { ok: false, error: 'users_not_found' });
        return answer(200, { ok: true, user: userObject(user) });
      }
      case 'conversations.open': {
        const user = users.get(params.users ?? '');
        if (!user) return answer(200, { ok: false, error: 'user_not_found' });
        const id = `D0${user.id.slice(1).padEnd(9, '0')}`;
        if (!channels.has(id)) channels.set(id, []);
        members.add(id);
        return answer(200, { ok: true, channel: { id } });
      }
      default:
        return answer(200, { ok: false, error: 'unknown_method' });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const listening = await listenOnLoopback(server, options.port ?? 0);
  url = listening.endpoint;
  let responseCount = 0;
  const requests = new SlackRequests(FAKE_SLACK_APP.signingSecret, FAKE_SLACK_TEAM, () => {
    responseCount += 1;
    const responseUrl = `${url}/hooks/commands/${FAKE_SLACK_TEAM.id}/${responseCount}/${rid('', 16)}`;
    responseUses.set(responseUrl, 0);
    return responseUrl;
  });

  return {
    url,
    appSettings: {
      clientId: FAKE_SLACK_APP.clientId,
      clientSecret: FAKE_SLACK_APP.clientSecret,
      signingSecret: FAKE_SLACK_APP.signingSecret,
      authorizeUrl: `${url}/oauth/v2/authorize`,
      apiUrl: `${url}/api`,
      hooksUrl: `${url}/hooks/`,
    },
    calls,
    channels,
    responses,
    oauth,
    requests,
    installInto: (team) => {
      installTeam = team;
    },
    setRateLimit: (method, perMinute, retryAfterSeconds = 30) => {
      if (perMinute === null) limits.delete(method);
      else limits.set(method, { perMinute, retryAfter: retryAfterSeconds, hits: [] });
    },
    rateLimitNext: (method, seconds) => {
      nextLimited.set(method, seconds);
    },
    revokeAll: () => {
      for (const held of accessTokens.values()) held.revoked = true;
      oauth.liveRefreshTokens.clear();
    },
    advance: (ms) => {
      offset += ms;
    },
    stop: () => listening.stop(),
  };
}
