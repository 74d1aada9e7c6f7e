import type { FakeSlack } from '../test/fakes/slack/fake-slack';
import { FAKE_SLACK_CHANNEL, SLACK_HUMAN, startFakeSlack } from '../test/fakes/slack/fake-slack';
import { SlackRequests } from '../test/fakes/slack/requests';
import { Browser } from '../test/support/browser';
import type { RuntimeProcess } from '../test/support/runtime-process';
import { client } from '../test/support/runtime-process';
import { signedHeaders } from '../test/support/webhooks';
import type { Summary } from './stats';
import { summarise, timeSequential } from './stats';

const EVENTS = Number(process.env.BENCH_CHAT_N ?? 60);
/**
 * Events go out at this pace: the chat channel keeps to Slack's one message a second per channel,
 * so events sent faster would measure that pacing, not how soon an event reaches Slack.
 */
/** Enough to have met every delivery environment once. */
const WARM_EVENTS = 6;
const INTERVAL_MS = Number(process.env.BENCH_CHAT_INTERVAL_MS ?? 1_100);
const COMMANDS = Number(process.env.BENCH_CHAT_COMMANDS ?? 100);

type Json = Record<string, unknown>;

/** Installs the hub's Slack app into the fake's workspace for an org, as a person would. */
async function install(hub: RuntimeProcess, orgId: string): Promise<string> {
  const admin = client(hub);
  const started = await admin('POST', `/v1/orgs/${orgId}/chat-installs`, { provider: 'slack' });
  let next = String(started.json.installUrl);
  // One browser throughout: the install is bound to the browser that opened its link (a cookie).
  const browser = new Browser();
  for (let hop = 0; hop < 4; hop++) {
    const res = await browser.open(next);
    const location = res.headers.get('location');
    await res.body?.cancel();
    if (!location) break;
    next = new URL(location, next).toString();
  }
  const list = (await admin('GET', `/v1/orgs/${orgId}/connections`)).json as { items: Json[] };
  const con = list.items.find((c) => c.provider === 'slack');
  if (!con) throw new Error('the Slack install made no connection');
  return String(con.id);
}

/** Resolves once the fake has seen `count` calls of `method` (polled: the fake is in this process). */
async function callsReach(slack: FakeSlack, method: string, count: number, ms = 30_000): Promise<number> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (slack.calls.filter((c) => c.method === method).length >= count) return performance.now();
    if (performance.now() > deadline) throw new Error(`${method} was not called within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * Chat (issue 13): an event through a rule to a Slack channel — from the webhook's POST to the
 * fake Slack seeing `chat.postMessage` — and a slash command's acknowledgement (Slack gives an app
 * 3 s), with the unauthenticated health check measured in the same run as the floor.
 */
export async function measureChat(
  hub: RuntimeProcess,
  report: (label: string, s: Summary) => void,
  lines: string[],
): Promise<void> {
  const admin = client(hub);
  const slack = await startFakeSlack();
  try {
    const put = await admin('PUT', '/v1/platform/chat-apps/slack', slack.appSettings);
    if (put.status !== 200) throw new Error(`chat app settings: ${put.status} ${put.text}`);
    const org = (
      await admin('POST', '/v1/orgs', { name: 'Chat bench', slug: 'bench-chat', plan: 'enterprise' })
    ).json as { id: string };
    const slackConnection = await install(hub, org.id);
    const con = (
      await admin('POST', `/v1/orgs/${org.id}/connections`, { provider: 'generic', name: 'chat bench' })
    ).json as { webhookUrl: string; webhookSecret: string };
    const rule = await admin('POST', `/v1/orgs/${org.id}/notification-rules`, {
      name: 'bench channel',
      enabled: true,
      eventTypes: ['custom.bench.*'],
      conditions: {},
      destinations: [{ kind: 'chat', connectionId: slackConnection, conversation: FAKE_SLACK_CHANNEL }],
    });
    if (rule.status !== 201) throw new Error(`rule: ${rule.status} ${rule.text}`);

    const hook = client(hub, '');
    const send = async (i: number) => {
      const body = JSON.stringify({ type: 'custom.bench.chat', data: { i } });
      const res = await hook(
        'POST',
        con.webhookUrl,
        body,
        signedHeaders(con.webhookSecret, body, `chat_${i}`),
      );
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${res.text}`);
    };
    // Warm: the first events cold-start the webhook, delivery and chat functions, and load the
    // Slack client in each of the delivery worker's environments (it runs up to four side by side).
    const posted = () => slack.calls.filter((c) => c.method === 'chat.postMessage').length;
    for (let w = 1; w <= WARM_EVENTS; w++) {
      const before = posted();
      await send(-w);
      await callsReach(slack, 'chat.postMessage', before + 1, 120_000);
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
    const samples: number[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const before = posted();
      const start = performance.now();
      await send(i);
      samples.push((await callsReach(slack, 'chat.postMessage', before + 1)) - start);
      const left = INTERVAL_MS - (performance.now() - start);
      if (left > 0) await new Promise((r) => setTimeout(r, left));
    }
    const events = summarise(samples);
    report('event → Slack chat.postMessage called', events);

    const health = await timeSequential(COMMANDS, async () => {
      const res = await fetch(`${hub.url}/healthz`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`healthz answered ${res.status}`);
    });
    report('GET /healthz (floor for the acknowledgement)', health);
    const ack = async () => {
      const request = slack.requests.slashCommand({
        text: 'help',
        userId: SLACK_HUMAN.id,
        channelId: FAKE_SLACK_CHANNEL,
      });
      const res = await SlackRequests.send(`${hub.url}/slack/events`, request);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`slash command answered ${res.status}`);
    };
    await ack();
    const acks = await timeSequential(COMMANDS, ack);
    report('slash command → HTTP acknowledgement', acks);
    lines.push(
      `event → Slack API called: p50 ${events.p50.toFixed(1)} ms, p99 ${events.p99.toFixed(1)} ms (n=${EVENTS}, one per ${INTERVAL_MS} ms, as the channel paces one conversation; target p99 < 300 ms, budget 1 s)`,
      `slash command → ack: p50 ${acks.p50.toFixed(1)} ms, p99 ${acks.p99.toFixed(1)} ms (n=${COMMANDS}; Slack allows 3 s); healthz floor p50 ${health.p50.toFixed(1)} ms, p99 ${health.p99.toFixed(1)} ms`,
    );
  } finally {
    await slack.stop();
  }
}
