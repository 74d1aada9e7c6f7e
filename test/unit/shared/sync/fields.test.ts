import { fromAdf, toAdf } from '../../../../shared/connectors/jira/adf';
import { branchName } from '../../../../shared/sync/branches';
import { canonicalText, fromSide, toSide } from '../../../../shared/sync/fields';
import { MappingInputSchema } from '../../../../shared/sync/mapping';
import { aMapping } from '../../../support/builders';

const mapping = aMapping({
  users: [{ jira: '6001:ann', github: 'ann' }],
  labels: { rename: [{ jira: 'bug', github: 'type: bug' }] },
});

describe('field translation', () => {
  it('maps GitHub open/closed onto Jira statuses, keeping a finer Jira status that already matches', () => {
    expect(fromSide('status', 'github', 'closed', mapping, 'In Progress')).toBe('Done');
    expect(fromSide('status', 'github', 'open', mapping, 'In Progress')).toBe('In Progress');
    expect(fromSide('status', 'github', 'open', mapping, 'Done')).toBe('To Do');
    expect(toSide('status', 'github', 'In Review', mapping)).toBe('open');
    expect(toSide('status', 'github', 'Unknown', mapping)).toBeUndefined();
  });

  it('pairs users and renames labels, and leaves unpaired users unsynced', () => {
    expect(fromSide('assignee', 'github', 'ANN', mapping, undefined)).toBe('6001:ann');
    expect(fromSide('assignee', 'github', 'stranger', mapping, undefined)).toBeUndefined();
    expect(fromSide('assignee', 'github', null, mapping, undefined)).toBeNull();
    expect(toSide('assignee', 'github', '6001:ann', mapping)).toBe('ann');
    expect(fromSide('labels', 'github', ['type: bug', 'ui', 'ui'], mapping, undefined)).toEqual([
      'bug',
      'ui',
    ]);
    expect(toSide('labels', 'github', ['bug', 'ui'], mapping)).toEqual(['type: bug', 'ui']);
  });

  it('round-trips Markdown through Atlassian Document Format', () => {
    const markdown =
      'Users wait **forever**.\n\n- first\n- second\n\n`code` and [a link](https://example.test)';
    expect(fromAdf(toAdf(markdown))).toBe(markdown);
    expect(canonicalText('a\r\nb')).toBe(canonicalText('a\nb'));
    expect(fromAdf(null)).toBe('');
    expect(fromAdf('plain text')).toBe('plain text');
  });

  it('names branches from the issue key and title', () => {
    expect(branchName('WEB-12', 'Fix: the login page (again)!')).toBe('WEB-12-fix-the-login-page-again');
    expect(branchName('WEB-12', '¡¡¡')).toBe('WEB-12');
  });
});

describe('mapping validation', () => {
  const base = {
    jira: { connectionId: 'con_01M8F79MGRCMY1JDM07R52VC06', projectKey: 'WEB' },
    github: { connectionId: 'con_01M8F79P3R3K1638C8KPHEN332', repository: 'acme/web' },
  };
  it('refuses statuses without a closed state, duplicate users and unknown directions', () => {
    expect(
      MappingInputSchema.safeParse({
        ...base,
        statuses: [
          { jira: 'A', github: 'open' },
          { jira: 'B', github: 'open' },
        ],
      }).success,
    ).toBe(false);
    expect(
      MappingInputSchema.safeParse({
        ...base,
        users: [
          { jira: 'x', github: 'a' },
          { jira: 'y', github: 'A' },
        ],
      }).success,
    ).toBe(false);
    expect(MappingInputSchema.safeParse({ ...base, fields: { title: 'sideways' } }).success).toBe(false);
    expect(
      MappingInputSchema.safeParse({ ...base, github: { ...base.github, repository: 'no-slash' } }).success,
    ).toBe(false);
    expect(MappingInputSchema.parse(base)).toMatchObject({
      conflicts: 'latest',
      create: 'both',
      fields: { title: 'both' },
    });
  });
});
