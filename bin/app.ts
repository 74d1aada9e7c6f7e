import { buildApp } from '../lib/app';

/** `npx cdk synth` / `npx cdk deploy`: the account and region come from the CLI's environment. */
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
buildApp(undefined, account && region ? { account, region } : undefined).app.synth();
