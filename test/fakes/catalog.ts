import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GITHUB_HUMAN, startFakeGithub } from './github';
import { GITLAB_HUB, GITLAB_HUMAN, startFakeGitlab } from './gitlab';
import { JIRA_HUMAN, startFakeJira } from './jira';
import { startFakeTeams, TEAMS_PERSON, TEAMS_TENANT } from './msteams/fake-teams';
import { FAKE_SLACK_TEAM, SLACK_HUMAN, startFakeSlack } from './slack/fake-slack';

/** A fake running on its own (`npm run fakes`): where it is, and how to point the hub at it. */
export interface StartedFake {
  readonly url: string;
  /** What to tell a person: the account the hub acts as, and the commands that connect the hub. */
  readonly lines: readonly string[];
  stop(): Promise<void>;
}

/** One loopback fake of a provider: its provider id, its default port and how to start it. */
export interface FakeEntry {
  readonly id: string;
  readonly port: number;
  start(options: { port: number; dataDir: string }): Promise<StartedFake>;
}

const webhookLine = (id: string, url: string) =>
  `  curl -X PUT ${url}/_fake/webhook -d '{"url": "http://127.0.0.1:3000/webhooks/${id}/<connectionId>", "secret": "whsec_…"}'`;

/** Every provider fake `npm run fakes` starts. A new fake is its file in test/fakes and a line here. */
export const FAKES: readonly FakeEntry[] = [
  {
    id: 'github',
    port: 3101,
    start: async ({ port, dataDir }) => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const keyFile = join(dataDir, 'github-app.pem');
      writeFileSync(keyFile, privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), { mode: 0o600 });
      const app = { appId: '1001', installationId: 2002, publicKey };
      const fake = await startFakeGithub(app, [], { port });
      return {
        url: fake.url,
        stop: () => fake.stop(),
        lines: [
          `[fakes] GitHub API  ${fake.url}  (GitHub App ${app.appId}, installation ${app.installationId}, key ${keyFile})`,
          `  a person acts on it as GitHub token ${GITHUB_HUMAN.token}`,
          `  npx hub connections create <orgId> --provider github --name GitHub --base-url ${fake.url}`,
          `  npx hub connections set-credentials <orgId> <connectionId> --kind github_app --app-id ${app.appId} --installation-id ${app.installationId} --private-key-file ${keyFile}`,
          webhookLine('github', fake.url),
        ],
      };
    },
  },
  {
    id: 'jira',
    port: 3102,
    start: async ({ port }) => {
      const account = { email: 'bot@example.test', apiToken: 'fake-jira-token' };
      const fake = await startFakeJira(account, { port });
      return {
        url: fake.url,
        stop: () => fake.stop(),
        lines: [
          `[fakes] Jira site   ${fake.url}  (${account.email}, API token ${account.apiToken})`,
          `  a person acts on it as ${JIRA_HUMAN.email} / ${JIRA_HUMAN.apiToken}`,
          `  npx hub connections create <orgId> --provider jira --name Jira --base-url ${fake.url}`,
          `  JIRA_API_TOKEN=${account.apiToken} npx hub connections set-credentials <orgId> <connectionId> --kind jira_api_token --email ${account.email} --api-token-env JIRA_API_TOKEN`,
          webhookLine('jira', fake.url),
        ],
      };
    },
  },
  {
    id: 'gitlab',
    port: 3103,
    start: async ({ port }) => {
      const fake = await startFakeGitlab({ port });
      const project = 'acme/web';
      fake.projects.project(project);
      return {
        url: fake.url,
        stop: () => fake.stop(),
        lines: [
          `[fakes] GitLab      ${fake.url}  (project ${project}; the hub's token ${GITLAB_HUB.token}, user ${GITLAB_HUB.username})`,
          `  a person acts on it as GitLab token ${GITLAB_HUMAN.token} (${GITLAB_HUMAN.username})`,
          `  npx hub connections create <orgId> --provider gitlab --name GitLab --base-url ${fake.url}`,
          `  GITLAB_TOKEN=${GITLAB_HUB.token} npx hub connections set-credentials <orgId> <connectionId> --kind gitlab_token --token-env GITLAB_TOKEN`,
          webhookLine('gitlab', fake.url),
        ],
      };
    },
  },
  {
    id: 'slack',
    port: 3104,
    start: async ({ port }) => {
      const fake = await startFakeSlack({ port });
      return {
        url: fake.url,
        stop: () => fake.stop(),
        lines: [
          `[fakes] Slack       ${fake.url}  (workspace ${FAKE_SLACK_TEAM.name} ${FAKE_SLACK_TEAM.id}; the Slack app's local defaults point here)`,
          `  ${SLACK_HUMAN.realName} (${SLACK_HUMAN.id}, ${SLACK_HUMAN.email}, email confirmed) uses it`,
          '  install: open the URL the hub gives for installing Slack; the fake approves at once',
        ],
      };
    },
  },
  {
    id: 'msteams',
    port: 3106,
    start: async ({ port }) => {
      const fake = await startFakeTeams({ port });
      const channel = '19:general@thread.tacv2';
      fake.addChannel(channel, { name: 'General' });
      return {
        url: fake.url,
        stop: () => fake.stop(),
        lines: [
          `[fakes] Teams       ${fake.url}  (Bot Framework issuer, AAD token endpoint, Bot Connector at ${fake.serviceUrl}, Workflows webhooks)`,
          `  tenant ${TEAMS_TENANT}, channel ${channel}, person ${TEAMS_PERSON.name} (${TEAMS_PERSON.aadObjectId})`,
          `  the hub's msteams app settings: ${JSON.stringify(fake.settings)}`,
          `  npx hub connections create <orgId> --provider msteams --name Teams --base-url ${fake.url}`,
          `  npx hub connections set-credentials <orgId> <connectionId> --kind teams_bot --tenant-id ${TEAMS_TENANT}`,
          `  then send the bot "connect <connectionId>" from the tenant (test/fakes/msteams: fake.send)`,
          `  a Workflows webhook URL: ${fake.workflowUrl('demo')}`,
        ],
      };
    },
  },
];
