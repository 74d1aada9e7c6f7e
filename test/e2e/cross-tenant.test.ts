import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sessionIdOf } from '../../shared/identity/session-id';
import { PROVIDER_MODULES } from '../../shared/providers';
import { routes } from '../../shared/topology';
import type { FakeGithub } from '../fakes/github';
import { startFakeGithub } from '../fakes/github';
import type { FakeJira } from '../fakes/jira';
import { JIRA_HUMAN, startFakeJira } from '../fakes/jira';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';
import { SoftwareAuthenticator } from '../support/software-authenticator';
import { signedHeaders } from '../support/webhooks';

/**
 * For every route of the topology, org A's credentials aimed at org B's resources are refused
 * with 403/404, the answer carries none of B's data, and B's data is unchanged afterwards.
 */
let hub: RuntimeProcess;

interface Tenant {
  org: { id: string; slug: string; name: string };
  ownerKey: string;
  ownerKeyId: string;
  userId: string;
  teamId: string;
  invitationId: string;
  roleId: string;
  jwt: string;
  /** The session of `jwt` (recorded by the gate on its first request). */
  sessionId: string;
  connection: { id: string; webhookSecret: string };
  jiraConnection: { id: string; webhookUrl: string; webhookSecret: string };
  githubConnection: { id: string; webhookUrl: string; webhookSecret: string };
  mappingId: string;
  ruleId: string;
  approvalId: string;
  scimTokenId: string;
  /** The user's passkey (registered before `jwt` was minted: registering signs the user out everywhere). */
  passkeyId: string;
}

const tenants: Record<'a' | 'b', Tenant> = {} as never;

async function tenant(slug: string): Promise<Tenant> {
  const admin = client(hub);
  // Enterprise: the snapshots below read B's data often, and must not meet the per-minute API rate.
  const org = (await admin('POST', '/v1/orgs', { name: `Tenant ${slug}`, slug, plan: 'enterprise' }))
    .json as Tenant['org'];
  const created = (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'owner', role: 'owner' })).json;
  const ownerKey = String(created.key);
  const ownerKeyId = String(created.id);
  const connection = (
    await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'c' })
  ).json as Tenant['connection'];
  const user = await admin('POST', `/v1/orgs/${org.id}/users`, {
    email: `someone@${slug}.test`,
    name: 'Someone',
    role: 'owner',
  });
  // The user's passkey, which A must not list or remove: registering one signs its user out
  // everywhere, so the token the tests use is minted in a later second (`auth_time` is whole seconds).
  const mint = () =>
    runCli(hub, [
      'token',
      'mint',
      '--sub',
      String(user.json.id),
      '--org',
      org.id,
      '--role',
      'owner',
    ]).stdout.trim();
  const early = client(hub, mint());
  const authenticator = new SoftwareAuthenticator({ origin: `http://localhost:${new URL(hub.url).port}` });
  const options = await early('POST', `/v1/orgs/${org.id}/me/passkeys/registration-options`);
  const passkey = await early('POST', `/v1/orgs/${org.id}/me/passkeys`, {
    response: authenticator.create(options.json as never),
    name: `passkey of ${slug}`,
  });
  expect(passkey.status).toBe(201);
  await new Promise((r) => setTimeout(r, 1005 - (Date.now() % 1000)));
  // A token stands for a hub user of its org, or gets nothing.
  const jwt = runCli(hub, [
    'token',
    'mint',
    '--sub',
    String(user.json.id),
    '--org',
    org.id,
    '--role',
    'owner',
  ]).stdout.trim();
  // One request, so the gate records the token's session (which A must not list or revoke).
  expect((await client(hub, jwt)('GET', `/v1/orgs/${org.id}`)).status).toBe(200);
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
  const sessionId = sessionIdOf(org.id, String(user.json.id), Number(claims.auth_time));
  const team = await admin('POST', `/v1/orgs/${org.id}/teams`, { name: 'Team' });
  const invitation = await admin('POST', `/v1/orgs/${org.id}/invitations`, {
    email: `invitee@${slug}.test`,
  });
  const role = await admin('POST', `/v1/orgs/${org.id}/roles`, { name: 'b-role', permissions: ['org:read'] });
  const policy = await admin('PUT', `/v1/orgs/${org.id}/policies/b-policy`, {
    statement: 'forbid (principal is Hub::ApiKey, action == Hub::Action::"org:delete", resource);',
  });
  expect(policy.status).toBe(201);
  const jiraConnection = (
    await admin('POST', `/v1/orgs/${org.id}/connections`, {
      provider: 'jira',
      name: 'jira',
      config: { baseUrl: fakes.jira.url },
    })
  ).json as Tenant['jiraConnection'];
  const githubConnection = (
    await admin('POST', `/v1/orgs/${org.id}/connections`, {
      provider: 'github',
      name: 'github',
      config: { baseUrl: fakes.github.url },
    })
  ).json as Tenant['githubConnection'];
  const mapping = await admin('POST', `/v1/orgs/${org.id}/mappings`, {
    tracker: { connectionId: jiraConnection.id, project: slug === 'tenant-a' ? 'AAA' : 'BBB' },
    codeHost: { connectionId: githubConnection.id, repository: `${slug}/repo` },
  });
  expect(mapping.status).toBe(201);
  const rule = await admin('POST', `/v1/orgs/${org.id}/notification-rules`, {
    name: 'for-b rule',
    eventTypes: ['*'],
    destinations: [{ kind: 'email', userIds: [String(user.json.id)] }],
  });
  expect(rule.status).toBe(201);
  const approval = await admin('POST', `/v1/orgs/${org.id}/approvals`, {
    question: `for-b question of ${slug}?`,
    options: [
      { id: 'yes', label: 'Yes' },
      { id: 'no', label: 'No' },
    ],
    answerers: { userIds: [String(user.json.id)] },
  });
  expect(approval.status).toBe(201);
  const domain = await admin('POST', `/v1/orgs/${org.id}/domains`, { domain: `for-b-${slug}.example` });
  expect(domain.status).toBe(201);
  const scimToken = await admin('POST', `/v1/orgs/${org.id}/scim-tokens`, { name: `for-b-${slug}` });
  expect(scimToken.status).toBe(201);
  return {
    org,
    ownerKey,
    ownerKeyId,
    userId: String(user.json.id),
    teamId: String(team.json.id),
    invitationId: String(invitation.json.id),
    roleId: String(role.json.id),
    jwt,
    sessionId,
    connection,
    jiraConnection,
    githubConnection,
    mappingId: String(mapping.json.id),
    ruleId: String(rule.json.id),
    approvalId: String(approval.json.id),
    scimTokenId: String(scimToken.json.id),
    passkeyId: String(passkey.json.id),
  };
}

/** B's Jira issue, synced to GitHub by the hub: B then has a link A must not reach. */
async function linkForB(): Promise<string> {
  const admin = client(hub);
  const b = tenants.b;
  const credentials = {
    jira: { kind: 'jira_api_token', email: 'bot@b.test', apiToken: 'b-token' },
    github: { kind: 'github_app', appId: '777', installationId: 1, privateKey: fakes.pem },
  };
  for (const side of ['jira', 'github'] as const) {
    const con = side === 'jira' ? b.jiraConnection : b.githubConnection;
    await admin('PUT', `/v1/orgs/${b.org.id}/connections/${con.id}/credentials`, credentials[side]);
    fakes[side].webhooks.setTarget({ url: `${hub.url}${con.webhookUrl}`, secret: con.webhookSecret });
  }
  const human = `Basic ${Buffer.from(`${JIRA_HUMAN.email}:${JIRA_HUMAN.apiToken}`).toString('base64')}`;
  const created = await fetch(`${fakes.jira.url}/rest/api/3/issue`, {
    method: 'POST',
    headers: { authorization: human, 'content-type': 'application/json' },
    body: JSON.stringify({
      fields: { project: { key: 'BBB' }, issuetype: { name: 'Task' }, summary: 'for-b' },
    }),
  });
  expect(created.status).toBe(201);
  return eventually(async () => {
    const links = (await admin('GET', `/v1/orgs/${b.org.id}/links`)).json.items as { id: string }[];
    return links[0]?.id;
  }, 30_000);
}

/**
 * Waits until B's setup has finished working through the hub: the webhook for the issue the hub
 * created on B's code host has arrived, and B's data reads the same twice in a row, so only A's
 * requests could change it afterwards.
 */
async function settledB(): Promise<void> {
  const owner = client(hub, tenants.b.ownerKey);
  await eventually(async () => {
    const events = (await owner('GET', `/v1/orgs/${tenants.b.org.id}/events`)).json.items as {
      source: { provider: string };
    }[];
    return events.some((e) => e.source.provider === 'github') ? true : undefined;
  }, 30_000);
  let last = await snapshotOfB();
  await eventually(async () => {
    await new Promise((r) => setTimeout(r, 500));
    const now = await snapshotOfB();
    const same = now === last;
    last = now;
    return same ? true : undefined;
  }, 30_000);
}

/**
 * What B holds, as B sees it. Left out: its own key's last-used time and address (the snapshot's
 * own reads move them, at most once a minute), and a link's sync bookkeeping, which B's own
 * webhooks move whenever the (loaded) workers get to them — not anything A does.
 */
const OWN_MOTION = new Set(['lastUsedAt', 'lastUsedIp', 'observed', 'revision', 'lastSyncedAt', 'lagMs']);
/** The snapshot the last route test ended with (each starts from it). */
let lastSnapshotOfB: string | undefined;
async function snapshotOfB() {
  const b = client(hub, tenants.b.ownerKey);
  const withoutOwnUse = (key: string, value: unknown) => (OWN_MOTION.has(key) ? undefined : value);
  // Side by side: the reads are independent, and the snapshot is taken ~400 times.
  const reads = [
    `/v1/orgs/${tenants.b.org.id}`,
    `/v1/orgs/${tenants.b.org.id}/events`,
    `/v1/orgs/${tenants.b.org.id}/api-keys`,
    `/v1/orgs/${tenants.b.org.id}/users`,
    `/v1/orgs/${tenants.b.org.id}/teams`,
    `/v1/orgs/${tenants.b.org.id}/invitations`,
    `/v1/orgs/${tenants.b.org.id}/roles`,
    `/v1/orgs/${tenants.b.org.id}/connections`,
    `/v1/orgs/${tenants.b.org.id}/dead-letters`,
    `/v1/orgs/${tenants.b.org.id}/policies`,
    `/v1/orgs/${tenants.b.org.id}/mappings`,
    `/v1/orgs/${tenants.b.org.id}/links`,
    `/v1/orgs/${tenants.b.org.id}/notification-rules`,
    `/v1/orgs/${tenants.b.org.id}/approvals`,
    `/v1/orgs/${tenants.b.org.id}/domains`,
    `/v1/orgs/${tenants.b.org.id}/sso-connections`,
    `/v1/orgs/${tenants.b.org.id}/users/${tenants.b.userId}/sessions`,
    `/v1/orgs/${tenants.b.org.id}/scim-tokens`,
  ].map(async (path) => (await b('GET', path)).json);
  return JSON.stringify(await Promise.all(reads), withoutOwnUse);
}

const fakes = {} as { jira: FakeJira; github: FakeGithub; pem: string };
let linkIdOfB: string;
let eventIdOfB: string;

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  fakes.pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  fakes.jira = await startFakeJira({ email: 'bot@b.test', apiToken: 'b-token' });
  fakes.github = await startFakeGithub({ appId: '777', publicKey, installationId: 1 });
  hub = await startRuntime();
  tenants.a = await tenant('tenant-a');
  tenants.b = await tenant('tenant-b');
  linkIdOfB = await linkForB();
  const body = JSON.stringify({ type: 'b.secret', data: { only: 'for-b' } });
  const res = await client(hub, '')(
    'POST',
    `/webhooks/generic/${tenants.b.connection.id}`,
    body,
    signedHeaders(tenants.b.connection.webhookSecret, body),
  );
  expect(res.status).toBe(202);
  eventIdOfB = String(res.json.eventId);
  await settledB();
  // B's user has a session for A to be refused: the snapshot shows it unchanged after each route.
  const bSessions = await client(hub, tenants.b.ownerKey)(
    'GET',
    `/v1/orgs/${tenants.b.org.id}/users/${tenants.b.userId}/sessions`,
  );
  expect((bSessions.json.items as { id: string }[]).map((s) => s.id)).toEqual([tenants.b.sessionId]);
  // Two tenants, each with a little of everything, on a shared machine: cold starts add up.
}, 600_000);
afterAll(async () => {
  await hub?.stop();
  await fakes.jira?.stop();
  await fakes.github?.stop();
});

/** An SSO connection A would plant in B: an IdP of A's own, with a certificate A holds the key of. */
const plantedSamlConnection = {
  protocol: 'saml',
  name: 'Planted by A',
  idpEntityId: 'https://idp.a.example',
  ssoUrl: 'https://idp.a.example/sso',
  signingCertificates: [readFileSync(join(process.cwd(), 'test/fixtures/saml/other-cert.pem'), 'utf8')],
  defaultRole: 'owner',
};

/** A body that would be valid for the route, so only tenancy can be the reason for a refusal. */
const validBodies: Record<string, unknown> = {
  createOrg: { name: 'Sneaky', slug: 'sneaky' },
  createApiKey: { name: 'stolen', role: 'owner' },
  createPlatformApiKey: { name: 'stolen' },
  addDomain: { domain: 'planted-by-a.example' },
  createSsoConnection: plantedSamlConnection,
  replaceSsoConnection: plantedSamlConnection,
  createScimToken: { name: 'planted-by-a' },
  createConnection: { provider: 'generic', name: 'stolen' },
  updateOrg: { name: 'Renamed by A', settings: { ipAllowList: ['203.0.113.0/24'] } },
  createUser: { email: 'intruder@example.test', name: 'Intruder', role: 'owner' },
  createTeam: { name: 'Planted by A' },
  setTeamMember: { role: 'maintainer' },
  inviteUser: { email: 'intruder@example.test', role: 'owner' },
  updateTeam: { name: 'Renamed by A', parentId: null },
  createRole: { name: 'Planted by A', permissions: ['org:read'] },
  updateRole: { permissions: ['org:read', 'org:update'] },
  putPolicy: { statement: 'forbid (principal, action, resource);' },
  updateConnection: { name: 'Renamed by A' },
  rotateConnectionSecret: { overlapSeconds: 0 },
  redriveDeadLetters: {},
  setConnectionCredentials: { kind: 'jira_api_token', email: 'intruder@example.test', apiToken: 'x' },
  createMapping: {
    tracker: { connectionId: 'con_01M8F79MGRCMY1JDM07R52VC06', project: 'AAA' },
    codeHost: { connectionId: 'con_01M8F79P3R3K1638C8KPHEN332', repository: 'a/b' },
  },
  replaceMapping: {
    tracker: { connectionId: 'con_01M8F79MGRCMY1JDM07R52VC06', project: 'AAA' },
    codeHost: { connectionId: 'con_01M8F79P3R3K1638C8KPHEN332', repository: 'a/b' },
  },
  openLinkBranch: {},
  createWebhookEndpoint: { url: 'https://receiver.example.com/hook' },
  updateWebhookEndpoint: { enabled: false },
  rotateWebhookEndpointSecret: { overlapSeconds: 0 },
  recoverWebhookEndpoint: { since: '2026-01-01T00:00:00Z' },
  resendNotificationMessage: {},
  createNotificationRule: {
    name: 'Planted by A',
    eventTypes: ['*'],
    destinations: [{ kind: 'email', addresses: ['intruder@example.test'] }],
  },
  updateNotificationRule: { name: 'Renamed by A', enabled: false },
  testNotificationRule: { sample: 'pull_request.merged' },
  putNotificationPreferences: { digest: 'daily', channels: { email: true } },
  requestApproval: {
    question: 'Planted by A?',
    options: [
      { id: 'yes', label: 'Yes' },
      { id: 'no', label: 'No' },
    ],
    answerers: { roles: ['owner'] },
  },
  answerApproval: { option: 'yes' },
  confirmChatLink: { token: `${'A'.repeat(60)}.${'B'.repeat(43)}` },
  createChatBindCode: { expiresInMinutes: 15 },
  startTotpEnrolment: { accessToken: `${'a'.repeat(20)}.${'b'.repeat(20)}.${'c'.repeat(20)}` },
  registerPasskey: {
    name: 'planted-by-a',
    response: {
      id: 'AAAAAAAAAAAAAAAAAAAAAA',
      rawId: 'AAAAAAAAAAAAAAAAAAAAAA',
      type: 'public-key',
      response: { clientDataJSON: 'e30', attestationObject: 'oA' },
      clientExtensionResults: {},
    },
  },
  verifyTotpEnrolment: {
    accessToken: `${'a'.repeat(20)}.${'b'.repeat(20)}.${'c'.repeat(20)}`,
    code: '123456',
  },
};

describe('cross-tenant isolation, route by route', () => {
  const orgScoped = routes.filter((r) => r.path.includes('{orgId}'));

  it('classifies every route: org-scoped, platform-only, public, or webhook', () => {
    for (const route of routes) {
      const known =
        route.path.includes('{orgId}') || route.auth !== 'hub' || route.permission?.startsWith('platform:');
      expect({ route: route.operationId, classified: Boolean(known) }).toEqual({
        route: route.operationId,
        classified: true,
      });
    }
  });

  for (const credential of ['ownerKey', 'jwt'] as const) {
    for (const route of orgScoped) {
      it(`refuses org A's ${credential} on org B's ${route.method} ${route.path}`, async () => {
        // Nothing but these tests acts on B, one at a time: the last one's after is this one's before.
        lastSnapshotOfB ??= await snapshotOfB();
        const before = lastSnapshotOfB;
        const path = route.path
          .replace('{orgId}', tenants.b.org.id)
          .replace('{keyId}', tenants.b.ownerKeyId)
          .replace('{userId}', tenants.b.userId)
          .replace('{teamId}', tenants.b.teamId)
          .replace('{invitationId}', tenants.b.invitationId)
          .replace('{roleId}', tenants.b.roleId)
          .replace('{connectionId}', tenants.b.connection.id)
          .replace('{policyId}', 'b-policy')
          .replace('{mappingId}', tenants.b.mappingId)
          .replace('{linkId}', linkIdOfB)
          .replace('{eventId}', eventIdOfB)
          // Well-formed ids: the gate refuses before anything of B's is read.
          .replace('{endpointId}', 'ep_01M8F79MGRCMY1JDM07R52VC06')
          .replace('{messageId}', 'msg_01M8F79MGRCMY1JDM07R52VC06')
          .replace('{ruleId}', tenants.b.ruleId)
          .replace('{approvalId}', tenants.b.approvalId)
          .replace('{sessionId}', tenants.b.sessionId)
          .replace('{address}', encodeURIComponent('suppressed-in-b@example.test'))
          .replace('{domain}', 'for-b-tenant-b.example')
          .replace('{ssoConnectionId}', 'sso_01M8F79MGRCMY1JDM07R52VC06')
          .replace('{tokenId}', tenants.b.scimTokenId)
          .replace('{passkeyId}', tenants.b.passkeyId)
          .replace('{provider}', 'slack')
          .replace('{platformUserId}', 'U0B1');
        expect(path).not.toContain('{');
        const res = await client(hub, tenants.a[credential])(
          route.method,
          path,
          route.method === 'GET' ? undefined : validBodies[route.operationId],
        );
        expect([403, 404]).toContain(res.status);
        // A problem's `instance` echoes the path A asked for (B's domain name, which A named itself).
        const answered = res.text.split(path).join('');
        expect(answered).not.toContain('for-b');
        expect(answered).not.toContain(tenants.b.org.slug);
        lastSnapshotOfB = await snapshotOfB();
        expect(lastSnapshotOfB).toBe(before);
      });
    }
  }

  it("leaves B's passkey B's: listed for B alone, not among A's", async () => {
    const ofB = await client(hub, tenants.b.jwt)('GET', `/v1/orgs/${tenants.b.org.id}/me/passkeys`);
    expect((ofB.json.items as { id: string }[]).map((p) => p.id)).toEqual([tenants.b.passkeyId]);
    const ofA = await client(hub, tenants.a.jwt)('GET', `/v1/orgs/${tenants.a.org.id}/me/passkeys`);
    expect((ofA.json.items as { id: string }[]).map((p) => p.id)).toEqual([tenants.a.passkeyId]);
  });

  it('refuses org admins on platform-only routes', async () => {
    for (const route of routes.filter((r) => r.permission?.startsWith('platform:'))) {
      const res = await client(hub, tenants.a.ownerKey)(
        route.method,
        route.path,
        validBodies[route.operationId],
      );
      expect(res.status).toBe(403);
    }
  });

  it("refuses a delivery to org B's connection signed with org A's secret", async () => {
    const before = await snapshotOfB();
    const body = JSON.stringify({ type: 'a.injects', data: {} });
    const res = await client(hub, '')(
      'POST',
      `/webhooks/generic/${tenants.b.connection.id}`,
      body,
      signedHeaders(tenants.a.connection.webhookSecret, body),
    );
    expect(res.status).toBe(401);
    expect(await snapshotOfB()).toBe(before);
  });

  // Every provider's webhook route, from the list of modules: a provider added there is covered here.
  for (const module of PROVIDER_MODULES.filter((m) => m.webhook.sign)) {
    it(`refuses a ${module.id} delivery to org B's ${module.id} connection signed with org A's secret`, async () => {
      const admin = client(hub);
      const connectionIn = async (orgId: string) =>
        (
          await admin('POST', `/v1/orgs/${orgId}/connections`, {
            provider: module.id,
            name: `${module.id}-webhooks`,
            // A provider with no default server needs one; the Jira fake's will do for a webhook.
            ...(module.api.defaultBaseUrl === null && module.credentials.length > 0
              ? { config: { baseUrl: fakes.jira.url } }
              : {}),
          })
        ).json as Tenant['connection'];
      const a = await connectionIn(tenants.a.org.id);
      const b = await connectionIn(tenants.b.org.id);
      // B's own record of the new connection reaches its events through the bus: awaited first.
      const owner = client(hub, tenants.b.ownerKey);
      await eventually(async () => {
        const events = (await owner('GET', `/v1/orgs/${tenants.b.org.id}/events?limit=20`)).json.items as {
          data: { id?: string };
        }[];
        return events.some((e) => e.data.id === b.id) ? true : undefined;
      });
      const before = await snapshotOfB();
      const body = JSON.stringify({ object_kind: 'issue', type: 'a.injects', data: {} });
      const sign = module.webhook.sign as NonNullable<typeof module.webhook.sign>;
      const signedByA = await sign(a.webhookSecret, body, { id: `cross-${module.id}`, at: new Date() });
      const headers = { 'content-type': 'application/json', ...signedByA };
      const res = await client(hub, '')('POST', `/webhooks/${module.id}/${b.id}`, body, headers);
      expect(res.status).toBe(401);
      // Nor through another provider's route to B's connection.
      const other = module.id === 'generic' ? tenants.b.githubConnection.id : tenants.b.connection.id;
      expect((await client(hub, '')('POST', `/webhooks/${module.id}/${other}`, body, headers)).status).toBe(
        404,
      );
      expect(await snapshotOfB()).toBe(before);
    });
  }

  // The chat app routes, for every provider: one without a chat part names nothing there.
  it('answers every chat app route 404 problem+json for a provider with no chat app, reading nothing', async () => {
    const chatRoutes = routes.filter((r) => r.function === 'receiveChatRequest');
    expect(chatRoutes.length).toBeGreaterThan(0);
    const without = PROVIDER_MODULES.filter((m) => !(m as { chat?: unknown }).chat).map((m) => m.id);
    for (const route of chatRoutes) {
      for (const provider of [...without, 'nochat', 'constructor']) {
        const res = await client(hub, '')(
          route.method,
          route.path.replace('{provider}', provider),
          route.method === 'GET' ? undefined : { team_id: tenants.b.org.id },
        );
        expect({ route: route.operationId, provider, status: res.status }).toEqual({
          route: route.operationId,
          provider,
          status: 404,
        });
        expect(res.headers.get('content-type')).toBe('application/problem+json');
      }
    }
  });

  it("refuses a forged chat link in org A's own org, and links nobody", async () => {
    const forged = `${Buffer.from(JSON.stringify({ orgId: tenants.b.org.id, provider: 'generic' })).toString('base64url')}.${'B'.repeat(43)}`;
    const res = await client(hub, tenants.a.jwt)('POST', `/v1/orgs/${tenants.a.org.id}/chat-links`, {
      token: forged,
    });
    expect(res.status).toBe(404);
    expect((await client(hub, '')('GET', `/chat-links/${forged}`)).status).toBe(404);
  });

  it("does not let org A page into org B's events with B's cursor", async () => {
    const b = client(hub, tenants.b.ownerKey);
    for (let i = 0; i < 2; i++) {
      const body = JSON.stringify({ type: 'b.more', data: { only: 'for-b' } });
      await client(hub, '')(
        'POST',
        `/webhooks/generic/${tenants.b.connection.id}`,
        body,
        signedHeaders(tenants.b.connection.webhookSecret, body),
      );
    }
    let cursor: string | null = null;
    for (let i = 0; i < 100 && !cursor; i++) {
      cursor = (await b('GET', `/v1/orgs/${tenants.b.org.id}/events?limit=1`)).json.nextCursor as
        | string
        | null;
      if (!cursor) await new Promise((r) => setTimeout(r, 50));
    }
    expect(cursor).toBeTruthy();
    const res = await client(hub, tenants.a.ownerKey)(
      'GET',
      `/v1/orgs/${tenants.a.org.id}/events?limit=1&cursor=${cursor}`,
    );
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('for-b');
  });
});
