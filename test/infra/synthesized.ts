import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';

/**
 * The real app, with cdk-nag, synthesized once for every infrastructure spec of the run (each
 * synthesis costs tens of seconds of CPU); functions are not bundled here (`cdk synth` does that).
 * The specs are modules imported by `deployment.test.ts`, so they share this one app.
 */
function synth() {
  const built = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
  return {
    ...built,
    data: Template.fromStack(built.data),
    hub: Template.fromStack(built.hub),
    api: Template.fromStack(built.hub.apiStack),
    monitoring: Template.fromStack(built.hub.monitoringStack),
  };
}

export type Synthesized = ReturnType<typeof synth>;
let once: Synthesized | undefined;
export const synthesized = (): Synthesized => {
  once ??= synth();
  return once;
};
