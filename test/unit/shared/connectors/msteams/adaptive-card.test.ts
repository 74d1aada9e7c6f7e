import type { ChatCard } from '../../../../../shared/chat/model';
import { adaptiveCard, CARD_LIMIT_BYTES } from '../../../../../shared/connectors/msteams/adaptive-card';

const card: ChatCard = {
  title: 'WEB-12 moved to In Review',
  titleUrl: 'https://acme.atlassian.net/browse/WEB-12',
  text: '**Fix login** by _Ada_\n- [PR #7](https://github.com/acme/web/pull/7)',
  fields: [
    { label: 'Status', value: 'In Review' },
    { label: 'Assignee', value: 'Ada' },
  ],
  context: 'Jira · 10:42',
  actions: [
    { kind: 'button', id: 'approval:apr_1:approve', label: 'Approve', style: 'primary' },
    { kind: 'button', id: 'approval:apr_1:reject', label: 'Reject', style: 'danger' },
    { kind: 'link', label: 'Open', url: 'https://acme.atlassian.net/browse/WEB-12' },
  ],
  tone: 'warning',
  fallback: 'WEB-12 moved to In Review',
};

describe('the Adaptive Card of a neutral card', () => {
  it('is an Adaptive Card 1.5 with a linked title, the Markdown body, facts and subtle context', () => {
    const ac = adaptiveCard(card);
    expect(ac).toMatchObject({
      type: 'AdaptiveCard',
      version: '1.5',
      fallbackText: 'WEB-12 moved to In Review',
    });
    expect(ac.body).toEqual([
      expect.objectContaining({
        type: 'TextBlock',
        text: '[WEB-12 moved to In Review](https://acme.atlassian.net/browse/WEB-12)',
        weight: 'Bolder',
        color: 'Warning',
      }),
      { type: 'TextBlock', text: card.text, wrap: true },
      {
        type: 'FactSet',
        facts: [
          { title: 'Status', value: 'In Review' },
          { title: 'Assignee', value: 'Ada' },
        ],
      },
      expect.objectContaining({ type: 'TextBlock', text: 'Jira · 10:42', size: 'Small', isSubtle: true }),
    ]);
  });

  it('makes buttons Action.Execute whose verb is the action id, and links Action.OpenUrl', () => {
    expect(adaptiveCard(card).actions).toEqual([
      {
        type: 'Action.Execute',
        title: 'Approve',
        verb: 'approval:apr_1:approve',
        data: { action: 'approval:apr_1:approve' },
        style: 'positive',
      },
      {
        type: 'Action.Execute',
        title: 'Reject',
        verb: 'approval:apr_1:reject',
        data: { action: 'approval:apr_1:reject' },
        style: 'destructive',
      },
      { type: 'Action.OpenUrl', title: 'Open', url: 'https://acme.atlassian.net/browse/WEB-12' },
    ]);
  });

  it('keeps brackets from breaking the title link and drops links that are not http(s)', () => {
    const ac = adaptiveCard({
      ...card,
      title: 'Fix [auth] flow',
      actions: [{ kind: 'link', label: 'x', url: 'javascript:alert(1)' }],
    });
    expect(ac.body[0]).toMatchObject({ text: '[Fix (auth) flow](https://acme.atlassian.net/browse/WEB-12)' });
    expect(ac.actions).toBeUndefined();
  });

  it('stays under the 28 KB card limit whatever the body, with at most 10 facts and 5 actions', () => {
    const huge = adaptiveCard({
      ...card,
      text: 'x'.repeat(200_000),
      fields: Array.from({ length: 30 }, (_, i) => ({ label: `f${i}`, value: 'v'.repeat(2000) })),
      actions: Array.from({ length: 9 }, (_, i) => ({
        kind: 'button' as const,
        id: `bot:${i}`,
        label: `B${i}`,
      })),
    });
    expect(Buffer.byteLength(JSON.stringify(huge))).toBeLessThan(CARD_LIMIT_BYTES);
    expect(huge.body.find((e) => e.type === 'FactSet')).toMatchObject({ facts: expect.any(Array) });
    const facts = huge.body.find((e) => e.type === 'FactSet');
    expect(facts?.type === 'FactSet' && facts.facts.length).toBe(10);
    expect(huge.actions).toHaveLength(5);
  });
});
