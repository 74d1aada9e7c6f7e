import {
  consumeInstallState,
  INSTALL_STATE_TTL_MS,
  installStateHash,
  mintInstallState,
  readInstallState,
} from '../../../../shared/chat/install-state';
import { installStatesDouble } from '../../../fakes/slack/chat-deps';

const key = 'derived-app-key';
const by = { provider: 'chatapp', orgId: 'org_A', userId: 'usr_A' };

describe("a chat app install's state", () => {
  it('is signed, bound to the org and user, stored only by its hash, and used once', async () => {
    const store = installStatesDouble();
    const now = new Date();
    const state = await mintInstallState({ store, key, now }, by);
    expect([...store.states.keys()]).toEqual([installStateHash(state)]);
    expect(readInstallState(key, state, 'chatapp', now)).toMatchObject({ ok: true, claims: by });
    expect(await consumeInstallState({ store, key, now }, state, 'chatapp')).toMatchObject({
      ok: true,
      claims: by,
    });
    expect(await consumeInstallState({ store, key, now }, state, 'chatapp')).toEqual({
      ok: false,
      reason: 'used',
    });
  });

  it('names its installation in the signed state, keeps what it will bind in the record only, and lives as long as asked', async () => {
    const store = installStatesDouble();
    const now = new Date();
    const pending = { connectionId: 'con_A', conversationId: '19:secret-room' };
    const state = await mintInstallState(
      { store, key, now, ttlMs: 30 * 60_000 },
      { ...by, installationId: 'tenant-a', pending },
    );
    expect(Buffer.from(String(state.split('.')[0]), 'base64url').toString()).not.toContain('secret-room');
    const read = readInstallState(key, state, 'chatapp', new Date(now.getTime() + 20 * 60_000));
    expect(read).toMatchObject({ ok: true, claims: { installationId: 'tenant-a' } });
    expect(read.ok && read.claims.pending).toBeFalsy();
    expect(await consumeInstallState({ store, key, now }, state, 'chatapp')).toMatchObject({
      ok: true,
      claims: { ...by, installationId: 'tenant-a', pending },
    });
  });

  it('is refused when signed with another key, changed, for another provider, or expired', async () => {
    const store = installStatesDouble();
    const now = new Date();
    const state = await mintInstallState({ store, key, now }, by);
    expect(readInstallState('another-key', state, 'chatapp', now)).toEqual({ ok: false, reason: 'forged' });
    expect(readInstallState(key, `x${state}`, 'chatapp', now)).toEqual({ ok: false, reason: 'forged' });
    expect(readInstallState(key, 'no-dot', 'chatapp', now)).toEqual({ ok: false, reason: 'forged' });
    expect(readInstallState(key, state, 'other', now)).toEqual({ ok: false, reason: 'forged' });
    const later = new Date(now.getTime() + INSTALL_STATE_TTL_MS + 1);
    expect(await consumeInstallState({ store, key, now: later }, state, 'chatapp')).toEqual({
      ok: false,
      reason: 'expired',
    });
    // A refused state is not used up by the refusal.
    expect(store.states.size).toBe(1);
  });

  it('is refused when signed but never recorded (a key that leaked cannot mint states that work)', async () => {
    const store = installStatesDouble();
    const now = new Date();
    const state = await mintInstallState({ store: installStatesDouble(), key, now }, by);
    expect(await consumeInstallState({ store, key, now }, state, 'chatapp')).toEqual({
      ok: false,
      reason: 'used',
    });
  });
});
