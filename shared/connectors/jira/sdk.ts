// The one entry to jira.js's client, loaded with `import()` at first use: a module namespace that
// holds only what the hub calls, so the bundle keeps no other part of the package.
export { createCloudClient } from 'jira.js';
