import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GITHUB_HUMAN, startFakeGithub } from '../test/fakes/github';
import { JIRA_HUMAN, startFakeJira } from '../test/fakes/jira';

/**
 * `npm run fakes`: the loopback fakes of GitHub and Jira Cloud on their own, for trying the hub's
 * connections by hand on one machine. Prints what to give the hub; Ctrl-C stops them.
 */
const dataDir = resolve(process.env.HUB_DATA_DIR ?? '.hub-data', 'fakes');
mkdirSync(dataDir, { recursive: true });
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = join(dataDir, 'github-app.pem');
writeFileSync(keyFile, privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), { mode: 0o600 });
const app = { appId: '1001', installationId: 2002, publicKey };
const jiraAccount = { email: 'bot@example.test', apiToken: 'fake-jira-token' };
// Fixed ports by default, so the URLs given to the hub stay right across restarts; 0 picks free ones.
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const github = await startFakeGithub(app, [], { port: port('FAKE_GITHUB_PORT', 3101) });
const jira = await startFakeJira(jiraAccount, { port: port('FAKE_JIRA_PORT', 3102) });

process.stdout.write(
  [
    `[fakes] GitHub API  ${github.url}  (GitHub App ${app.appId}, installation ${app.installationId}, key ${keyFile})`,
    `[fakes] Jira site   ${jira.url}  (${jiraAccount.email}, API token ${jiraAccount.apiToken})`,
    '',
    'With the hub running (npm start), for example:',
    `  npx hub connections create <orgId> --provider github --name GitHub --base-url ${github.url}`,
    `  npx hub connections set-credentials <orgId> <connectionId> --github-app-id ${app.appId} --installation-id ${app.installationId} --private-key-file ${keyFile}`,
    '  npx hub connections test <orgId> <connectionId>',
    `  npx hub connections create <orgId> --provider jira --name Jira --base-url ${jira.url}`,
    `  JIRA_API_TOKEN=${jiraAccount.apiToken} npx hub connections set-credentials <orgId> <connectionId> --jira-email ${jiraAccount.email}`,
    'Then tell each fake where its webhooks go (the connection webhookUrl on the hub, and its secret):',
    `  curl -X PUT ${github.url}/_fake/webhook -d '{"url": "http://127.0.0.1:3000/webhooks/github/<connectionId>", "secret": "whsec_…"}'`,
    `  curl -X PUT ${jira.url}/_fake/webhook -d '{"url": "http://127.0.0.1:3000/webhooks/jira/<connectionId>", "secret": "whsec_…"}'`,
    '  npx hub mappings create <orgId> --tracker-connection <jira con> --project WEB --code-host-connection <github con> --repository acme/web',
    `A person acts on the fakes as GitHub token ${GITHUB_HUMAN.token}, Jira ${JIRA_HUMAN.email} / ${JIRA_HUMAN.apiToken}.`,
    '[fakes] ready',
    '',
  ].join('\n'),
);

const stop = async () => {
  await Promise.all([github.stop(), jira.stop()]);
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
