import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import { confirmAddress, withoutConfirmations } from '../support/mail-confirmations';
import type { RuntimeProcess } from '../support/runtime-process';
import { client, eventually, startRuntime } from '../support/runtime-process';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * The notify system whole, as an org uses it: a GitHub pull request is merged, a notification rule
 * with a repository condition matches, and the rule's webhook endpoint (which takes only what rules
 * send it) gets it once, verified with `standardwebhooks`, while its email destination gets the
 * rendered mail with a one-click unsubscribe. A PR merged in another repository matches nothing.
 */
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: Record<string, unknown>[];
}[];

type Json = Record<string, unknown>;

let hub: RuntimeProcess;
let receiver: WebhookReceiver;
beforeAll(async () => {
  hub = await startRuntime();
  receiver = await new WebhookReceiver().start();
}, 240_000);
afterAll(async () => {
  await receiver?.stop();
  await hub?.stop();
});

/** GitHub's own example of a closed pull request, merged, moved to `repository` and numbered `number`. */
function mergedPullRequest(repository: string, number: number): Json {
  const closed = examples.find((e) => e.name === 'pull_request')?.examples.find((p) => p.action === 'closed');
  if (!closed) throw new Error('no closed pull_request example in @octokit/webhooks-examples');
  const copy = structuredClone(closed) as Json & { pull_request: Json; repository: Json };
  copy.repository = { ...copy.repository, full_name: repository, name: repository.split('/')[1] };
  // GitHub sends a merge as `closed` with `merged: true`.
  copy.pull_request = {
    ...copy.pull_request,
    number,
    title: `Merged change ${number}`,
    merged: true,
    merged_at: new Date().toISOString(),
  };
  return copy;
}

describe('a merged pull request, through a notification rule, to an endpoint and an inbox', () => {
  it('delivers once to the rule’s endpoint and mails the rule’s address, and nothing for another repository', async () => {
    const admin = client(hub);
    const slug = `flow-${Date.now().toString(36)}`;
    const org = (await admin('POST', '/v1/orgs', { name: 'Flow', slug })).json as { id: string };
    const con = (
      await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'github', name: 'GitHub' })
    ).json as { id: string; webhookSecret: string; webhookUrl: string };
    const ep = (
      await admin('POST', `/v1/orgs/${org.id}/webhook-endpoints`, { url: receiver.url, eventTypes: [] })
    ).json as { id: string; secret: string };
    receiver.secrets.push(ep.secret);
    const address = `${slug}@example.test`;
    const rule = await admin('POST', `/v1/orgs/${org.id}/notification-rules`, {
      name: 'Merged in web',
      eventTypes: ['pull_request.merged'],
      conditions: { containers: ['acme/web'] },
      destinations: [
        { kind: 'webhook_endpoint', endpointId: ep.id },
        { kind: 'email', addresses: [address] },
      ],
    });
    expect(rule.status).toBe(201);
    // Double opt-in: the address gets email only once its owner confirmed it.
    await confirmAddress(hub, address);

    const deliver = async (payload: Json, delivery: string) => {
      const body = JSON.stringify(payload);
      const res = await client(hub, '')('POST', con.webhookUrl, body, {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': delivery,
        'x-hub-signature-256': await sign(con.webhookSecret, body),
      });
      expect(res.status).toBe(202);
      return String(res.json.eventId);
    };
    // Another repository first: if it matched, the receiver would see it before the one that does.
    const otherId = await deliver(mergedPullRequest('acme/api', 7), `${slug}-api`);
    const eventId = await deliver(mergedPullRequest('acme/web', 12), `${slug}-web`);

    await receiver.until((got) => got.some((r) => JSON.parse(r.body).id === eventId), 120_000);
    const ours = receiver.received.filter((r) => r.verifiedWith.length > 0);
    expect(ours.map((r) => (JSON.parse(r.body) as Json).id)).toEqual([eventId]);
    expect(JSON.parse(String(ours[0]?.body))).toMatchObject({
      id: eventId,
      type: 'pull_request.merged',
      source: { provider: 'github', connectionId: con.id },
      data: { pullRequest: { number: 12 } },
    });

    // Tried against the other repository's stored event, the rule says why it does not match.
    const ruleId = String((rule.json as { id: string }).id);
    const tried = await eventually(async () => {
      const res = await admin('POST', `/v1/orgs/${org.id}/notification-rules/${ruleId}/test`, {
        eventId: otherId,
      });
      return res.status === 200 ? (res.json as { matched: boolean; reasons: string[] }) : undefined;
    });
    expect(tried.matched).toBe(false);
    expect(JSON.stringify(tried.reasons)).toContain('acme/api');

    const mail = await eventually(async () => {
      const box = (await (
        await fetch(`${hub.url}/_local/mailbox?to=${encodeURIComponent(address)}`)
      ).json()) as {
        items: Json[];
      };
      const sent = withoutConfirmations(box.items as { subject: string }[]);
      return sent.length > 0 ? sent : undefined;
    }, 60_000);
    expect(mail).toHaveLength(1);
    const sent = mail[0] as {
      subject: string;
      text: string;
      html?: string;
      headers?: Record<string, string>;
    };
    expect(sent.subject).toContain('12');
    expect(sent.text).toContain('acme/web');
    expect(sent.headers?.['List-Unsubscribe-Post'] ?? sent.headers?.['list-unsubscribe-post']).toBe(
      'List-Unsubscribe=One-Click',
    );
  }, 240_000);
});
