import { generateKeyPairSync } from 'node:crypto';
import type { FakeGithub } from '../fakes/github';
import { GITHUB_HUMAN, startFakeGithub } from '../fakes/github';
import type { FakeJira } from '../fakes/jira';
import { JIRA_HUMAN, startFakeJira } from '../fakes/jira';
import type { RuntimeProcess } from './runtime-process';
import { client } from './runtime-process';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the providers' JSON freely
type Json = Record<string, any>;

const APP_ID = '4242';
const INSTALLATION_ID = 99;
const JIRA_BOT = { email: 'bot@acme.test', apiToken: 'atlassian-token' };

/** A Jira fake and a GitHub fake (with a GitHub App of their own), for the end-to-end sync tests. */
export interface SyncFakes {
  readonly github: FakeGithub;
  readonly jira: FakeJira;
  /** Calls a fake's REST API as a person would (not as the hub's app). */
  asHuman(fake: 'jira' | 'github', method: string, path: string, body?: unknown): Promise<Json>;
  stop(): Promise<void>;
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

export async function startSyncFakes(): Promise<SyncFakes> {
  const github = await startFakeGithub({ appId: APP_ID, publicKey, installationId: INSTALLATION_ID });
  const jira = await startFakeJira(JIRA_BOT);
  return {
    github,
    jira,
    asHuman: async (fake, method, path, body) => {
      const url = fake === 'jira' ? jira.url : github.url;
      const auth =
        fake === 'jira'
          ? `Basic ${Buffer.from(`${JIRA_HUMAN.email}:${JIRA_HUMAN.apiToken}`).toString('base64')}`
          : `token ${GITHUB_HUMAN.token}`;
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as Json) : {};
    },
    stop: async () => {
      await github.stop();
      await jira.stop();
    },
  };
}

/**
 * Connects both fakes to one org of the hub, as its admins would: a connection each with its
 * credentials, and each fake sending its signed webhooks to its connection's URL.
 */
export async function connectSyncFakes(
  hub: RuntimeProcess,
  orgId: string,
  fakes: SyncFakes,
): Promise<{ jiraConnection: string; githubConnection: string }> {
  const admin = client(hub);
  const make = async (provider: 'jira' | 'github', baseUrl: string, credentials: Json) => {
    const con = (
      await admin('POST', `/v1/orgs/${orgId}/connections`, { provider, name: provider, config: { baseUrl } })
    ).json as Json;
    const set = await admin('PUT', `/v1/orgs/${orgId}/connections/${con.id}/credentials`, credentials);
    if (set.status !== 200) throw new Error(`credentials for ${provider}: ${set.status}`);
    fakes[provider].webhooks.setTarget({ url: `${hub.url}${con.webhookUrl}`, secret: con.webhookSecret });
    return con.id as string;
  };
  return {
    jiraConnection: await make('jira', fakes.jira.url, { kind: 'jira_api_token', ...JIRA_BOT }),
    githubConnection: await make('github', fakes.github.url, {
      kind: 'github_app',
      appId: APP_ID,
      installationId: INSTALLATION_ID,
      privateKey: pem,
    }),
  };
}
