import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Connection } from '../../../../shared/connectors/connection';
import { egressFetch } from '../../../../shared/egress';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const CONNECTORS = join(ROOT, 'shared', 'connectors');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('provider code reaches the network only through the egress guard', () => {
  it('calls no bare fetch, and opens no socket or HTTP client of its own, in shared/connectors', () => {
    const offences: string[] = [];
    for (const file of sources(CONNECTORS)) {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      const name = relative(ROOT, file);
      // `fetch(` not reached through a member (`deps.fetch`) or named otherwise (`egressFetch(`).
      if (/(?<![\w.$])fetch\s*\(/.test(code)) offences.push(`${name}: fetch(`);
      if (/globalThis\.fetch|global\.fetch/.test(code)) offences.push(`${name}: the global fetch`);
      if (/from '(node:)?(http|https|net|tls|http2)'|from 'undici'|from 'axios'|from 'node-fetch'/.test(code))
        offences.push(`${name}: its own network client`);
    }
    expect(offences).toEqual([]);
  });

  it('makes the global fetch the guarded one once a Jira client (jira.js calls the global fetch) is built', async () => {
    const { jiraClient } = await import('../../../../shared/connectors/jira/client');
    const connection = {
      id: 'con_x',
      orgId: 'org_x',
      provider: 'jira',
      config: { baseUrl: 'https://acme.atlassian.net' },
    } as unknown as Connection;
    await jiraClient(connection, { kind: 'jira_api_token', email: 'bot@acme.test', apiToken: 't' });
    expect(globalThis.fetch).toBe(egressFetch());
  });
});
