import type { Command } from 'commander';

/** PLACEHOLDER: the `hub` commands of this part of issue 12 (replaced by its owner). */
export function registerNotificationPreferenceCommands(_program: Command): void {}
