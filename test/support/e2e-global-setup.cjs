// Makes the place where end-to-end files meet their shared runtime (started by the first file
// that asks, see runtime-process.ts); nothing starts here, so a run of unit tests pays nothing.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async () => {
  process.env.HUB_E2E_SHARED_DIR = mkdtempSync(join(tmpdir(), 'hub-e2e-shared-'));
};
