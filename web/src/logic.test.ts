import { describe, expect, it } from 'vitest';
import { pickLanguage } from './i18n/i18n';
import { isTyping, shortcutKey } from './keys';
import { listSearch, readFilters } from './filters';
import { zonedParts, zonedToInstant } from './format';
import { perDay } from './pages/Attribution';
import { csvHeaders } from './pages/leads/ImportDialog';
import { contactPatch } from './pages/lead/Contact';
import type { LeadDetail } from './api/types';
import { humanize } from './api/hooks';

describe('pickLanguage', () => {
  it('takes ?lang= first, then the saved choice, then the browser (en/es), else pt-BR', () => {
    expect(pickLanguage('?lang=en', 'es', ['pt-BR'])).toBe('en');
    expect(pickLanguage('', 'es', ['en-US'])).toBe('es');
    expect(pickLanguage('', null, ['en-US', 'pt-BR'])).toBe('en');
    expect(pickLanguage('', null, ['es-AR'])).toBe('es');
    expect(pickLanguage('', null, ['fr-FR', 'de'])).toBe('pt-BR');
    expect(pickLanguage('?lang=xx', null, ['pt-PT', 'en'])).toBe('pt-BR');
  });
});

describe('shortcuts', () => {
  const el = (tagName: string, extra: Record<string, unknown> = {}) => ({ tagName, isContentEditable: false, ...extra }) as unknown as EventTarget;
  it('never fire while typing in a field', () => {
    expect(isTyping(el('INPUT', { type: 'text' }))).toBe(true);
    expect(isTyping(el('INPUT', { type: 'search' }))).toBe(true);
    expect(isTyping(el('TEXTAREA'))).toBe(true);
    expect(isTyping(el('SELECT'))).toBe(true);
    expect(isTyping(el('DIV', { isContentEditable: true }))).toBe(true);
    expect(isTyping(el('INPUT', { type: 'radio' }))).toBe(false);
    expect(isTyping(el('BODY'))).toBe(false);
    expect(shortcutKey({ key: 'j', ctrlKey: false, metaKey: false, altKey: false, target: el('TEXTAREA') })).toBeNull();
    expect(shortcutKey({ key: 'j', ctrlKey: true, metaKey: false, altKey: false, target: el('BODY') })).toBeNull();
    expect(shortcutKey({ key: ']', ctrlKey: false, metaKey: false, altKey: false, target: el('BODY') })).toBe(']');
  });
});

describe('filters in the query string', () => {
  it('round-trip, leaving out empty values and the default sort and page size', () => {
    const p = listSearch({ state: 'new', q: ' joao ', owner: '' }, 'newest', 20);
    expect(p.toString()).toBe('q=joao&state=new');
    expect(listSearch({ tag: 'vip' }, 'name', 50).toString()).toBe('tag=vip&sort=name&limit=50');
    expect(readFilters(new URLSearchParams('state=sale&sort=name&lang=en&bogus=1'))).toEqual({ state: 'sale' });
  });
});

describe('account timezone', () => {
  it('turns a wall-clock date and time into the instant, across DST', () => {
    expect(zonedToInstant('2026-12-10', '10:30', 'America/Sao_Paulo').toISOString()).toBe('2026-12-10T13:30:00.000Z');
    expect(zonedToInstant('2026-07-01', '09:00', 'Europe/Lisbon').toISOString()).toBe('2026-07-01T08:00:00.000Z');
    expect(zonedToInstant('2026-01-01', '09:00', 'Europe/Lisbon').toISOString()).toBe('2026-01-01T09:00:00.000Z');
    expect(zonedParts(new Date('2026-12-10T02:00:00Z'), 'America/Sao_Paulo')).toEqual({ date: '2026-12-09', time: '23:00' });
  });
});

describe('attribution per day', () => {
  it('adds up the groups of each day and fills empty days', () => {
    const row = (day: string, leads: number, sales: number) => ({ day, leads, sales, by_state: { new: 0, in_progress: 0, sale: sales, no_sale: 0 }, conversion_rate: 0 });
    expect(perDay([row('2026-11-02', 3, 1), row('2026-11-02', 2, 0), row('2026-11-04', 1, 1)], '2026-11-01', '2026-11-04')).toEqual([
      { day: '2026-11-01', leads: 0, sales: 0 },
      { day: '2026-11-02', leads: 5, sales: 1 },
      { day: '2026-11-03', leads: 0, sales: 0 },
      { day: '2026-11-04', leads: 1, sales: 1 },
    ]);
  });
});

describe('import headers', () => {
  it('reads the first line with its delimiter and quotes', () => {
    expect(csvHeaders('\uFEFFnome;e-mail;"telefone"\r\nAna;a@b.c;1\n')).toEqual(['nome', 'e-mail', 'telefone']);
    expect(csvHeaders('name,email\n')).toEqual(['name', 'email']);
    expect(csvHeaders('name\temail')).toEqual(['name', 'email']);
  });
});

describe('contact edits', () => {
  const lead = {
    contact: { email: 'a@b.c', phone: '+5511999999999', cpf: '52998224725', attributes: { empresa: 'Acme' } },
    classification: null,
    tags: ['vip'],
    groups: ['g1'],
  } as unknown as LeadDetail;
  it('send only what changed; an emptied CPF or attribute is null', () => {
    const same = { email: 'a@b.c', phone: '+5511999999999', whatsapp: '', cpf: '52998224725', attributes: { empresa: 'Acme' }, classification: '', groups: ['g1'], tags: 'vip' };
    expect(contactPatch(lead, same)).toEqual({});
    expect(contactPatch(lead, { ...same, email: ' x@y.z ', cpf: '', attributes: { empresa: '' } })).toEqual({ contact: { email: 'x@y.z', cpf: null, attributes: { empresa: null } } });
    expect(contactPatch(lead, { ...same, tags: 'vip, novo', groups: [], classification: 'company' })).toEqual({ tags: ['vip', 'novo'], groups: [], classification: 'company' });
  });
});

describe('sub-state ids without the account\'s labels', () => {
  it('read as words', () => {
    expect(humanize('proposta_enviada')).toBe('Proposta enviada');
    expect(humanize('sem-contato')).toBe('Sem contato');
  });
});
