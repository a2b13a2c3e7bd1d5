import { describe, expect, it } from 'vitest';
import { bucketOf, dayAfter } from '../../api/tasks';
import { presetForm } from '../lead/Tasks';

describe('agenda', () => {
  it('sorts a record into overdue, today, later, undated or done', () => {
    const today = '2026-03-08';
    expect(bucketOf({ done: false, overdue: true, due_date: '2026-03-07' }, today)).toBe('overdue');
    expect(bucketOf({ done: false, overdue: false, due_date: '2026-03-08' }, today)).toBe('today');
    expect(bucketOf({ done: false, overdue: false, due_date: '2026-03-09' }, today)).toBe('later');
    expect(bucketOf({ done: false, overdue: false }, today)).toBe('undated');
    expect(bucketOf({ done: true, overdue: false, due_date: '2026-03-07' }, today)).toBe('done');
  });

  it('fills the form from a preset, N days from the account’s today (across a month and a DST change)', () => {
    expect(dayAfter('2026-02-28', 1)).toBe('2026-03-01');
    expect(dayAfter('2026-03-07', 2)).toBe('2026-03-09');
    const f = presetForm({ id: 'p', label: 'Retorno', description: 'Ligar', type: 'call_back', due_in_days: 1, due_time: '10:00' }, '2026-03-07');
    expect(f).toMatchObject({ description: 'Ligar', type: 'call_back', due_date: '2026-03-08', due_time: '10:00' });
    const undated = presetForm({ id: 'q', label: 'Nota', description: 'Sem data', due_time: '10:00' }, '2026-03-07', { ...f, assignee_id: 'usr_agent' });
    expect(undated).toMatchObject({ description: 'Sem data', type: '', due_date: '', due_time: '', assignee_id: 'usr_agent' });
  });
});
