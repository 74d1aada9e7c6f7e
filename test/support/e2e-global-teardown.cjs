// Stops the run's shared runtime and shared DynamoDB Local, if files started them, and waits (bounded) for them to be gone.
const { existsSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Asks a process to end, waits (bounded) for it to be gone, and kills it if it is not. */
async function end(pid, signal) {
  if (!(pid > 0) || !alive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + 20_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

module.exports = async () => {
  const dir = process.env.HUB_E2E_SHARED_DIR;
  if (!dir) return;
  const pidFile = join(dir, 'pid');
  const runtime = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
  // The integration files' shared DynamoDB Local (test/support/test-dynamodb.ts).
  const dynamoFile = join(dir, 'dynamodb.json');
  const dynamo = existsSync(dynamoFile) ? Number(JSON.parse(readFileSync(dynamoFile, 'utf8')).pid) : 0;
  await Promise.all([end(runtime, 'SIGINT'), end(dynamo, 'SIGTERM')]);
  rmSync(dir, { recursive: true, force: true });
};
