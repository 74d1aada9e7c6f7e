import { ValidationError } from '../../../../../shared/errors';
import {
  CreateNotificationRuleRequest,
  TestNotificationRuleRequest,
  UpdateNotificationRuleRequest,
} from '../../../../../shared/notify/rules/rule';
import type { RuleReferences } from '../../../../../shared/notify/rules/validate-rule';
import { validateRule } from '../../../../../shared/notify/rules/validate-rule';
import { zodIssues } from '../../../../../shared/validation';
import { aRule, CON, EP, TEAM, USR } from './builders';

const existing = new Set([EP, USR, TEAM, CON]);
const found = async (_org: string, id: string) => (existing.has(id) ? { id } : null);
const refs: RuleReferences = {
  endpoints: { get: found },
  users: { get: found as never },
  teams: { get: found as never },
  connections: { get: found as never },
};

const issuesOf = async (input: Record<string, unknown>) => {
  try {
    await validateRule(aRule(input), refs);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).extensions.errors;
  }
};

const parseIssues = (
  schema: { safeParse: (v: unknown) => { success: boolean; error?: unknown } },
  body: unknown,
) => {
  const parsed = schema.safeParse(body);
  return parsed.success ? [] : zodIssues(parsed.error as never);
};

const valid = {
  name: 'PRs merged in web',
  eventTypes: ['pull_request.merged'],
  conditions: { containers: ['acme/web'] },
  destinations: [{ kind: 'webhook_endpoint', endpointId: EP }],
};

describe('notification rule request validation', () => {
  it('accepts a rule and fills its defaults', () => {
    expect(CreateNotificationRuleRequest.parse(valid)).toEqual({ ...valid, description: '', enabled: true });
  });

  it('refuses an unknown field, naming it, at the top and in the conditions', () => {
    expect(parseIssues(CreateNotificationRuleRequest, { ...valid, colour: 'red' })).toEqual([
      { path: '(body)', message: expect.stringContaining('"colour"') },
    ]);
    expect(
      parseIssues(CreateNotificationRuleRequest, { ...valid, conditions: { repository: ['acme/web'] } }),
    ).toEqual([{ path: 'conditions', message: expect.stringContaining('"repository"') }]);
    expect(
      parseIssues(CreateNotificationRuleRequest, {
        ...valid,
        destinations: [{ kind: 'email', userIds: [USR], cc: [] }],
      }),
    ).toEqual([{ path: 'destinations.0', message: expect.stringContaining('"cc"') }]);
  });

  it('bounds event types (1-20, each a pattern) and destinations (1-10)', () => {
    expect(parseIssues(CreateNotificationRuleRequest, { ...valid, eventTypes: [] })).toEqual([
      { path: 'eventTypes', message: expect.any(String) },
    ]);
    expect(
      parseIssues(CreateNotificationRuleRequest, { ...valid, eventTypes: Array(21).fill('push') }),
    ).toEqual([{ path: 'eventTypes', message: expect.any(String) }]);
    expect(parseIssues(CreateNotificationRuleRequest, { ...valid, eventTypes: ['Pull Request'] })).toEqual([
      { path: 'eventTypes.0', message: expect.stringContaining('an event type') },
    ]);
    expect(parseIssues(CreateNotificationRuleRequest, { ...valid, destinations: [] })).toEqual([
      { path: 'destinations', message: expect.any(String) },
    ]);
    expect(
      parseIssues(CreateNotificationRuleRequest, {
        ...valid,
        destinations: Array(11).fill(valid.destinations[0]),
      }),
    ).toEqual([{ path: 'destinations', message: expect.any(String) }]);
    expect(
      parseIssues(CreateNotificationRuleRequest, { ...valid, conditions: { statusCategories: ['closed'] } }),
    ).toEqual([{ path: 'conditions.statusCategories.0', message: expect.any(String) }]);
  });

  it('refuses an empty change and a test naming both or neither of an event and a sample', () => {
    expect(parseIssues(UpdateNotificationRuleRequest, {})).toEqual([
      { path: '(body)', message: 'Name at least one field to change' },
    ]);
    expect(parseIssues(UpdateNotificationRuleRequest, { enabled: false })).toEqual([]);
    expect(parseIssues(TestNotificationRuleRequest, {})).toHaveLength(1);
    expect(
      parseIssues(TestNotificationRuleRequest, { sample: 'push', eventId: 'evt_01JD3Q4ZK8M7X2V9N6B5C4D3E2' }),
    ).toHaveLength(1);
    expect(parseIssues(TestNotificationRuleRequest, { sample: 'push' })).toEqual([]);
  });
});

describe('notification rule references', () => {
  it('accepts a rule whose endpoint, users, team and connection exist', async () => {
    await expect(
      issuesOf({
        eventTypes: ['work_item.*', 'custom.deploy.*'],
        conditions: { labels: ['bug'], connectionIds: [CON] },
        destinations: [
          { kind: 'webhook_endpoint', endpointId: EP },
          { kind: 'email', userIds: [USR], teamIds: [TEAM], addresses: ['ops@example.com'] },
        ],
      }),
    ).resolves.toEqual([]);
  });

  it('refuses a webhook endpoint, user, team or connection that does not exist in the org, with the reason', async () => {
    const missingEp = 'ep_01M8F79P3R3K1638C8KPHEN332';
    const missingUser = 'usr_01M8F79P3R3K1638C8KPHEN332';
    const missingTeam = 'team_01M8F79P3R3K1638C8KPHEN332';
    const missingCon = 'con_01M8F79P3R3K1638C8KPHEN332';
    await expect(
      issuesOf({
        conditions: { connectionIds: [CON, missingCon] },
        destinations: [
          { kind: 'webhook_endpoint', endpointId: missingEp },
          { kind: 'email', userIds: [USR, missingUser], teamIds: [missingTeam] },
        ],
      }),
    ).resolves.toEqual([
      { path: 'destinations.0.endpointId', message: `no webhook endpoint ${missingEp} in this organisation` },
      { path: 'destinations.1.userIds.1', message: `no user ${missingUser} in this organisation` },
      { path: 'destinations.1.teamIds.0', message: `no team ${missingTeam} in this organisation` },
      { path: 'conditions.connectionIds.1', message: `no connection ${missingCon} in this organisation` },
    ]);
  });

  it('refuses a pattern that names no event type the hub emits', async () => {
    await expect(issuesOf({ eventTypes: ['pull_requests.*', 'push'] })).resolves.toEqual([
      { path: 'eventTypes.0', message: expect.stringContaining('pull_requests.* names no event type') },
    ]);
  });

  it('refuses a condition none of its event types carries', async () => {
    await expect(
      issuesOf({ eventTypes: ['pull_request.*'], conditions: { labels: ['bug'] } }),
    ).resolves.toEqual([{ path: 'conditions.labels', message: expect.stringContaining('work_item.*') }]);
    await expect(issuesOf({ eventTypes: ['*'], conditions: { labels: ['bug'] } })).resolves.toEqual([]);
  });

  it('names every reason in the detail too', async () => {
    await expect(
      validateRule(
        aRule({ destinations: [{ kind: 'webhook_endpoint', endpointId: 'ep_01M8F79P3R3K1638C8KPHEN332' }] }),
        refs,
      ),
    ).rejects.toThrow('destinations.0.endpointId: no webhook endpoint');
  });
});
