import { githubWorkItems } from '../../../../shared/connectors/github/work-items';
import { fromAdf, toAdf } from '../../../../shared/connectors/jira/adf';
import { jiraWorkItems } from '../../../../shared/connectors/jira/work-items';
import { branchName } from '../../../../shared/sync/branches';
import { fromSide, toSide } from '../../../../shared/sync/fields';
import { MappingInputSchema } from '../../../../shared/sync/mapping';
import { aMapping } from '../../../support/builders';

const mapping = {
  mapping: aMapping({
    users: [{ tracker: '6001:ann', codeHost: 'ann' }],
    labels: { rename: [{ tracker: 'bug', codeHost: 'type: bug' }] },
  }),
  canonicalText: jiraWorkItems.canonicalText,
};

describe('field translation', () => {
  it('maps GitHub open/closed onto Jira statuses, keeping a finer Jira status that already matches', () => {
    expect(fromSide('status', 'codeHost', 'closed', mapping, 'In Progress')).toBe('Done');
    expect(fromSide('status', 'codeHost', 'open', mapping, 'In Progress')).toBe('In Progress');
    expect(fromSide('status', 'codeHost', 'open', mapping, 'Done')).toBe('To Do');
    expect(toSide('status', 'codeHost', 'In Review', mapping)).toBe('open');
    expect(toSide('status', 'codeHost', 'Unknown', mapping)).toBeUndefined();
  });

  it('pairs users and renames labels, and leaves unpaired users unsynced', () => {
    expect(fromSide('assignee', 'codeHost', 'ANN', mapping, undefined)).toBe('6001:ann');
    expect(fromSide('assignee', 'codeHost', 'stranger', mapping, undefined)).toBeUndefined();
    expect(fromSide('assignee', 'codeHost', null, mapping, undefined)).toBeNull();
    expect(toSide('assignee', 'codeHost', '6001:ann', mapping)).toBe('ann');
    expect(fromSide('labels', 'codeHost', ['type: bug', 'ui', 'ui'], mapping, undefined)).toEqual([
      'bug',
      'ui',
    ]);
    expect(toSide('labels', 'codeHost', ['bug', 'ui'], mapping)).toEqual(['type: bug', 'ui']);
  });

  it('round-trips Markdown through Atlassian Document Format', () => {
    const markdown =
      'Users wait **forever**.\n\n- first\n- second\n\n`code` and [a link](https://example.test)';
    expect(fromAdf(toAdf(markdown))).toBe(markdown);
    expect(jiraWorkItems.canonicalText('a\r\nb')).toBe(jiraWorkItems.canonicalText('a\nb'));
    expect(fromAdf(null)).toBe('');
    expect(fromAdf('plain text')).toBe('plain text');
  });

  it('names branches from the issue key and title', () => {
    expect(branchName('WEB-12', 'Fix: the login page (again)!')).toBe('WEB-12-fix-the-login-page-again');
    expect(branchName('WEB-12', '¡¡¡')).toBe('WEB-12');
  });
});

describe('mapping validation', () => {
  it("checks a side's project or repository by its provider", () => {
    expect(jiraWorkItems.checkContainer('WEB')).toBeNull();
    expect(jiraWorkItems.checkContainer('lower')).toMatch(/project key/);
    expect(githubWorkItems.checkContainer('acme/web')).toBeNull();
    expect(githubWorkItems.checkContainer('no-slash')).toBe('owner/name');
  });

  const base = {
    tracker: { connectionId: 'con_01M8F79MGRCMY1JDM07R52VC06', project: 'WEB' },
    codeHost: { connectionId: 'con_01M8F79P3R3K1638C8KPHEN332', repository: 'acme/web' },
  };
  it('refuses statuses without a closed state, duplicate users and unknown directions', () => {
    expect(
      MappingInputSchema.safeParse({
        ...base,
        statuses: [
          { tracker: 'A', codeHost: 'open' },
          { tracker: 'B', codeHost: 'open' },
        ],
      }).success,
    ).toBe(false);
    expect(
      MappingInputSchema.safeParse({
        ...base,
        users: [
          { tracker: 'x', codeHost: 'a' },
          { tracker: 'y', codeHost: 'A' },
        ],
      }).success,
    ).toBe(false);
    expect(MappingInputSchema.safeParse({ ...base, fields: { title: 'sideways' } }).success).toBe(false);
    expect(MappingInputSchema.safeParse({ ...base, jira: base.tracker }).success).toBe(false);
    expect(MappingInputSchema.parse(base)).toMatchObject({
      conflicts: 'latest',
      create: 'both',
      fields: { title: 'both' },
    });
  });
});
