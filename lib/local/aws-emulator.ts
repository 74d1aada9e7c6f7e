import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { QueueName, RuleSpec } from '../../shared/topology';
import { rules } from '../../shared/topology';
import type { AwsCallCounter } from './aws-calls';
import { matchesPattern } from './event-pattern';
import { listenOnLoopback } from './free-port';
import { type LocalCognito, TOKEN_AUTHORISED_OPERATIONS } from './local-cognito';
import type { LocalIam, Principal, TenantSession } from './local-iam';
import { accessKeyIdOf, actionRefusal, callerArn } from './local-iam';
import type { LocalKms } from './local-kms';
import { InvalidCiphertextError } from './local-kms';
import type { LocalMailbox } from './local-mailbox';
import { localNames } from './local-names';
import type { LocalConnections } from './websocket-gateway';

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string;
  Resources?: string[];
}

export type { TenantSession } from './local-iam';

const RUNTIME: Principal = { kind: 'runtime' };

/** An event bus's ARN in the local account. */
const busArn = (name: string) =>
  `arn:aws:events:${localNames.region}:${localNames.account}:event-bus/${name}`;

/**
 * The bus a PutEvents entry names, as EventBridge resolves it: by name or ARN, and the account's
 * default bus when it names none. Null for a bus that does not exist here.
 */
export function busNamed(name: string | undefined): 'hub' | 'default' | null {
  if (name === undefined || name === '' || name === 'default' || name === busArn('default')) return 'default';
  if (name === localNames.eventBus || name === busArn(localNames.eventBus)) return 'hub';
  return null;
}

/** The IAM action prefix of each JSON-protocol service the emulator answers. */
const IAM_SERVICE_PREFIX: Readonly<Record<string, string>> = {
  TrentService: 'kms',
  AWSEvents: 'events',
  AWSCognitoIdentityProviderService: 'cognito-idp',
};

export interface AwsEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Answers the AWS calls the hub makes to EventBridge (PutEvents), KMS (Encrypt, Decrypt) and SES
 * (SendEmail, into a local mailbox), so the production SDK adapters run unchanged on one machine. PutEvents applies the
 * topology's rules and answers only after every matching queue has the event: nothing it accepts
 * can be lost, which is EventBridge's own guarantee.
 */
export async function startAwsEmulator(deps: {
  sqs: SQSClient;
  queueUrls: Record<QueueName, string>;
  kms: LocalKms;
  mailbox?: LocalMailbox;
  /** The user pool's admin API (AdminUserGlobalSignOut). */
  cognito?: LocalCognito;
  /** Tenant sessions handed out by AssumeRole, by access key id. */
  sessions?: Map<string, TenantSession>;
  /** Counts the calls, for the bench's calls per change. */
  calls?: AwsCallCounter;
  /** Holds each caller to its declared access; without it every caller is the runtime. */
  iam?: LocalIam;
  /** The real-time API's open connections: the Management API (`/@connections/{id}`) reaches them. */
  connections?: LocalConnections;
}): Promise<AwsEmulator> {
  /**
   * IAM's step before any service acts: why the request's signer may not call `action`, or null.
   * Rows for the actions other services add (S3, Cognito) come from `localGrants`, not from here.
   */
  function authorise(req: IncomingMessage, action: string): AwsError | null {
    if (!deps.iam) return null;
    const principal = deps.iam.principalOfRequest(req.headers.authorization);
    const refusal = principal
      ? actionRefusal(principal, action)
      : 'the access key is not one the runtime issued';
    if (!refusal) return null;
    deps.iam.onRefusal(`${action}: ${refusal}`);
    return new AwsError(
      action.startsWith('sts:') ? 'AccessDenied' : 'AccessDeniedException',
      `User: ${callerArn(principal)} is not authorized to perform: ${action} (${refusal})`,
      action.startsWith('sts:') || action.startsWith('ses:') ? 403 : 400,
    );
  }

  async function putEvents(input: { Entries?: PutEventsEntry[] }, caller: Principal | null) {
    const entries = input.Entries ?? [];
    // A function's grant (`event-bus:put`) names the hub's bus only, as in AWS; the runtime (the
    // local mail service's feedback) publishes to the default bus as SES does.
    if (
      deps.iam &&
      caller?.kind !== 'runtime' &&
      entries.some((e) => busNamed(e.EventBusName) === 'default')
    ) {
      const action = 'events:PutEvents';
      deps.iam.onRefusal(`${action}: the default event bus is granted to no function`);
      throw new AwsError(
        'AccessDeniedException',
        `User: ${callerArn(caller)} is not authorized to perform: ${action} on resource: ${busArn('default')}`,
      );
    }
    if (entries.length === 0 || entries.length > 10) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10 (got ${entries.length})`,
      );
    }
    // EventBridge's 256 KiB, counted as it counts (14 bytes for a Time, the UTF-8 bytes of Source,
    // DetailType, Detail and each Resource), for the call's entries together, so for any one of them.
    const utf8 = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
    const size = (e: PutEventsEntry) =>
      (e.Time === undefined ? 0 : 14) +
      utf8(e.Source) +
      utf8(e.DetailType) +
      utf8(e.Detail) +
      (e.Resources ?? []).reduce((n, r) => n + utf8(r), 0);
    if (entries.reduce((n, e) => n + size(e), 0) > 256 * 1024) {
      throw new AwsError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    const results = await Promise.all(entries.map(route));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  async function route(
    entry: PutEventsEntry,
  ): Promise<{ EventId: string } | { ErrorCode: string; ErrorMessage: string }> {
    const bus = busNamed(entry.EventBusName);
    if (!bus) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: `No bus ${entry.EventBusName}` };
    }
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameters Source, DetailType and Detail are required',
      };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const time = entry.Time === undefined ? new Date() : new Date(Number(entry.Time) * 1000);
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: localNames.account,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: localNames.region,
      resources: entry.Resources ?? [],
      detail,
    };
    try {
      // A rule listens on one bus: the hub's (canonical events) or the default (AWS services' events).
      const targets = (Object.values(rules) as RuleSpec[])
        .filter((rule) => (rule.bus ?? 'hub') === bus && matchesPattern(rule.pattern, event))
        .flatMap((rule) => rule.targetQueues);
      await Promise.all(
        targets.map((queue) =>
          deps.sqs.send(
            new SendMessageCommand({ QueueUrl: deps.queueUrls[queue], MessageBody: JSON.stringify(event) }),
          ),
        ),
      );
    } catch (error) {
      return { ErrorCode: 'InternalFailure', ErrorMessage: (error as Error).message };
    }
    return { EventId: event.id };
  }

  function kmsCall(operation: string, input: Record<string, unknown>) {
    const context = (input.EncryptionContext as Record<string, string> | undefined) ?? {};
    const keyId = `arn:aws:kms:${localNames.region}:${localNames.account}:${localNames.secretsKey}`;
    if (operation === 'Encrypt') {
      const plaintext = Buffer.from(String(input.Plaintext ?? ''), 'base64');
      return {
        CiphertextBlob: deps.kms.encrypt(plaintext, context).toString('base64'),
        KeyId: keyId,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    }
    if (operation === 'Decrypt') {
      try {
        const plaintext = deps.kms.decrypt(
          Buffer.from(String(input.CiphertextBlob ?? ''), 'base64'),
          context,
        );
        return {
          Plaintext: plaintext.toString('base64'),
          KeyId: keyId,
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      } catch (error) {
        if (error instanceof InvalidCiphertextError)
          throw new AwsError('InvalidCiphertextException', error.message);
        throw error;
      }
    }
    throw new AwsError('UnknownOperationException', `KMS ${operation} is not emulated`);
  }

  async function dispatch(target: string, input: Record<string, unknown>, caller: Principal | null) {
    const [service, operation = ''] = target.split('.');
    if (service === 'AWSEvents' && operation === 'PutEvents') return putEvents(input, caller);
    if (service === 'TrentService') return kmsCall(operation, input);
    if (service === 'AWSCognitoIdentityProviderService' && deps.cognito) {
      const answer = await deps.cognito.call(operation, input);
      if ('error' in answer) throw new AwsError(answer.error.type, answer.error.message);
      return answer.result;
    }
    throw new AwsError('UnknownOperationException', `${target} is not emulated`);
  }

  /** SES v2 SendEmail (a REST-JSON call): the message goes to the local mailbox. */
  function sendEmail(input: Record<string, unknown>) {
    const mailbox = deps.mailbox;
    if (!mailbox) throw new AwsError('NotFoundException', 'No local mailbox', 404);
    const destination = input.Destination as { ToAddresses?: string[] } | undefined;
    const simple = (
      input.Content as {
        Simple?: {
          Subject?: { Data?: string };
          Body?: { Text?: { Data?: string }; Html?: { Data?: string } };
          Headers?: { Name?: string; Value?: string }[];
        };
      }
    )?.Simple;
    const to = destination?.ToAddresses ?? [];
    if (to.length === 0 || !simple?.Subject?.Data) {
      throw new AwsError('BadRequestException', 'A recipient, a subject and a body are required');
    }
    const configurationSet = input.ConfigurationSetName as string | undefined;
    if (configurationSet !== undefined && configurationSet !== localNames.mailConfigurationSet) {
      throw new AwsError('NotFoundException', `Configuration set <${configurationSet}> does not exist.`, 404);
    }
    const pairs = (list: unknown) =>
      Object.fromEntries(
        ((list as { Name?: string; Value?: string }[] | undefined) ?? []).map((p) => [
          String(p.Name),
          String(p.Value),
        ]),
      );
    const headers = pairs(simple.Headers);
    const tags = pairs(input.EmailTags);
    const messageId = randomUUID();
    mailbox.add({
      messageId,
      from: String(input.FromEmailAddress ?? ''),
      to,
      subject: simple.Subject.Data,
      text: simple.Body?.Text?.Data ?? '',
      ...(simple.Body?.Html?.Data === undefined ? {} : { html: simple.Body.Html.Data }),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(Object.keys(tags).length > 0 ? { tags } : {}),
      ...(configurationSet ? { configurationSet } : {}),
      receivedAt: new Date().toISOString(),
    });
    return { MessageId: messageId };
  }

  /**
   * STS AssumeRole (the query protocol): short-lived credentials for the tenant data role, minted
   * only with a `TenantId` session tag, as the role's trust policy demands. The session is
   * remembered, so the local data gateway can hold each request to its tenant's keys.
   */
  function assumeRole(form: URLSearchParams, assumedBy: string): string {
    const roleArn = form.get('RoleArn') ?? '';
    const tags = new Map<string, string>();
    for (let i = 1; form.has(`Tags.member.${i}.Key`); i++) {
      tags.set(form.get(`Tags.member.${i}.Key`) ?? '', form.get(`Tags.member.${i}.Value`) ?? '');
    }
    const tenant = tags.get('TenantId');
    if (!tenant)
      throw new AwsError('AccessDenied', 'The tenant data role requires a TenantId session tag', 403);
    const accessKeyId = `ASIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
    const seconds = Number(form.get('DurationSeconds') ?? 3600);
    const expiration = new Date(Date.now() + seconds * 1000).toISOString();
    const by = deps.iam?.principalOf(assumedBy);
    const session = { tenant, roleArn, ...(by?.kind === 'function' ? { assumedBy: by.name } : {}) };
    deps.sessions?.set(accessKeyId, session);
    if (deps.iam && deps.iam.sessions !== deps.sessions) deps.iam.sessions.set(accessKeyId, session);
    const sessionName = form.get('RoleSessionName') ?? 'session';
    return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${randomUUID()}</SecretAccessKey><SessionToken>${randomUUID()}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROALOCAL:${sessionName}</AssumedRoleId><Arn>${roleArn.replace(':role/', ':assumed-role/').replace('iam::', 'sts::')}/${sessionName}</Arn></AssumedRoleUser><PackedPolicySize>1</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
  }

  /**
   * The API Gateway Management API of the real-time API: PostToConnection, DeleteConnection and
   * GetConnection on `/@connections/{id}`, refused unless the caller may `execute-api:ManageConnections`.
   */
  function managementApi(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const answer = (status: number, payload?: unknown, type?: string) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(type ? { 'x-amzn-errortype': type } : {}),
      });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    const operation =
      req.method === 'POST'
        ? 'PostToConnection'
        : req.method === 'DELETE'
          ? 'DeleteConnection'
          : 'GetConnection';
    deps.calls?.count('ApiGatewayManagementApi', operation);
    const denied = authorise(req, 'execute-api:ManageConnections');
    if (denied) return answer(403, { message: denied.message }, 'AccessDeniedException');
    let id: string;
    try {
      id = decodeURIComponent((req.url ?? '').slice('/@connections/'.length).split('?')[0] ?? '');
    } catch {
      // A malformed escape is the caller's error, not the emulator's crash.
      return answer(400, { message: 'Invalid connection id' }, 'BadRequestException');
    }
    const connections = deps.connections;
    const gone = () => answer(410, { message: `Connection ${id} is gone` }, 'GoneException');
    if (!connections) return gone();
    if (req.method === 'POST') {
      if (body.length > 128 * 1024)
        return answer(413, { message: 'Payload too large' }, 'PayloadTooLargeException');
      return connections.post(id, body.toString('utf8')) ? answer(200) : gone();
    }
    if (req.method === 'DELETE') return connections.disconnect(id) ? answer(204) : gone();
    const info = connections.info(id);
    return info ? answer(200, info) : gone();
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        try {
          deps.calls?.count('STS', form.get('Action') ?? '');
          const denied = authorise(req, `sts:${form.get('Action') ?? ''}`);
          if (denied) throw denied;
          if (form.get('Action') !== 'AssumeRole') {
            throw new AwsError('InvalidAction', `STS ${form.get('Action')} is not emulated`);
          }
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end(assumeRole(form, accessKeyIdOf(req.headers.authorization)));
        } catch (error) {
          const e = error instanceof AwsError ? error : new AwsError('InternalFailure', String(error), 500);
          res.writeHead(e.status, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>${e.type}</Code><Message>${e.message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
          );
        }
        return;
      }
      if (req.url?.startsWith('/@connections/')) {
        managementApi(req, res, Buffer.concat(chunks));
        return;
      }
      if (req.method === 'POST' && req.url === '/v2/email/outbound-emails') {
        deps.calls?.count('SESv2', 'SendEmail');
        try {
          const denied = authorise(req, 'ses:SendEmail');
          if (denied) throw denied;
          const out = sendEmail(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(out));
        } catch (error) {
          const status = error instanceof AwsError ? error.status : 500;
          res.writeHead(status, {
            'content-type': 'application/json',
            'x-amzn-errortype': error instanceof AwsError ? error.type : 'InternalFailure',
          });
          res.end(JSON.stringify({ message: (error as Error).message }));
        }
        return;
      }
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        deps.calls?.count(
          target.split('.')[0]?.replace('TrentService', 'KMS') ?? 'aws',
          target.split('.').pop() ?? '',
        );
        const [service = '', operation = ''] = target.split('.');
        // A request naming no operation (the health probe's) reaches no service: dispatch refuses it.
        // Cognito's public operations are authorised by the user's password or token, not by IAM
        // (the SDK sends them unsigned); the local pool checks those itself.
        const byUserToken =
          service === 'AWSCognitoIdentityProviderService' && TOKEN_AUTHORISED_OPERATIONS.has(operation);
        const denied =
          !target || byUserToken
            ? null
            : authorise(req, `${IAM_SERVICE_PREFIX[service] ?? service}:${operation}`);
        if (denied) throw denied;
        const caller = deps.iam ? deps.iam.principalOfRequest(req.headers.authorization) : RUNTIME;
        reply(
          200,
          await dispatch(target, JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'), caller),
        );
      } catch (error) {
        if (error instanceof AwsError) reply(error.status, { __type: error.type, message: error.message });
        else reply(500, { __type: 'InternalFailure', message: (error as Error).message });
      }
    });
  });
  return listenOnLoopback(server);
}
