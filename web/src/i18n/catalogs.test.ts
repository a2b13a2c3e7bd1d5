import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

type Tree = { [k: string]: string | Tree };

function keys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)));
}

const dir = import.meta.dirname;
const catalogs = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Tree]),
);

describe('catalogs', () => {
  it('are the three languages', () => {
    expect(Object.keys(catalogs).sort()).toEqual(['en', 'es', 'pt-BR']);
  });

  const all = new Set(Object.values(catalogs).flatMap((c) => keys(c)));
  for (const [lang, tree] of Object.entries(catalogs)) {
    it(`${lang} has every key another catalog has, and no empty string`, () => {
      const mine = new Set(keys(tree));
      expect([...all].filter((k) => !mine.has(k))).toEqual([]);
      const empty = keys(tree).filter((k) => {
        const v = k.split('.').reduce<string | Tree>((t, p) => (t as Tree)[p], tree);
        return typeof v !== 'string' || v.trim() === '';
      });
      expect(empty).toEqual([]);
    });
  }

  it('keep the accessible names other software relies on (English)', () => {
    const en = catalogs.en as Tree;
    const get = (k: string) => k.split('.').reduce<string | Tree>((t, p) => (t as Tree)[p], en);
    expect(get('nav.language')).toBe('Language');
    expect(get('filters.search')).toBe('Search');
    expect(get('filters.apply')).toBe('Apply filters');
    expect(get('saved.save')).toBe('Save filter');
    expect(get('lead.prev')).toBe('Previous lead');
    expect(get('lead.next')).toBe('Next lead');
    expect(get('stars.none')).toBe('No rating');
    expect(get('schedule.cancel')).toBe('Cancel scheduled change');
    expect(get('lead.tabs.contact')).toBe('Contact data');
    expect(get('lead.conversation')).toBe('Conversation');
    expect(get('notes.new')).toBe('New note');
    expect(get('attribution.table')).toBe('Attribution');
  });
});

describe('source strings', () => {
  it('every t() key used in the source exists in the catalogs', () => {
    const src = path.join(dir, '..');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts')) files.push(path.join(d, e.name));
      }
    };
    walk(src);
    const en = new Set(keys(catalogs.en));
    const plural = (k: string) => en.has(`${k}_one`) && en.has(`${k}_other`);
    const missing: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) {
        if (!en.has(m[1]) && !plural(m[1])) missing.push(`${path.basename(f)}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
