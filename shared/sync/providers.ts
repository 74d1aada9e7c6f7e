import type { Connection } from '../connectors/connection';
import { ConnectionCredentialsSchema } from '../connectors/connection';
import { forgetGithubClient, githubClient, githubFailure } from '../connectors/github/client';
import type { RepoRef } from '../connectors/github/operations';
import { githubOperations } from '../connectors/github/operations';
import type { JiraTokens } from '../connectors/jira/client';
import { jiraClient } from '../connectors/jira/client';
import type { JiraOperations } from '../connectors/jira/operations';
import { jiraOperations } from '../connectors/jira/operations';
import { credentialsContext } from '../connectors/manage-connections';
import { ConflictError, NotFoundError, ProviderAuthError, ValidationError } from '../errors';
import type { SecretCipher } from '../ports/secret-cipher';
import type { ConnectionStore } from '../ports/stores';
import { TtlCache } from '../ttl-cache';

export type GithubOperations = ReturnType<typeof githubOperations>;

export interface JiraSide {
  readonly connection: Connection;
  readonly ops: JiraOperations;
  /** The Jira account the hub acts as (its own changes come back in webhooks under it). */
  accountId(): Promise<string>;
}

export interface GithubSide {
  readonly connection: Connection;
  readonly ops: GithubOperations;
  /** The GitHub App the hub acts as. */
  readonly appId: string;
  /** The login the app's changes carry as their sender (`<slug>[bot]`). */
  botLogin(): Promise<string>;
  repo(fullName: string): RepoRef;
}

/** The provider clients the sync engine writes through, per connection. */
export interface SyncProviders {
  jira(orgId: string, connectionId: string): Promise<JiraSide>;
  github(orgId: string, connectionId: string): Promise<GithubSide>;
  /** Forgets a connection's cached client, after the provider refused its credentials. */
  forget(connectionId: string): void;
}

/**
 * Provider clients built from each connection's decrypted credentials, kept for a minute per
 * execution environment: one KMS call and one read per connection per minute, not per change.
 * A disabled connection syncs nothing: its work is parked with the reason and can be redriven.
 */
export function makeSyncProviders(deps: {
  connections: Pick<ConnectionStore, 'get' | 'encryptedCredentials'>;
  cipher: SecretCipher;
  jiraTokens?: JiraTokens;
  ttlMs?: number;
}): SyncProviders {
  const cache = new TtlCache<Promise<JiraSide | GithubSide>>(deps.ttlMs ?? 60_000);
  const identities = new TtlCache<Promise<string>>(3_600_000);

  async function open(orgId: string, connectionId: string, provider: 'jira' | 'github') {
    const connection = await deps.connections.get(orgId, connectionId);
    if (!connection) throw new NotFoundError(`Connection ${connectionId} does not exist`);
    if (connection.provider !== provider)
      throw new ValidationError(`Connection ${connectionId} is not a ${provider} connection`);
    if (connection.status === 'disabled') throw new ValidationError(`Connection ${connectionId} is disabled`);
    const encrypted = await deps.connections.encryptedCredentials(orgId, connectionId);
    if (!encrypted) throw new ConflictError(`Connection ${connectionId} has no credentials`);
    const credentials = ConnectionCredentialsSchema.parse(
      JSON.parse(await deps.cipher.decrypt(encrypted, credentialsContext(orgId, connectionId))),
    );
    if (provider === 'jira') {
      const ops = jiraOperations(
        jiraClient(connection, credentials, deps.jiraTokens),
        connection.config.baseUrl ?? '',
      );
      const side: JiraSide = {
        connection,
        ops,
        accountId: () => {
          const known = identities.get(connectionId);
          if (known) return known;
          const pending = ops.myself().then((me) => me.accountId);
          pending.catch(() => identities.delete(connectionId));
          return identities.set(connectionId, pending);
        },
      };
      return side;
    }
    if (credentials.kind !== 'github_app')
      throw new ProviderAuthError('A GitHub connection needs a GitHub App');
    const octokit = githubClient(connection, credentials);
    const side: GithubSide = {
      connection,
      ops: githubOperations(octokit),
      appId: credentials.appId,
      botLogin: () => {
        const known = identities.get(connectionId);
        if (known) return known;
        const pending = octokit
          .request('GET /app')
          .then(({ data }) => `${data?.slug ?? ''}[bot]`)
          .catch((error: unknown) => {
            throw githubFailure(error);
          });
        pending.catch(() => identities.delete(connectionId));
        return identities.set(connectionId, pending);
      },
      repo: (fullName) => {
        const [owner = '', repo = ''] = fullName.split('/');
        return { owner, repo };
      },
    };
    return side;
  }

  const get = <T>(orgId: string, connectionId: string, provider: 'jira' | 'github') => {
    const key = `${orgId}:${connectionId}`;
    let side = cache.get(key);
    if (!side) {
      side = cache.set(key, open(orgId, connectionId, provider));
      side.catch(() => cache.delete(key));
    }
    return side as Promise<T>;
  };

  return {
    jira: (orgId, connectionId) => get<JiraSide>(orgId, connectionId, 'jira'),
    github: (orgId, connectionId) => get<GithubSide>(orgId, connectionId, 'github'),
    forget: (connectionId) => {
      cache.deleteWhere((key) => key.endsWith(`:${connectionId}`));
      identities.delete(connectionId);
      forgetGithubClient(connectionId);
    },
  };
}
