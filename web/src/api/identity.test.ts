import { describe, expect, it } from 'vitest';
import { ApiError } from './client';
import { isBuiltin, keysBody, undoableMerges, UNDO_WINDOW_MS } from './identity';
import type { HistoryEvent } from './types';
import { keyFieldError } from '../pages/lead/Keys';
import { rowsFromProfile } from '../pages/Identify';

const ev = (at: string, action: string, after: unknown): HistoryEvent => ({ id: at, at, actor: { type: 'user', id: 'u' }, action, after });

describe('undoableMerges', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  it('lists merges whose latest entry is the merge itself, within 30 days', () => {
    const events = [
      ev('2026-11-29T10:00:00Z', 'merged', { merge_id: 'mrg_a', absorbed: ['ld_2'] }),
      ev('2026-11-29T11:00:00Z', 'merged', { merge_id: 'mrg_b', absorbed: ['ld_3'] }),
      ev('2026-11-29T12:00:00Z', 'merge_undone', { merge_id: 'mrg_b' }),
      ev('2026-10-01T12:00:00Z', 'merged', { merge_id: 'mrg_old' }),
      ev('2026-11-29T09:00:00Z', 'state', 'sale'),
    ];
    const got = undoableMerges(events, now);
    expect(got.map((m) => m.merge_id)).toEqual(['mrg_a']);
    expect(got[0].absorbed).toEqual(['ld_2']);
    expect(Date.parse(got[0].undo_until!) - Date.parse(got[0].at!)).toBe(UNDO_WINDOW_MS);
  });
});

describe('key kinds', () => {
  it('a kind is built-in by the answer flag, else by its name', () => {
    expect(isBuiltin({ name: 'cpf', unique: true })).toBe(true);
    expect(isBuiltin({ name: 'matricula', unique: true })).toBe(false);
    expect(isBuiltin({ name: 'matricula', unique: true, built_in: true })).toBe(true);
  });

  it('keysBody keeps typed values by kind and drops empty rows', () => {
    expect(keysBody([{ kind: 'cpf', value: ' 529.982.247-25 ' }, { kind: 'email', value: '' }])).toEqual({ cpf: '529.982.247-25' });
  });

  it('a problem about one kind shows next to that kind only', () => {
    const err = new ApiError({ status: 400, errors: [{ field: 'keys.cpf[0]', code: 'invalid_cpf', detail: 'bad CPF' }] });
    expect(keyFieldError(err, 'cpf')).toBe('bad CPF');
    expect(keyFieldError(err, 'email')).toBeUndefined();
    expect(keyFieldError(new ApiError({ status: 400, errors: [{ field: 'add.cpf[0]', code: 'x', detail: 'y' }] }), 'cpf')).toBe('y');
  });

  it('an interaction profile suggests its keys, not its name', () => {
    expect(rowsFromProfile({ id: 'int_1', channel: 'facebook', profile: { name: 'Ana', facebook_id: '123', email: '' } })).toEqual([{ kind: 'facebook_id', value: '123' }]);
    expect(rowsFromProfile(null)).toEqual([{ kind: '', value: '' }]);
  });
});

describe('accessible names of the issue-14 screens (English, README "Console: identity, timeline, merges")', () => {
  it('stay as documented', async () => {
    const en = (await import('../i18n/en.json')).default as Record<string, Record<string, unknown>>;
    expect(en.identify.open).toBe('Identify');
    expect(en.identify.locate).toBe('Locate');
    expect(en.identify.create).toBe('Create lead');
    expect(en.identify.relate).toBe('Relate');
    expect(en.timeline.tab).toBe('Timeline');
    expect(en.duplicates.tab).toBe('Duplicates');
    expect(en.duplicates.merge).toBe('Merge');
    expect(en.duplicates.undo).toBe('Undo merge');
  });
});
