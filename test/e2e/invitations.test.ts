import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';

let hub: RuntimeProcess;
beforeAll(async () => {
  hub = await startRuntime();
});
afterAll(async () => {
  await hub?.stop();
});

interface Mail {
  to: string[];
  subject: string;
  text: string;
}

async function mailTo(address: string, count = 1): Promise<Mail[]> {
  return eventually(async () => {
    const res = await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(address)}`);
    const items = ((await res.json()) as { items: Mail[] }).items;
    return items.length >= count ? items : undefined;
  });
}

const tokenIn = (mail: Mail | undefined) => /hubinv_[A-Za-z0-9_-]{43}/.exec(mail?.text ?? '')?.[0] ?? '';

describe('invitations over HTTP and the CLI', () => {
  it('invites by email through the outbox, and the token from the email makes the invitee a user', async () => {
    const admin = client(hub);
    const org = (await admin('POST', '/v1/orgs', { name: 'Invites', slug: 'invites' })).json as {
      id: string;
    };
    const owner = String(
      (await admin('POST', `/v1/orgs/${org.id}/api-keys`, { name: 'owner', role: 'owner' })).json.key,
    );
    const asOwner = client(hub, owner);

    const created = await asOwner('POST', `/v1/orgs/${org.id}/invitations`, {
      email: 'grace@example.com',
      role: 'auditor',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ email: 'grace@example.com', role: 'auditor', status: 'pending' });
    expect(created.text).not.toMatch(/hubinv_|tokenHash/);

    const [mail] = await mailTo('grace@example.com');
    expect(mail?.subject).toContain('Invites');
    const token = tokenIn(mail);
    expect(token).not.toBe('');
    // Nothing secret rides along in the event feed.
    const feed = await asOwner('GET', `/v1/orgs/${org.id}/events`);
    expect(feed.text).not.toContain(token);

    // The CLI lists the captured mailbox and accepts with the token, no credential needed.
    expect(runCli(hub, ['mailbox', '--to', 'grace@example.com']).stdout).toContain(token);
    const accepted = runCli(hub, ['invitations', 'accept', token, '--name', 'Grace'], 'no-credential');
    expect(accepted.status).toBe(0);
    const user = JSON.parse(accepted.stdout) as { id: string; role: string; email: string };
    expect(user).toMatchObject({ role: 'auditor', email: 'grace@example.com' });

    const again = await client(hub, '')('POST', '/v1/invitations/accept', { token, name: 'Grace' });
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    const users = (await asOwner('GET', `/v1/orgs/${org.id}/users`)).json.items as { id: string }[];
    expect(users.map((u) => u.id)).toContain(user.id);

    const trail = (await asOwner('GET', `/v1/orgs/${org.id}/audit-events`)).json.items as {
      action: string;
    }[];
    expect(trail.map((r) => r.action)).toEqual(
      expect.arrayContaining(['invitation.created', 'invitation.accepted']),
    );
  });

  it('resends with a new token, revokes, and answers bad input with problem+json', async () => {
    const admin = client(hub);
    const org = (await admin('POST', '/v1/orgs', { name: 'Resends', slug: 'resends' })).json as {
      id: string;
    };
    const invitation = (await admin('POST', `/v1/orgs/${org.id}/invitations`, { email: 'hal@example.com' }))
      .json as { id: string };
    const [first] = await mailTo('hal@example.com');
    const resent = await admin('POST', `/v1/orgs/${org.id}/invitations/${invitation.id}/resend`);
    expect(resent.status).toBe(200);
    expect(resent.json.sendCount).toBe(2);
    const mails = await mailTo('hal@example.com', 2);
    expect(tokenIn(mails[0])).not.toBe(tokenIn(first));
    const anon = client(hub, '');
    expect(
      (await anon('POST', '/v1/invitations/accept', { token: tokenIn(first), name: 'Hal' })).status,
    ).toBe(404);

    const revoked = await admin('DELETE', `/v1/orgs/${org.id}/invitations/${invitation.id}`);
    expect(revoked.json.status).toBe('revoked');
    expect(
      (await anon('POST', '/v1/invitations/accept', { token: tokenIn(mails[0]), name: 'Hal' })).status,
    ).toBe(404);
    expect((await admin('DELETE', `/v1/orgs/${org.id}/invitations/${invitation.id}`)).status).toBe(409);

    const listed = (await admin('GET', `/v1/orgs/${org.id}/invitations`)).json.items as { status: string }[];
    expect(listed.map((i) => i.status)).toEqual(['revoked']);

    for (const body of [{ token: 'nope' }, { token: 'x'.repeat(500), name: 'n' }, {}]) {
      const bad = await anon('POST', '/v1/invitations/accept', body);
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
    }
    const badEmail = await admin('POST', `/v1/orgs/${org.id}/invitations`, { email: 'not-an-email' });
    expect(badEmail.status).toBe(400);
  });
});
