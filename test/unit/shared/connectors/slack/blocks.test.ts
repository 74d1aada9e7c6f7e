import type { ChatCard } from '../../../../../shared/chat/model';
import {
  escapeSlack,
  renderSlackMessage,
  SLACK_LIMITS,
  toMrkdwn,
} from '../../../../../shared/connectors/slack/blocks';

const card = (over: Partial<ChatCard> = {}): ChatCard => ({
  title: 'WEB-12 moved to In Review',
  fallback: 'WEB-12 moved to In Review',
  ...over,
});

describe('the Block Kit renderer', () => {
  it("converts the card's Markdown subset to Slack mrkdwn", () => {
    expect(toMrkdwn('**bold** and _italic_ and `code`')).toBe('*bold* and _italic_ and `code`');
    expect(toMrkdwn('see [the PR](https://git.example.test/pr/7?a=1&b=2)')).toBe(
      'see <https://git.example.test/pr/7?a=1&amp;b=2|the PR>',
    );
    expect(toMrkdwn('- one\n- two')).toBe('• one\n• two');
  });

  it('escapes &, < and > so no text becomes a mention, a channel ping or a link', () => {
    expect(escapeSlack('a & b <!channel> <@U123> > c')).toBe(
      'a &amp; b &lt;!channel&gt; &lt;@U123&gt; &gt; c',
    );
    expect(toMrkdwn('<!here> hi')).toBe('&lt;!here&gt; hi');
    // A link label cannot break out of its link, and a non-http link stays text.
    expect(toMrkdwn('[a|b>c](https://x.test)')).toBe('<https://x.test/|a¦b&gt;c>');
    expect(toMrkdwn('[x](javascript:alert(1))')).toBe('[x](javascript:alert(1))');
  });

  it('renders title, text, fields, context and actions as blocks with the fallback as text', () => {
    const message = renderSlackMessage(
      card({
        titleUrl: 'https://jira.example.test/browse/WEB-12',
        text: 'Moved by **Ada**',
        fields: [
          { label: 'Status', value: 'In Review' },
          { label: 'Assignee', value: 'Ada' },
        ],
        context: 'Jira · just now',
        actions: [
          { kind: 'button', id: 'approval:apr_1:yes', label: 'Approve', style: 'primary' },
          { kind: 'link', label: 'Open', url: 'https://jira.example.test/browse/WEB-12' },
        ],
      }),
    );
    expect(message.text).toBe('WEB-12 moved to In Review');
    expect(message.blocks.map((b) => b.type)).toEqual([
      'section',
      'section',
      'section',
      'context',
      'actions',
    ]);
    expect(message.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*<https://jira.example.test/browse/WEB-12|WEB-12 moved to In Review>*' },
    });
    expect(message.blocks[2]).toMatchObject({
      fields: [
        { type: 'mrkdwn', text: '*Status*\nIn Review' },
        { type: 'mrkdwn', text: '*Assignee*\nAda' },
      ],
    });
    const actions = message.blocks[4] as { elements: Record<string, unknown>[] };
    expect(actions.elements[0]).toMatchObject({
      type: 'button',
      action_id: 'approval:apr_1:yes',
      style: 'primary',
    });
    expect(actions.elements[1]).toMatchObject({
      type: 'button',
      action_id: 'link:1',
      url: 'https://jira.example.test/browse/WEB-12',
    });
  });

  it('uses a header for a title without a link, and keeps every text within Slack’s limits', () => {
    const long = 'x'.repeat(10_000);
    const message = renderSlackMessage(
      card({
        title: long,
        text: long,
        fields: Array.from({ length: 12 }, (_, i) => ({ label: `f${i}`, value: long })),
        context: long,
        actions: [{ kind: 'button', id: long, label: long }],
        fallback: long,
      }),
    );
    const header = message.blocks[0] as { type: string; text: { text: string } };
    expect(header.type).toBe('header');
    expect([...header.text.text].length).toBe(SLACK_LIMITS.headerText);
    const section = message.blocks[1] as { text: { text: string } };
    expect([...section.text.text].length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    const fields = message.blocks[2] as { fields: { text: string }[] };
    expect(fields.fields).toHaveLength(SLACK_LIMITS.fields);
    for (const f of fields.fields) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    const button = (
      message.blocks[4] as unknown as { elements: { action_id: string; text: { text: string } }[] }
    ).elements[0];
    expect(button?.action_id.length).toBeLessThanOrEqual(SLACK_LIMITS.actionId);
    expect([...(button?.text.text ?? '')].length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
  });
});
