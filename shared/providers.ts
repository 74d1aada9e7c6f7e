import { genericProvider } from './connectors/generic/module';
import { githubProvider } from './connectors/github/module';
import { gitlabProvider } from './connectors/gitlab/module';
import { jiraProvider } from './connectors/jira/module';
import { teamsProvider } from './connectors/msteams/module';
import { providerCatalog } from './connectors/provider-catalog';
import { slackProvider } from './connectors/slack/module';

/**
 * The providers the hub knows, one module each (`shared/connectors/<id>/module.ts`): the one list
 * everything that names providers is derived from. A new provider is its folder and a line here.
 * Imported only where a bundle can afford every provider's client (handlers that talk to
 * providers, the wiring, `lib/`, the CLI), never by `shared/topology`.
 */
export const PROVIDER_MODULES = [
  genericProvider,
  githubProvider,
  jiraProvider,
  gitlabProvider,
  teamsProvider,
  slackProvider,
] as const;

/** What the hub derives from the list: enum, credential union and summaries, base URLs, webhook parts, probes, access. */
// Pure: a bundle that reads none of it (most functions, through the wiring) leaves the providers out.
export const PROVIDERS = /* @__PURE__ */ providerCatalog(PROVIDER_MODULES);
