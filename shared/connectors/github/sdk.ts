// The one entry to Octokit and its App auth, loaded with `import()` at first use: a module namespace
// that holds only what the hub calls, so the bundle keeps no other part of the packages.
export { createAppAuth } from '@octokit/auth-app';
export { Octokit } from '@octokit/core';
