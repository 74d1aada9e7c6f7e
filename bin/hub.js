#!/usr/bin/env node
// `npx hub …`: runs the TypeScript CLI through tsx's loader, so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('./hub-cli.ts');
