import { jest } from '@jest/globals';
import { makeHandler } from '../../../../../functions/receive-chat-request/handler';
import { makeReceiveChatRequest } from '../../../../../shared/chat/receive-chat-request';
import { makeTeamsApp } from '../../../../../shared/connectors/msteams/app';
import { teamsBotRuntime } from '../../../../../shared/connectors/msteams/client';
import { logger } from '../../../../../shared/observability/observability';
import type { FakeTeams } from '../../../../fakes/msteams/fake-teams';
import { startFakeTeams, TEAMS_TENANT } from '../../../../fakes/msteams/fake-teams';
import { apiEvent, lambdaContext } from '../../../../support/api-events';
import { teamsDeps } from './harness';

let fake: FakeTeams;
const channel = { id: '19:secrets@thread.tacv2' };
const orgId = 'org_01JTEAMSSECRET';
const connectionId = 'con_01JTEAMSSECRET';

beforeAll(async () => {
  fake = await startFakeTeams();
  fake.addChannel(channel.id);
});
afterAll(async () => fake.stop());
afterEach(() => jest.restoreAllMocks());

/**
 * The messaging endpoint as the function serves it: the Teams app behind the generic chat route,
 * its queue keeping each message body as SQS would get it, and every log call of the hub recorded.
 */
async function endpoint(options: { bound?: boolean } = {}) {
  const h = teamsDeps(fake.settings);
  await h.connection(orgId, connectionId, { kind: 'teams_bot', tenantId: TEAMS_TENANT });
  if (options.bound) await h.deps.installations.bind('msteams', TEAMS_TENANT, orgId, connectionId);
  const bodies: string[] = [];
  const logged: unknown[] = [];
  for (const level of ['debug', 'info', 'warn', 'error'] as const)
    jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => void logged.push(args));
  const app = makeTeamsApp(h.deps, teamsBotRuntime(h.deps));
  const handler = makeHandler(
    makeReceiveChatRequest({
      apps: (provider) => (provider === 'msteams' ? app : null),
      inbound: (provider) => (provider === 'msteams' ? ['events'] : null),
      queue: { enqueue: async (work) => void bodies.push(...work.map((w) => JSON.stringify(w))) },
      clock: { now: () => new Date() },
    }),
  );
  const send = async (activity: Record<string, unknown>) => {
    const signed = await fake.signed(activity);
    return handler(
      apiEvent({
        method: 'POST',
        path: '/msteams/events',
        routePath: '/{provider}/events',
        rawBody: signed.body,
        headers: signed.headers,
        pathParameters: { provider: 'msteams' },
      }),
      lambdaContext(),
    );
  };
  return { h, send, bodies, logged };
}

const submitted = (text: string) => ({
  ...fake.activities.composeQuery(channel, ''),
  name: 'composeExtension/submitAction',
  value: { commandId: 'hubCommand', commandContext: 'compose', data: { command: text } },
});

describe('a bind code sent to the bot', () => {
  it('is claimed through a message extension query without reaching a queued message, a log line, the audit trail or the pending binding', async () => {
    const { h, send, bodies, logged } = await endpoint();
    const code = h.bindCode(orgId, connectionId, TEAMS_TENANT);
    const res = await send(fake.activities.composeQuery(channel, `connect ${code}`));
    expect(res.statusCode).toBe(200);
    // Pending a Microsoft admin's confirmation: nothing bound or queued, the link in the answer.
    expect(h.bindings.size).toBe(0);
    expect(bodies).toEqual([]);
    expect(String(res.body)).toMatch(/\/msteams\/install\?state=/);
    expect(h.installStates.states.size).toBe(1);
    expect(h.audit.map((r) => r.action)).toEqual(['chat.installation_pending']);
    expect(logged.length).toBeGreaterThan(0);
    for (const seen of [
      JSON.stringify(logged),
      JSON.stringify(h.audit),
      String(res.body),
      JSON.stringify([...h.installStates.states.values()]),
    ])
      expect(seen).not.toContain(code);
  });

  it('in a tenant already bound, is answered at once and never queued, by message or message extension', async () => {
    const { h, send, bodies, logged } = await endpoint({ bound: true });
    const code = h.bindCode(orgId, connectionId, TEAMS_TENANT);
    for (const activity of [
      fake.activities.message(channel, `connect ${code}`),
      fake.activities.composeQuery(channel, `connect ${code}`),
      submitted(`CONNECT   ${code}`),
    ]) {
      const res = await send(activity);
      expect(res.statusCode).toBe(200);
      expect(String(res.body)).not.toContain(code);
    }
    expect(bodies).toEqual([]);
    expect(JSON.stringify(logged)).not.toContain(code);
    // Not claimed either: the code is still there for nobody, unused.
    expect([...h.codes.values()].every((c) => c.usedAt === undefined)).toBe(true);
    // A command is still queued, so the queue is live in this test.
    await send(fake.activities.message(channel, 'status WEB-12'));
    expect(bodies).toHaveLength(1);
  });

  it('is masked in any other command that carries one, before it is queued', async () => {
    const { h, send, bodies } = await endpoint({ bound: true });
    const code = h.bindCode(orgId, connectionId, TEAMS_TENANT);
    await send(fake.activities.message(channel, `status ${code}`));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).not.toContain(code);
    expect(JSON.parse(bodies[0] ?? '{}').request.text).toBe('status hubbind_[redacted]');
  });
});
