import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY_FILE } from '../lib/local/data-files';
import { startLocalRuntime } from '../lib/local/runtime';
import { localLifecycle } from './local-shutdown';

/** `npm start`: the whole hub on one machine, in the foreground, until Ctrl-C (or however else it ends). */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.HUB_PORT ?? 3000);
const dataDir = resolve(process.env.HUB_DATA_DIR ?? '.hub-data');
const workers = (process.env.HUB_WORKERS ?? 'on') !== 'off';
const warm = (process.env.HUB_WARM ?? 'on') !== 'off';
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`HUB_PORT must be a port number, got "${process.env.HUB_PORT}"`);
  process.exit(1);
}

// Installed before anything starts: an ending during startup waits for it, then stops everything.
const lifecycle = localLifecycle();
const log = lifecycle.log;
try {
  const runtime = await startLocalRuntime({ port, dataDir, root, log, workers, warm });
  if (runtime.newAdminKey) {
    log('');
    log('Platform-admin API key (shown once; also written to');
    log(`  ${resolve(dataDir, ADMIN_KEY_FILE)} with mode 0600):`);
    log(`  ${runtime.newAdminKey}`);
    log('');
  }
  if (!workers) log('workers are off (HUB_WORKERS=off): accepted events stay queued');
  log(`ready: ${runtime.url}  (health: ${runtime.url}/healthz, API: ${runtime.url}/v1/openapi.json)`);
  lifecycle.stopOnEveryEnding(() => runtime.stop());
} catch (error) {
  console.error(`[hub] failed to start: ${(error as Error).message}`);
  process.exit(1);
}
