// The one entry to `@slack/web-api`, loaded with `import()` at first use: a function that only
// verifies Slack's requests never evaluates the client.
export { WebClient } from '@slack/web-api';
