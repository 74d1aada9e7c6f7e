import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { call, nonNegativeInt, pageQuery, positiveInt, print } from './context';

const epPath = (orgId: string, endpointId?: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/webhook-endpoints${endpointId ? `/${encodeURIComponent(endpointId)}` : ''}`;
const msgPath = (orgId: string, messageId: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/messages/${encodeURIComponent(messageId)}`;

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];
const bool = (value: string) => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('must be true or false');
};
const when = (value: string) => {
  if (Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('must be an ISO 8601 time');
  return new Date(value).toISOString();
};

interface EndpointOptions {
  /** `--endpoint-url`: `--url` is the hub's own. */
  endpointUrl?: string;
  description?: string;
  eventType?: string[];
  rulesOnly?: boolean;
  enabled?: boolean;
  rateLimit?: number;
}

/** The endpoint settings the options name (nothing for those left out). */
const settings = (o: EndpointOptions) => ({
  ...(o.endpointUrl !== undefined ? { url: o.endpointUrl } : {}),
  ...(o.description !== undefined ? { description: o.description } : {}),
  ...(o.eventType !== undefined ? { eventTypes: o.eventType } : {}),
  ...(o.rulesOnly ? { eventTypes: [] } : {}),
  ...(o.enabled !== undefined ? { enabled: o.enabled } : {}),
  ...(o.rateLimit !== undefined ? { rateLimitPerSecond: o.rateLimit } : {}),
});

/** `hub webhook-endpoints …` and `hub messages …`: outbound webhooks, their attempts and resends. */
export function registerWebhookEndpointCommands(program: Command): void {
  const endpoints = program
    .command('webhook-endpoints')
    .description('outbound webhook endpoints: customer URLs that receive the org’s events, each one signed');
  const withSettings = (c: Command) =>
    c
      .option('--description <text>', 'what it is for')
      .option(
        '--event-type <pattern>',
        'event types it receives (repeat or comma-separate; `pull_request.*`, `*`)',
        list,
      )
      .option('--rules-only', 'receive only what notification rules send it (no event types of its own)')
      .option('--enabled <bool>', 'true or false', bool)
      .option('--rate-limit <perSecond>', 'the most deliveries per second', positiveInt);

  withSettings(
    endpoints
      .command('create')
      .description('add an endpoint; its signing secret (whsec_…) is printed this once')
      .argument('<orgId>')
      .requiredOption('--endpoint-url <url>', 'where to POST events (https)'),
  ).action(async (orgId: string, o: EndpointOptions) =>
    print(await call('POST', epPath(orgId), settings(o))),
  );
  endpoints
    .command('list')
    .description('list the endpoints and their health')
    .argument('<orgId>')
    .action(async (orgId: string) => print(await call('GET', epPath(orgId))));
  endpoints
    .command('get')
    .description('one endpoint and its health')
    .argument('<orgId>')
    .argument('<endpointId>')
    .action(async (orgId: string, endpointId: string) => print(await call('GET', epPath(orgId, endpointId))));
  withSettings(
    endpoints
      .command('update')
      .description('change an endpoint (enabling it again starts its health afresh)')
      .argument('<orgId>')
      .argument('<endpointId>')
      .option('--endpoint-url <url>', 'where to POST events (https)'),
  ).action(async (orgId: string, endpointId: string, o: EndpointOptions) =>
    print(await call('PATCH', epPath(orgId, endpointId), settings(o))),
  );
  endpoints
    .command('delete')
    .description('delete an endpoint')
    .argument('<orgId>')
    .argument('<endpointId>')
    .action(async (orgId: string, endpointId: string) =>
      print(await call('DELETE', epPath(orgId, endpointId))),
    );
  endpoints
    .command('rotate-secret')
    .description('issue a new signing secret (printed once); both sign deliveries for the overlap')
    .argument('<orgId>')
    .argument('<endpointId>')
    .option('--overlap <seconds>', 'how long the old secret keeps signing too', nonNegativeInt, 86_400)
    .action(async (orgId: string, endpointId: string, o: { overlap: number }) =>
      print(await call('POST', `${epPath(orgId, endpointId)}/rotate-secret`, { overlapSeconds: o.overlap })),
    );
  endpoints
    .command('attempts')
    .description('delivery attempts to the endpoint, newest first')
    .argument('<orgId>')
    .argument('<endpointId>')
    .option('--status <status>', 'succeeded, failed or dropped')
    .option('--limit <n>', 'page size (1-100)', positiveInt, 25)
    .option('--cursor <cursor>', 'nextCursor of the previous page')
    .action(
      async (orgId: string, endpointId: string, o: { status?: string; limit: number; cursor?: string }) => {
        const query = pageQuery(o);
        if (o.status) query.set('status', o.status);
        print(await call('GET', `${epPath(orgId, endpointId)}/attempts?${query}`));
      },
    );
  endpoints
    .command('recover')
    .description(
      're-send every message to the endpoint that failed, or was dropped while it was disabled, since a time',
    )
    .argument('<orgId>')
    .argument('<endpointId>')
    .requiredOption('--since <time>', 'ISO 8601 time', when)
    .action(async (orgId: string, endpointId: string, o: { since: string }) =>
      print(await call('POST', `${epPath(orgId, endpointId)}/recover`, { since: o.since })),
    );

  const messages = program
    .command('messages')
    .description('delivery messages: one event for one destination');
  messages
    .command('get')
    .description('a message, its state and its attempts')
    .argument('<orgId>')
    .argument('<messageId>')
    .action(async (orgId: string, messageId: string) => print(await call('GET', msgPath(orgId, messageId))));
  messages
    .command('resend')
    .description('send a message again: a new attempt with the same webhook-id')
    .argument('<orgId>')
    .argument('<messageId>')
    .action(async (orgId: string, messageId: string) =>
      print(await call('POST', `${msgPath(orgId, messageId)}/resend`)),
    );
}
