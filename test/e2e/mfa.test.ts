import { generate } from 'otplib';
import { claimsOf, orgWithPasswordUser as orgWithUser } from '../support/password-users';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, runCli, startRuntime } from '../support/runtime-process';

/**
 * Authenticator apps (TOTP) of password users, as a new user meets them: a password at the local
 * user pool, `hub login`, enrolment through the API with the user's access token, the code asked
 * at every sign-in after, and an org that requires a second factor.
 */
let hub: RuntimeProcess;
beforeAll(async () => {
  hub = await startRuntime();
}, 180_000);
afterAll(async () => {
  await hub?.stop();
});

const orgWithPasswordUser = (slug: string) => orgWithUser(hub, slug);

describe('authenticator apps over HTTP and the CLI', () => {
  it('enrols an app with the access token, signs the user out everywhere, and asks its code at each sign-in after; an org requiring MFA admits only such sessions, and the enrolment routes before', async () => {
    const { base, asOwner, login, signIn } = await orgWithPasswordUser('mfa-enrol');
    const first = signIn();
    expect(claimsOf(first.idToken)['custom:amr']).toBe('pwd');
    const asAda = client(hub, first.idToken);
    expect((await asAda('GET', `${base}/me/mfa`)).json).toEqual({
      totp: { enabled: false, enabledAt: null },
      required: false,
    });

    // The org requires a second factor: this password-only session may reach the enrolment routes only.
    expect((await asOwner('PATCH', base, { settings: { mfaRequired: true } })).status).toBe(200);
    const refused = await eventually(async () => {
      const res = await asAda('GET', base);
      return res.status === 403 ? res : undefined;
    });
    expect(refused.json.type).toMatch(/mfa-required/);
    // Each function caches the org's settings for a few seconds, as the gate does.
    await eventually(async () =>
      (await asAda('GET', `${base}/me/mfa`)).json.required === true ? true : undefined,
    );

    // Only the caller's own access token: not the ID token, nor garbage.
    expect((await asAda('POST', `${base}/me/mfa/totp`, { accessToken: first.idToken })).status).toBe(400);
    const started = await asAda('POST', `${base}/me/mfa/totp`, { accessToken: first.accessToken });
    expect(started.status).toBe(200);
    expect(started.headers.get('cache-control')).toBe('no-store');
    const secret = String(started.json.secretCode);
    expect(started.json.otpauthUri).toBe(
      `otpauth://totp/Integration%20Hub%3Aada%40mfa-enrol.test?secret=${secret}&issuer=Integration+Hub&algorithm=SHA1&digits=6&period=30`,
    );

    const code = await generate({ secret });
    const wrong = code === '000000' ? '111111' : '000000';
    const mismatch = await asAda('POST', `${base}/me/mfa/totp/verify`, {
      accessToken: first.accessToken,
      code: wrong,
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.detail).toMatch(/does not match/);
    const verified = await asAda('POST', `${base}/me/mfa/totp/verify`, {
      accessToken: first.accessToken,
      code,
      deviceName: "Ada's phone",
    });
    expect(verified.status).toBe(200);
    expect(verified.json).toMatchObject({ totp: { enabled: true }, required: true, signedOut: true });

    // Every earlier session is refused; a sign-in now needs the app's code.
    await eventually(async () => ((await asAda('GET', `${base}/me/mfa`)).status === 401 ? true : undefined));
    const noCode = login();
    expect(noCode.status).not.toBe(0);
    expect(noCode.stderr).toMatch(/--code/);
    expect(login('--code', wrong).stderr).toMatch(/CodeMismatch/);
    const second = signIn('--code', await generate({ secret }));
    expect(claimsOf(second.idToken)['custom:amr']).toBe('pwd otp');
    const asAdaWithApp = client(hub, second.idToken);
    expect((await asAdaWithApp('GET', base)).status).toBe(200);

    // Where the org requires a second factor, the app cannot be turned off, only replaced or reset.
    expect((await asAdaWithApp('DELETE', `${base}/me/mfa/totp`)).status).toBe(409);

    // The trail says what happened, never the secret.
    const audit = await asOwner('GET', `${base}/audit-events?limit=50`);
    const actions = (audit.json.items as { action: string }[]).map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining(['mfa.totp_enrolment_started', 'mfa.totp_enabled', 'session.revoked']),
    );
    expect(audit.text).not.toContain(secret);
  });

  it("turns the app off after a recent sign-in with it; an admin's reset ends the user's sessions and the code is no longer asked", async () => {
    const { base, asOwner, userId, email, login, signIn, signedInAdmin } =
      await orgWithPasswordUser('mfa-off');
    const enrol = async () => {
      const session = signIn();
      const asAda = client(hub, session.idToken);
      const secret = String(
        (await asAda('POST', `${base}/me/mfa/totp`, { accessToken: session.accessToken })).json.secretCode,
      );
      const res = await asAda('POST', `${base}/me/mfa/totp/verify`, {
        accessToken: session.accessToken,
        code: await generate({ secret }),
      });
      expect(res.status).toBe(200);
      return secret;
    };

    const secret = await enrol();
    const withApp = signIn('--code', await generate({ secret }));
    expect((await client(hub, withApp.idToken)('DELETE', `${base}/me/mfa/totp`)).status).toBe(204);
    const plain = signIn();
    expect(claimsOf(plain.idToken)['custom:amr']).toBe('pwd');
    const status = (await client(hub, plain.idToken)('GET', `${base}/me/mfa`)).json as {
      totp: { enabled: boolean };
    };
    expect(status.totp.enabled).toBe(false);

    const again = await enrol();
    const held = signIn('--code', await generate({ secret: again }));
    // An API key has no second factors of its own.
    expect((await asOwner('GET', `${base}/me/mfa`)).status).toBe(403);
    // Only a signed-in admin resets a second factor: an API key (a leaked one) cannot strip it.
    const byKey = await asOwner('DELETE', `${base}/users/${userId}/mfa`);
    expect(byKey.status).toBe(403);
    expect(byKey.json.detail).toMatch(/signed-in admin/);
    const asGrace = client(hub, await signedInAdmin());
    expect((await asGrace('DELETE', `${base}/users/${userId}/mfa`)).status).toBe(204);
    await eventually(async () =>
      (await client(hub, held.idToken)('GET', base)).status === 401 ? true : undefined,
    );
    expect(login().status).toBe(0);
    // Ada is told who reset them, and what to do if she did not ask for it.
    const notice = await eventually(async () => {
      const res = await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(email)}`);
      const items = ((await res.json()) as { items: { subject: string; text: string }[] }).items;
      return items.find((m) => m.subject === 'Your Integration Hub second factors were reset');
    });
    expect(notice.text).toContain(`grace@mfa-off.test`);
    expect(notice.text).toMatch(/did not ask for this/);
    const audit = await asOwner('GET', `${base}/audit-events?limit=50`);
    expect((audit.json.items as { action: string }[]).map((a) => a.action)).toEqual(
      expect.arrayContaining(['mfa.totp_disabled', 'mfa.totp_reset']),
    );
  });

  it('refuses a password the pool policy does not take, and a wrong password, with the reason', async () => {
    const { org, email } = await orgWithPasswordUser('mfa-pw');
    const weak = runCli(hub, ['pool', 'set-password', '--email', email, '--org', org.id], undefined, {
      HUB_PASSWORD: 'short',
    });
    expect(weak.stderr).toMatch(/InvalidPasswordException/);
    const wrong = runCli(hub, ['login', '--email', email], undefined, {
      HUB_PASSWORD: 'Wrong-password-123456',
    });
    expect(wrong.stderr).toMatch(/Incorrect username or password/);
  });
});
