import type { Link } from '../../../../shared/sync/link';
import { applyChanges } from '../../../../shared/sync/resolve';
import { aLink, aMapping } from '../../../support/builders';

const mapping = aMapping;
const link = (fields: Link['fields']): Link =>
  aLink({ id: 'lnk_1', orgId: 'org_1', mappingId: 'map_1', fields, revision: 3 });
const now = new Date('2026-06-01T12:00:00.000Z');
const titled = (value: string, at: string, side: 'tracker' | 'codeHost') =>
  link({ title: { value, at, side } });

describe('applyChanges', () => {
  it('treats a value the link already has as no change (the echo of the hub’s own write)', () => {
    const current = titled('Same', '2026-06-01T10:00:00.000Z', 'tracker');
    const out = applyChanges(
      current,
      'codeHost',
      [{ field: 'title', value: 'Same', at: '2026-06-01T11:00:00Z' }],
      mapping(),
      now,
    );
    // Nothing to send and nothing lost; only the side's latest time is noted, for later deliveries.
    expect(out.link.fields).toEqual(current.fields);
    expect(out.link.pending).toEqual({ tracker: [], codeHost: [] });
    expect(out.link.history).toEqual([]);
    expect(out.link.observed?.codeHost).toEqual({ title: '2026-06-01T11:00:00.000Z' });
  });

  it('changes nothing for a delivery older than what its side has reported since, even once the other side set the field', () => {
    // The code host said "Same" at 11:00 (the link already had it); its 10:30 edit arrives late.
    const noted = applyChanges(
      titled('Same', '2026-06-01T10:00:00.000Z', 'tracker'),
      'codeHost',
      [{ field: 'title', value: 'Same', at: '2026-06-01T11:00:00Z' }],
      mapping(),
      now,
    ).link;
    for (const conflicts of ['latest', 'prefer_code_host'] as const) {
      const out = applyChanges(
        noted,
        'codeHost',
        [{ field: 'title', value: 'Draft', at: '2026-06-01T10:30:00Z' }],
        mapping({ conflicts }),
        now,
      );
      expect(out.changed).toBe(false);
      expect(out.link).toEqual(noted);
    }
  });

  it('is a no-op for a replay of the change it applied last', () => {
    const applied = applyChanges(
      titled('Old', '2026-06-01T10:00:00.000Z', 'tracker'),
      'codeHost',
      [{ field: 'title', value: 'New', at: '2026-06-01T11:00:00Z' }],
      mapping(),
      now,
    ).link;
    const replay = applyChanges(
      applied,
      'codeHost',
      [{ field: 'title', value: 'New', at: '2026-06-01T11:00:00Z' }],
      mapping(),
      now,
    );
    expect(replay.changed).toBe(false);
    expect(replay.link).toEqual(applied);
  });

  it('applies a newer change and queues it for the other side only', () => {
    const out = applyChanges(
      titled('Old', '2026-06-01T10:00:00.000Z', 'tracker'),
      'codeHost',
      [{ field: 'title', value: 'New', at: '2026-06-01T11:00:00Z' }],
      mapping(),
      now,
    );
    expect(out.link.fields.title).toEqual({ value: 'New', at: '2026-06-01T11:00:00.000Z', side: 'codeHost' });
    expect(out.link.pending).toEqual({ tracker: ['title'], codeHost: [] });
    expect(out.link.revision).toBe(4);
    expect(out.link.history).toEqual([]);
  });

  it('keeps the later change in a conflict, records the loser, and sends the kept value back to the losing side', () => {
    const out = applyChanges(
      titled('From GitHub', '2026-06-01T11:00:00.000Z', 'codeHost'),
      'tracker',
      [{ field: 'title', value: 'From Jira', at: '2026-06-01T10:59:58.500Z' }],
      mapping(),
      now,
    );
    expect(out.link.fields.title?.value).toBe('From GitHub');
    expect(out.link.pending.tracker).toEqual(['title']);
    expect(out.link.history[0]).toMatchObject({
      field: 'title',
      rule: 'latest',
      kept: { value: 'From GitHub' },
      lost: { value: 'From Jira', side: 'tracker' },
    });
  });

  it('lets the preferred side win a conflict even when its change is older', () => {
    const out = applyChanges(
      titled('From GitHub', '2026-06-01T11:00:00.000Z', 'codeHost'),
      'tracker',
      [{ field: 'title', value: 'From Jira', at: '2026-06-01T10:00:00.000Z' }],
      mapping({ conflicts: 'prefer_tracker' }),
      now,
    );
    expect(out.link.fields.title).toMatchObject({ value: 'From Jira', side: 'tracker' });
    expect(out.link.pending.codeHost).toEqual(['title']);
    expect(out.link.history[0]).toMatchObject({ rule: 'prefer_tracker', lost: { value: 'From GitHub' } });
  });

  it('drops a stale change from the side that set the value, without sending or recording anything', () => {
    const out = applyChanges(
      titled('Version 3', '2026-06-01T11:00:02.000Z', 'codeHost'),
      'codeHost',
      [{ field: 'title', value: 'Version 2', at: '2026-06-01T11:00:01Z' }],
      mapping(),
      now,
    );
    expect(out.link.fields.title?.value).toBe('Version 3');
    expect(out.link.pending).toEqual({ tracker: [], codeHost: [] });
    expect(out.link.history).toEqual([]);
    expect(out.changed).toBe(false);
  });

  it('compares across sides to the second: GitHub’s whole-second time ties with Jira’s milliseconds, and the later arrival wins', () => {
    const out = applyChanges(
      titled('Created in Jira', '2026-06-01T11:00:00.741Z', 'tracker'),
      'codeHost',
      [{ field: 'title', value: 'Edited on GitHub', at: '2026-06-01T11:00:00Z' }],
      mapping(),
      now,
    );
    expect(out.link.fields.title?.value).toBe('Edited on GitHub');
  });

  it('ignores changes against the mapping’s direction for the field', () => {
    const out = applyChanges(
      titled('Old', '2026-06-01T10:00:00.000Z', 'tracker'),
      'codeHost',
      [{ field: 'title', value: 'New', at: '2026-06-01T11:00:00Z' }],
      mapping({ fields: { title: 'tracker_to_code_host' } }),
      now,
    );
    expect(out.changed).toBe(false);
  });
});
