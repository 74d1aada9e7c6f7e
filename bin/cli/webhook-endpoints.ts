import type { Command } from 'commander';

/** PLACEHOLDER: the `hub` commands of this part of issue 12 (replaced by its owner). */
export function registerWebhookEndpointCommands(_program: Command): void {}
