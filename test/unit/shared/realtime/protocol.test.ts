import type { AuthorizerContext } from '../../../../shared/identity/principal';
import type { RealtimeConnection } from '../../../../shared/realtime/connections';
import { expiryOf } from '../../../../shared/realtime/connections';
import {
  eventMessage,
  MAX_CLIENT_MESSAGE_BYTES,
  MAX_PUSHED_MESSAGE_BYTES,
  parseClientMessage,
  upgradeCredential,
} from '../../../../shared/realtime/protocol';
import { takes } from '../../../../shared/realtime/push-events';
import { aCanonicalEvent } from '../../../support/builders';

describe('client messages', () => {
  it('reads a subscription to type patterns and a ping', () => {
    expect(parseClientMessage('{"action":"subscribe","types":["pull_request.*","*"]}')).toEqual({
      ok: true,
      message: { action: 'subscribe', types: ['pull_request.*', '*'] },
    });
    expect(parseClientMessage('{"action":"ping"}')).toEqual({ ok: true, message: { action: 'ping' } });
  });

  it.each([
    ['not JSON', '{action:', 'The message is not valid JSON'],
    ['an unknown action', '{"action":"unsubscribe"}', 'The message is not valid'],
    ['a bad pattern', '{"action":"subscribe","types":["Pull Request"]}', 'The message is not valid'],
    ['no types', '{"action":"subscribe","types":[]}', 'The message is not valid'],
    ['an unknown field', '{"action":"ping","orgId":"org_x"}', 'The message is not valid'],
  ])('answers %s with an error message', (_what, body, title) => {
    const parsed = parseClientMessage(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatchObject({ type: 'error', title });
  });

  it('names the field that is wrong', () => {
    const parsed = parseClientMessage('{"action":"subscribe","types":["ok.*","Bad"]}');
    expect(parsed.ok ? [] : parsed.error.errors?.map((e) => e.path)).toEqual(['types.1']);
  });

  it('refuses a message over the size bound unread', () => {
    const types = Array.from({ length: 45 }, (_, i) => `type_${'x'.repeat(90)}_${i}`);
    const body = JSON.stringify({ action: 'subscribe', types });
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_CLIENT_MESSAGE_BYTES);
    expect(parseClientMessage(body)).toMatchObject({
      ok: false,
      error: { title: 'The message is too large' },
    });
  });
});

describe('the upgrade credential', () => {
  it('reads Authorization first, and accepts hub.v1', () => {
    expect(
      upgradeCredential({ authorization: 'Bearer hub_key', 'sec-websocket-protocol': 'hub.v1' }),
    ).toEqual({ authorization: 'Bearer hub_key', subprotocol: 'hub.v1' });
  });

  it("takes a browser's token from the offered subprotocols, and answers hub.v1, never the token", () => {
    expect(upgradeCredential({ 'sec-websocket-protocol': 'hub.v1, hub.bearer.eyJ.abc.def' })).toEqual({
      authorization: 'Bearer eyJ.abc.def',
      subprotocol: 'hub.v1',
    });
  });

  it('finds no credential where none was sent (the query string is never read)', () => {
    expect(upgradeCredential({})).toEqual({ authorization: undefined, subprotocol: undefined });
    expect(upgradeCredential({ 'sec-websocket-protocol': 'chat' })).toEqual({
      authorization: undefined,
      subprotocol: undefined,
    });
  });
});

describe('pushed events', () => {
  it('carry the canonical event whole', () => {
    const event = aCanonicalEvent();
    expect(JSON.parse(eventMessage(event))).toEqual({ type: 'event', event });
  });

  it('leave out the data of an event over the message limit, and say so', () => {
    const event = aCanonicalEvent({ data: { body: 'x'.repeat(MAX_PUSHED_MESSAGE_BYTES) } });
    const message = eventMessage(event);
    expect(Buffer.byteLength(message)).toBeLessThan(MAX_PUSHED_MESSAGE_BYTES);
    const { data: _data, ...envelope } = event;
    expect(JSON.parse(message)).toEqual({ type: 'event', event: envelope, dataOmitted: true });
  });
});

describe('which connections take an event', () => {
  const event = aCanonicalEvent({ type: 'pull_request.merged' });
  const viewer: AuthorizerContext = {
    kind: 'org_member',
    type: 'api_key',
    id: 'key_1',
    name: 'v',
    orgId: event.tenantId,
    role: 'viewer',
    mfa: 'false',
  };
  const connection = (overrides: Partial<RealtimeConnection>): RealtimeConnection => ({
    orgId: event.tenantId,
    connectionId: 'c1',
    principal: viewer,
    types: ['*'],
    connectedAt: '2026-12-01T10:00:00.000Z',
    expiresAt: '2026-12-01T10:10:00.000Z',
    ...overrides,
  });

  it('by subscribed type pattern', () => {
    expect(takes(connection({ types: ['pull_request.*'] }), event)).toBe(true);
    expect(takes(connection({ types: ['pull_request.merged'] }), event)).toBe(true);
    expect(takes(connection({ types: ['work_item.*', 'review.*'] }), event)).toBe(false);
    // Not subscribed yet: nothing.
    expect(takes(connection({ types: [] }), event)).toBe(false);
  });

  it("only in the event's org, and only for a principal the gate admitted", () => {
    expect(takes(connection({ orgId: 'org_01JD3Q4ZK8M7X2V9N6B5C4D3EB' }), event)).toBe(false);
    expect(takes(connection({ principal: { kind: 'nobody' } }), event)).toBe(false);
  });
});

describe('connection lifetime', () => {
  it('moves the idle limit on with activity, never past two hours from the connect', () => {
    const at = new Date('2026-12-01T10:00:00Z');
    expect(expiryOf(at, at).toISOString()).toBe('2026-12-01T10:10:00.000Z');
    expect(expiryOf(at, new Date('2026-12-01T11:00:00Z')).toISOString()).toBe('2026-12-01T11:10:00.000Z');
    expect(expiryOf(at, new Date('2026-12-01T11:55:00Z')).toISOString()).toBe('2026-12-01T12:00:00.000Z');
  });
});
