import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { hubClock } from '../../shared/adapters/clock';
import * as adapters from '../../shared/adapters/wiring';
import { chatApprovalAnswers } from '../../shared/approvals/chat-answers';
import { makeBotCommands } from '../../shared/bot/commands';
import { makeAuthorizeMember } from '../../shared/chat/authorize-member';
import { partOf } from '../../shared/chat/chat-parts';
import type { ChatClient, ChatWork } from '../../shared/chat/model';
import type { OnceRunner } from '../../shared/chat/ports';
import { makeRunChatWork } from '../../shared/chat/run-chat-work';
import { publicUrl } from '../../shared/config/config';
import { ValidationError } from '../../shared/errors';
import { makeManageNotificationRules } from '../../shared/notify/rules/manage-rules';
import { instrumented } from '../../shared/observability/instrumented';
import { logger, metrics } from '../../shared/observability/observability';
import type { QueueWorkerDeps } from '../../shared/queues/queue-worker';
import { withFailurePolicy } from '../../shared/queues/queue-worker';
import { makeOpenLinkBranch, makeReadSync } from '../../shared/sync/manage-sync';

/** A queued piece of chat work, as the app endpoint put it there. */
function parseWork(body: string): ChatWork {
  let work: Partial<ChatWork>;
  try {
    work = JSON.parse(body) as Partial<ChatWork>;
  } catch (cause) {
    throw new ValidationError('A chat work message is not JSON', [], { cause });
  }
  if (
    typeof work.id !== 'string' ||
    typeof work.orgId !== 'string' ||
    typeof work.connectionId !== 'string' ||
    typeof work.provider !== 'string' ||
    typeof work.actor?.platformUserId !== 'string' ||
    typeof work.request?.kind !== 'string'
  ) {
    throw new ValidationError(
      'A chat work message lacks its id, org, connection, provider, actor or request',
    );
  }
  return work as ChatWork;
}

/**
 * The `chat` queue's worker: each message run once (by its work id), failures reported alone
 * (partial batch failures) under the queue's failure policy, a suspended org's work skipped.
 */
export const makeHandler = (
  run: ReturnType<typeof makeRunChatWork>,
  failures: QueueWorkerDeps,
  onInvoke: (context: Context) => void = () => undefined,
) => {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SQSRecord) => {
    const work = parseWork(record.body);
    const outcome = await run(work);
    metrics.addMetric('ChatWorkDone', MetricUnit.Count, 1);
    logger.info('Chat work handled', {
      tenantId: work.orgId,
      provider: work.provider,
      kind: work.request.kind,
      outcome,
    });
  };
  return instrumented(async (event: SQSEvent, context: Context) => {
    onInvoke(context);
    return processPartialResponse(event, withFailurePolicy(failures, handleRecord), processor, { context });
  });
};

const clock = hubClock();
const parts = adapters.chatParts();
const clients = new Map<string, ChatClient>();
const users = adapters.userStore();
const teams = adapters.teamStore();
const audit = adapters.auditStore();
const sync = adapters.syncStore();
const connections = adapters.connectionStore();
const once = adapters.chatOnce();
const providers = adapters.syncProviders();
const rules = makeManageNotificationRules({
  orgs: adapters.orgStore(),
  rules: adapters.notificationRuleStore(),
  refs: { endpoints: adapters.webhookEndpointStore(), users, teams, connections },
  users,
  teams,
  events: adapters.eventStore(),
  claims: adapters.claimCheckStore(),
  channels: adapters.renderingChannels(),
  clock,
});

const gate = {
  tenants: adapters.tenantDirectory(),
  users,
  access: adapters.accessDirectory(),
  facts: adapters.accessFacts(),
  audit,
  clock,
};

export const handler = makeHandler(
  makeRunChatWork({
    clients: (provider) => {
      const part = partOf(parts, provider);
      if (!part) return null;
      const known = clients.get(provider) ?? part.client(adapters.chatDeps(provider));
      clients.set(provider, known);
      return known;
    },
    authorizeMember: makeAuthorizeMember({
      appSettings: adapters.chatAppSettings(),
      installationName: (provider, connection) => partOf(parts, provider)?.installationName?.(connection),
      identities: adapters.identityLinkStore(),
      users,
      rate: adapters.chatRates(),
      actAs: gate,
      publicUrl: publicUrl(),
    }),
    connections,
    installations: adapters.installationDirectory(),
    conversations: adapters.conversationDirectory(),
    bot: makeBotCommands({
      gate,
      sync,
      getLink: makeReadSync({ store: sync, connections, deadLetters: adapters.deadLetterStore(), clock })
        .getLink,
      openBranch: makeOpenLinkBranch({ store: sync, connections, providers, audit, clock }),
      createRule: rules.create,
      trackers: providers,
    }),
    approvals: chatApprovalAnswers(adapters.approvals(clock), clock),
    audit,
    once: once as OnceRunner,
    clock,
    publicUrl: publicUrl(),
  }),
  adapters.queueWorker('chat'),
  (context) => once.registerLambdaContext(context),
);
