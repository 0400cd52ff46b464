import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { fmt, LANGS, negotiateLang, plural, STRINGS } from '../../../console/strings';

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();

function flatten(value: object, prefix = ''): [string, string][] {
  return Object.entries(value).flatMap(([key, v]) =>
    typeof v === 'string' ? [[`${prefix}${key}`, v] as [string, string]] : flatten(v as object, `${prefix}${key}.`),
  );
}

describe('interface strings', () => {
  it('every language has every string, non-empty, with the same placeholders as English', () => {
    const english = new Map(flatten(STRINGS.en));
    for (const lang of LANGS) {
      const entries = flatten(STRINGS[lang]);
      expect(entries.map(([key]) => key).sort()).toEqual([...english.keys()].sort());
      for (const [key, text] of entries) {
        expect([lang, key, text.trim().length > 0]).toEqual([lang, key, true]);
        expect([lang, key, placeholders(text)]).toEqual([lang, key, placeholders(english.get(key) ?? '')]);
      }
    }
  });

  it('names every red-flag rule of the triage engine in every language', () => {
    const file = path.resolve(__dirname, '..', '..', '..', 'triage', 'detect', 'redflags.yaml');
    const rules = (parse(readFileSync(file, 'utf8')) as { redflags?: { id: string }[] }).redflags ?? [];
    const ids = rules.map((r) => r.id).sort();
    expect(ids.length).toBeGreaterThan(10);
    for (const lang of LANGS) expect([lang, Object.keys(STRINGS[lang].redFlagNames).sort()]).toEqual([lang, ids]);
  });

  it('picks the best supported language of Accept-Language, English otherwise', () => {
    expect(negotiateLang('pt-BR,pt;q=0.9,en;q=0.8')).toBe('pt');
    expect(negotiateLang('de-DE, es;q=0.5, en;q=0.4')).toBe('es');
    expect(negotiateLang('en;q=0.2, es;q=0.9')).toBe('es');
    expect(negotiateLang('fr, es;q=0')).toBe('en');
    expect(negotiateLang(undefined)).toBe('en');
  });

  it('fills placeholders and chooses the singular form for one', () => {
    expect(fmt('{n} of {total}', { n: 2, total: 5 })).toBe('2 of 5');
    expect(plural(STRINGS.en, 'messageCount', 1)).toBe('1 message');
    expect(plural(STRINGS.en, 'messageCount', 3)).toBe('3 messages');
    expect(plural(STRINGS.pt, 'openEmergencies', 2)).toBe('2 emergências abertas');
  });
});
