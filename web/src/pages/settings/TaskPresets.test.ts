import { describe, expect, it } from 'vitest';
import { fromDraft } from './TaskPresets';

describe('fromDraft', () => {
  it('sends due_in_days as a number (0 kept) and leaves out an empty type, day count or time', () => {
    expect(fromDraft({ id: '', label: 'Hoje', description: 'x', days: '0', type: 'won' })).toEqual({ id: '', label: 'Hoje', description: 'x', due_in_days: 0, type: 'won' });
    expect(fromDraft({ id: 'tp_1', label: 'Sem data', description: '', days: ' ', type: '', due_time: '' })).toEqual({ id: 'tp_1', label: 'Sem data', description: '' });
    expect(fromDraft({ id: 'tp_2', label: 'Retorno', description: 'y', days: '2', due_time: '15:30' })).toEqual({ id: 'tp_2', label: 'Retorno', description: 'y', due_in_days: 2, due_time: '15:30' });
  });
});
