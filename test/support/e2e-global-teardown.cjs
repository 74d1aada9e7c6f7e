// Stops the run's shared runtime, if a file started one, and waits (bounded) for it to be gone.
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

module.exports = async () => {
  const dir = process.env.HUB_E2E_SHARED_DIR;
  if (!dir) return;
  const pidFile = join(dir, 'pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
  if (pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 20_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
};
