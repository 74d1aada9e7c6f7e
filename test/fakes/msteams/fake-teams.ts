import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { listenOnLoopback } from '../../../lib/local/free-port';
import type { FakeIssuer, TokenOptions } from './issuer';
import { makeFakeIssuer } from './issuer';

// biome-ignore lint/suspicious/noExplicitAny: the fake reads and writes the Bot Framework's loosely typed JSON
type Json = Record<string, any>;

/** A person of the fake tenant, as the connector describes a member (TeamsChannelAccount). */
export interface FakeTeamsUser {
  readonly id: string;
  readonly aadObjectId: string;
  readonly name: string;
  readonly email: string;
  readonly userPrincipalName: string;
  readonly tenantId: string;
}

export interface FakeConversation {
  readonly id: string;
  readonly tenantId: string;
  readonly conversationType: 'channel' | 'groupChat' | 'personal';
  readonly members: Set<string>;
  readonly activities: Map<string, Json>;
  readonly teamId?: string;
  readonly name?: string;
}

/** One request the fake answered, with what it answered (the contract test checks both). */
export interface FakeTeamsCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body: unknown;
  readonly answer: unknown;
}

export const TEAMS_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const TEAMS_APP = { appId: 'fake-teams-app-id', clientSecret: 'fake-teams-client-secret' };
export const TEAMS_BOT_ID = `28:${TEAMS_APP.appId}`;
export const TEAMS_PERSON: FakeTeamsUser = {
  id: '29:1a2b3c-person',
  aadObjectId: '6f1c2d3e-0000-4000-8000-00000000a001',
  name: 'Tia Teams',
  email: 'tia@contoso.example',
  userPrincipalName: 'tia@contoso.example',
  tenantId: TEAMS_TENANT,
};
export const TEAMS_GUEST: FakeTeamsUser = {
  id: '29:9z8y7x-guest',
  aadObjectId: '6f1c2d3e-0000-4000-8000-00000000b002',
  name: 'Gus Guest',
  email: 'gus@elsewhere.example',
  userPrincipalName: 'gus_elsewhere.example#EXT#@contoso.example',
  tenantId: 'b5e2c1d0-0000-4000-8000-0000000000ff',
};

export interface FakeTeams {
  readonly url: string;
  /** The service URL activities carry (`{url}/amer/`, as Teams' regional ones). */
  readonly serviceUrl: string;
  /** The app settings that point the hub at this fake. */
  readonly settings: Readonly<Record<string, string>>;
  readonly issuer: FakeIssuer;
  readonly calls: FakeTeamsCall[];
  readonly conversations: Map<string, FakeConversation>;
  readonly workflowPosts: { readonly id: string; readonly body: Json }[];
  /** Bot tokens the AAD endpoint issued. */
  tokensIssued: number;
  /** A channel of a team in the tenant, with the given people as members. */
  addChannel(
    id: string,
    options?: { tenantId?: string; members?: readonly FakeTeamsUser[]; name?: string },
  ): FakeConversation;
  /** A Workflows webhook's URL (it answers 202, as Teams Workflows do). */
  workflowUrl(id: string): string;
  /** The next `count` connector calls are answered 429 with `Retry-After`. */
  rateLimitNext(count: number, retryAfterSeconds: number): void;
  /** Refuse every bot token issued so far (a revoked app). */
  revokeTokens(): void;
  /** The activity and the headers Teams sends a bot for it, signed (or as told to get the token wrong). */
  signed(
    activity: Json,
    token?: Partial<TokenOptions>,
  ): Promise<{ headers: Record<string, string>; body: string }>;
  /** Posts a signed activity to the hub's messaging endpoint, as Teams does. */
  send(endpoint: string, activity: Json, token?: Partial<TokenOptions>): Promise<Response>;
  readonly activities: ReturnType<typeof activityBuilders>;
  stop(): Promise<void>;
}

/** Activities as Teams sends them (shapes from the Bot Framework activity spec and Teams' docs). */
function activityBuilders(serviceUrl: () => string) {
  let n = 0;
  const base = (conversation: { id: string; tenantId?: string; type?: string }, from: FakeTeamsUser) => {
    n += 1;
    const tenantId = conversation.tenantId ?? TEAMS_TENANT;
    return {
      id: `f:${Date.now()}${n}`,
      timestamp: new Date().toISOString(),
      channelId: 'msteams',
      serviceUrl: serviceUrl(),
      from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
      recipient: { id: TEAMS_BOT_ID, name: 'Hub' },
      conversation: {
        id: conversation.id,
        conversationType: conversation.type ?? 'channel',
        tenantId,
        isGroup: (conversation.type ?? 'channel') !== 'personal',
      },
      channelData: {
        tenant: { id: tenantId },
        ...((conversation.type ?? 'channel') === 'channel'
          ? {
              team: { id: '19:team@thread.tacv2', name: 'Web' },
              channel: { id: conversation.id, name: 'General' },
            }
          : {}),
      },
      locale: 'en-US',
    };
  };
  return {
    /** The app installed in a team, chat or personal scope. */
    installationUpdate: (
      conversation: { id: string; tenantId?: string; type?: string },
      action: 'add' | 'remove' = 'add',
      from = TEAMS_PERSON,
    ) => ({
      ...base(conversation, from),
      type: 'installationUpdate',
      action,
    }),
    /** The bot added to a conversation (`membersAdded` names it). */
    botAdded: (conversation: { id: string; tenantId?: string; type?: string }, from = TEAMS_PERSON) => ({
      ...base(conversation, from),
      type: 'conversationUpdate',
      membersAdded: [{ id: TEAMS_BOT_ID }],
    }),
    /** A message to the bot; in a channel it mentions the bot, as Teams requires there. */
    message: (
      conversation: { id: string; tenantId?: string; type?: string },
      text: string,
      from = TEAMS_PERSON,
    ) => {
      const inChannel = (conversation.type ?? 'channel') === 'channel';
      return {
        ...base(conversation, from),
        type: 'message',
        textFormat: 'plain',
        text: inChannel ? `<at>Hub</at> ${text}` : text,
        entities: inChannel
          ? [{ type: 'mention', text: '<at>Hub</at>', mentioned: { id: TEAMS_BOT_ID, name: 'Hub' } }]
          : [],
      };
    },
    /** A click on an `Action.Execute` button of a card the bot posted (`replyToId` the card's activity). */
    execute: (
      conversation: { id: string; tenantId?: string; type?: string },
      verb: string,
      replyToId: string,
      from = TEAMS_PERSON,
    ) => ({
      ...base(conversation, from),
      type: 'invoke',
      name: 'adaptiveCard/action',
      replyToId,
      value: { action: { type: 'Action.Execute', verb, data: { action: verb } }, trigger: 'manual' },
    }),
    /** A search-based message extension's query. */
    composeQuery: (
      conversation: { id: string; tenantId?: string; type?: string },
      query: string,
      from = TEAMS_PERSON,
    ) => ({
      ...base(conversation, from),
      type: 'invoke',
      name: 'composeExtension/query',
      value: {
        commandId: 'hub',
        parameters: [{ name: 'command', value: query }],
        queryOptions: { skip: 0, count: 25 },
      },
    }),
  };
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/**
 * A loopback stand-in for what a Teams bot talks to: the Bot Framework's OpenID metadata and keys
 * (a local issuer), the AAD token endpoint (client credentials for the Bot Connector scope), the
 * Bot Connector API v3 under a regional service URL (conversations created, activities sent,
 * updated and replied to, members read — shapes checked against the Connector's Swagger in
 * test/contract), Workflows webhooks, and 429s with `Retry-After`. It signs the activities it
 * sends the hub as the channel does.
 */
export async function startFakeTeams(options: { port?: number } = {}): Promise<FakeTeams> {
  const issuer = await makeFakeIssuer(TEAMS_APP.appId);
  const users = [TEAMS_PERSON, TEAMS_GUEST];
  const tokens = new Map<string, number>();
  const calls: FakeTeamsCall[] = [];
  const conversations = new Map<string, FakeConversation>();
  const workflowPosts: { id: string; body: Json }[] = [];
  let limited = { count: 0, retryAfter: 1 };
  let url = '';
  let ids = 0;

  const answer = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...headers,
    });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const error = (code: string, message: string) => ({ error: { code, message } });
  const memberOf = (idOrAad: string) => users.find((u) => u.id === idOrAad || u.aadObjectId === idOrAad);

  const connector = (
    method: string,
    path: string,
    body: Json,
  ): { status: number; answer?: unknown; headers?: Record<string, string> } => {
    if (limited.count > 0) {
      limited.count -= 1;
      return {
        status: 429,
        answer: error('TooManyRequests', 'Too many requests'),
        headers: { 'retry-after': String(limited.retryAfter) },
      };
    }
    if (method === 'POST' && path === '/v3/conversations') {
      const member = memberOf(String(body.members?.[0]?.id ?? ''));
      if (!body.bot?.id || !member) return { status: 400, answer: error('BadArgument', 'Unknown member') };
      if (member.tenantId !== (body.tenantId ?? body.channelData?.tenant?.id))
        return { status: 403, answer: error('Forbidden', 'The member is in another tenant') };
      const id = `a:1${member.aadObjectId}`;
      if (!conversations.has(id))
        conversations.set(id, {
          id,
          tenantId: member.tenantId,
          conversationType: 'personal',
          members: new Set([member.id]),
          activities: new Map(),
        });
      return { status: 201, answer: { id } };
    }
    const m = /^\/v3\/conversations\/([^/]+)\/(activities|members)(?:\/([^/]+))?$/.exec(path);
    if (!m) return { status: 404, answer: error('NotFound', 'No such route') };
    const conversation = conversations.get(decodeURIComponent(m[1] ?? ''));
    if (!conversation)
      return { status: 404, answer: error('ConversationNotFound', 'Conversation not found.') };
    const sub = m[3] ? decodeURIComponent(m[3]) : undefined;
    if (m[2] === 'members') {
      const member = sub ? memberOf(sub) : undefined;
      if (method !== 'GET' || !member || !conversation.members.has(member.id))
        return {
          status: 404,
          answer: error('MemberNotFoundInConversation', 'The member is not in the conversation'),
        };
      return {
        status: 200,
        answer: {
          ...member,
          givenName: member.name.split(' ')[0],
          surname: member.name.split(' ')[1],
          userRole: 'user',
        },
      };
    }
    if (body.type !== 'message')
      return { status: 400, answer: error('BadArgument', 'Not a message activity') };
    if (method === 'PUT') {
      if (!sub || !conversation.activities.has(sub))
        return { status: 404, answer: error('ActivityNotFound', 'Unknown activity') };
      conversation.activities.set(sub, { ...body, id: sub });
      return { status: 200, answer: { id: sub } };
    }
    if (method === 'POST') {
      if (sub && !conversation.activities.has(sub) && !sub.startsWith('f:'))
        return { status: 404, answer: error('ActivityNotFound', 'Unknown activity') };
      ids += 1;
      const id = `1${String(Date.now()).slice(-9)}${ids}`;
      conversation.activities.set(id, { ...body, id, ...(sub ? { replyToId: sub } : {}) });
      return { status: 201, answer: { id } };
    }
    return { status: 405, answer: error('MethodNotAllowed', method) };
  };

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const method = req.method ?? 'GET';
      let body: Json = {};
      try {
        body = raw && req.headers['content-type']?.includes('json') ? (JSON.parse(raw) as Json) : {};
      } catch {
        return answer(res, 400, error('BadSyntax', 'Not JSON'));
      }
      const record = (status: number, out?: unknown) =>
        calls.push({ method, path, status, body, answer: out });
      if (method === 'GET' && path === '/v1/.well-known/openidconfiguration')
        return answer(res, 200, issuer.metadata(url));
      if (method === 'GET' && path === '/v1/.well-known/keys') {
        issuer.keyFetches += 1;
        return answer(res, 200, issuer.jwks());
      }
      if (method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) {
        const form = new URLSearchParams(raw);
        const ok =
          form.get('grant_type') === 'client_credentials' &&
          form.get('client_id') === TEAMS_APP.appId &&
          form.get('client_secret') === TEAMS_APP.clientSecret &&
          form.get('scope') === 'https://api.botframework.com/.default';
        record(ok ? 200 : 401);
        if (!ok)
          return answer(res, 401, {
            error: 'invalid_client',
            error_description: 'AADSTS7000215: Invalid client secret provided.',
          });
        const token = `fake-bot-token-${randomUUID()}`;
        tokens.set(token, Date.now() + 3600_000);
        fake.tokensIssued += 1;
        return answer(res, 200, {
          token_type: 'Bearer',
          expires_in: 3599,
          ext_expires_in: 3599,
          access_token: token,
        });
      }
      const workflow = /^\/workflows\/([^/]+)\/triggers\/manual\/paths\/invoke$/.exec(path);
      if (method === 'POST' && workflow) {
        record(202);
        workflowPosts.push({ id: workflow[1] ?? '', body });
        return answer(res, 202);
      }
      if (path.startsWith('/amer/v3/')) {
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        const until = bearer ? tokens.get(bearer) : undefined;
        if (!until || until < Date.now()) {
          record(401);
          return answer(res, 401, error('Unauthorized', 'Authorization has been denied for this request.'));
        }
        const out = connector(method, path.slice('/amer'.length), body);
        record(out.status, out.answer);
        return answer(res, out.status, out.answer, out.headers);
      }
      record(404);
      return answer(res, 404, error('NotFound', path));
    })().catch(() => answer(res, 500, error('InternalError', 'The fake failed')));
  });
  const { endpoint, stop } = await listenOnLoopback(server, options.port ?? 0);
  url = endpoint;
  const builders = activityBuilders(() => `${url}/amer/`);

  const fake: FakeTeams = {
    url,
    serviceUrl: `${url}/amer/`,
    settings: {
      ...TEAMS_APP,
      openIdMetadataUrl: `${url}/v1/.well-known/openidconfiguration`,
      tokenUrl: `${url}/botframework.com/oauth2/v2.0/token`,
      serviceUrlOrigins: url,
    },
    issuer,
    calls,
    conversations,
    workflowPosts,
    tokensIssued: 0,
    addChannel(id, { tenantId = TEAMS_TENANT, members = [TEAMS_PERSON], name } = {}) {
      const conversation: FakeConversation = {
        id,
        tenantId,
        conversationType: 'channel',
        members: new Set(members.map((m) => m.id)),
        activities: new Map(),
        teamId: '19:team@thread.tacv2',
        ...(name ? { name } : {}),
      };
      conversations.set(id, conversation);
      return conversation;
    },
    workflowUrl: (id) => `${url}/workflows/${id}/triggers/manual/paths/invoke?api-version=1&sig=fake-sig`,
    rateLimitNext(count, retryAfterSeconds) {
      limited = { count, retryAfter: retryAfterSeconds };
    },
    revokeTokens: () => tokens.clear(),
    async signed(activity, token = {}) {
      const jwt = await issuer.sign({ serviceUrl: String(activity.serviceUrl), ...token });
      return {
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(activity),
      };
    },
    async send(target, activity, token) {
      const { headers, body } = await fake.signed(activity, token);
      return fetch(target, { method: 'POST', headers, body });
    },
    activities: builders,
    stop,
  };
  return fake;
}
