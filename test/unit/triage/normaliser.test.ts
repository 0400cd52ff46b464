import { canonicalise, collapseRepeats, editDistance, Speller } from '../../../triage/detect/canonical';
import { loadLexicon } from '../../../triage/detect/detector';
import { ConceptScanner, patternKeys, mayMatch, textKeys } from '../../../triage/detect/prefilter';
import { loadRulebook } from '../../../triage/rules/rulebook';

const speller = loadLexicon().speller;
const canon = (text: string) => canonicalise(text, speller);

describe('normaliser (canonical text for the detectors)', () => {
  it('lower-cases and strips accents', () => {
    expect(canon('NÃO consigo RESPIRAR!!')).toBe('nao consigo respirar!!');
    expect(canon('Está convulsionando, ¿qué hago?')).toBe('esta convulsionando, ¿que hago?');
  });

  it('collapses letters repeated three or more times, keeping a double letter when that makes a known word', () => {
    expect(canon('socorrooo meu pai')).toBe('socorro meu pai');
    expect(canon('bleeeeding')).toBe('bleeding');
    expect(canon('obrigadaaaa')).toBe('obrigada');
    expect(collapseRepeats('helppp', () => false)).toBe('help');
    expect(collapseRepeats('toooo', (w) => w === 'too')).toBe('too');
  });

  it('expands texting abbreviations in the three languages', () => {
    expect(canon('vc ta bem? pq n consigo respirar')).toBe('voce esta bem? porque nao consigo respirar');
    expect(canon('u ok? ur mum rn')).toBe('you ok? your mum right now');
    expect(canon('xq tmb me duele')).toBe('porque tambien me duele');
    expect(canon('hj to mt mal')).toBe('hoje to muito mal');
    expect(canon('d+ de dor')).toBe('demais de dor');
  });

  it('reads a lone "n" as Portuguese "não" before a verb and as "and" elsewhere', () => {
    expect(canon('n consigo respirar')).toBe('nao consigo respirar');
    expect(canon('chest pain n sweating')).toBe('chest pain and sweating');
  });

  it('corrects misspellings of longer red-flag words by edit distance', () => {
    expect(canon('my son had a siezure')).toBe('my son had a seizure');
    expect(canon('he is unconcious')).toBe('he is unconscious');
    expect(canon('breating hard')).toBe('breathing hard');
    expect(canon('ela ta convulsinando')).toBe('ela esta convulsionando');
  });

  it('leaves short words and everyday words one edit away from a red-flag word alone', () => {
    expect(canon('i was cooking dinner')).toBe('i was cooking dinner');
    expect(canon('ate a steak')).toBe('ate a steak');
    expect(canon('feeling sick')).toBe('feeling sick');
  });

  it('turns meaningful emoji into words and drops the rest', () => {
    expect(canon('🩸🩸 everywhere 💊')).toBe('blood blood everywhere pills');
    expect(canon('thanks 🙏😊')).toBe('thanks');
  });

  it('measures edit distance with transpositions counting once', () => {
    expect(editDistance('siezure', 'seizure', 2)).toBe(1);
    expect(editDistance('unconcious', 'unconscious', 2)).toBe(1);
    expect(editDistance('cooking', 'choking', 1)).toBe(1);
    expect(editDistance('abcdef', 'uvwxyz', 2)).toBe(3);
  });

  it('corrects only towards its target words and never a protected word', () => {
    const small = new Speller(['seizure', 'breathing'], new Set(['seizures']));
    expect(small.correct('siezure')).toBe('seizure');
    expect(small.correct('seizures')).toBe('seizures');
    expect(small.correct('breating')).toBe('breathing');
    expect(small.correct('seize')).toBe('seize');
  });

  it('skips a concept only when the text has no word its pattern can start with', () => {
    const keys = patternKeys(['(kill|hurt) (myself|himself)', 'suicid*', '(?<!not )overdose']);
    expect(keys).toEqual(new Set(['kil', 'hur', 'sui', 'ove']));
    expect(mayMatch(keys, textKeys('i want to hurt myself'))).toBe(true);
    expect(mayMatch(keys, textKeys('my knee hurts'))).toBe(true);
    expect(mayMatch(keys, textKeys('sore throat since monday'))).toBe(false);
    expect(patternKeys(['* pills'])).toBeNull();
  });

  it('finds with one pass over the words exactly what each concept regex finds over the whole text', () => {
    const texts = [
      'my dad collapsed, he is not breathing and his lips are blue',
      'chest pain chest pain, chest tightness and sweating; tomou 20 comprimidos de rivotril',
      'baby 6 weeks old 38°c, temp 38,4 no termometro, não consigo respirar',
      "can't breathe can't breathe!!! no puedo respirar, se le hunden las costillas",
      "bleeding bleeding bleeding won't stop through 3 pads an hour 🩸",
      '',
    ];
    const lexicon = loadLexicon();
    const rulebook = loadRulebook();
    const expected = (concepts: Map<string, RegExp>, text: string) =>
      [...concepts].flatMap(([concept, regex]) => {
        regex.lastIndex = 0;
        return [...text.matchAll(regex)].map((m) => ({ concept, index: m.index, length: m[0].length }));
      });
    for (const text of texts.map(canon)) {
      expect(lexicon.scanner.scan(text)).toEqual(expected(lexicon.concepts, text));
      expect(rulebook.scanner.scan(text)).toEqual(expected(rulebook.compiled, text));
    }
    const small = new ConceptScanner(
      new Map([
        ['pain', /(?<![a-z0-9'])(?:pain|pain ~ chest)(?![a-z0-9'])/g],
        ['any', /(?<![a-z0-9'])(?:[a-z]+ pills)(?![a-z0-9'])/g],
      ]),
      new Map([
        ['pain', new Set(['pai'])],
        ['any', null],
      ]),
    );
    expect(small.scan('pain, pains, sleeping pills')).toEqual([
      { concept: 'pain', index: 0, length: 4 },
      { concept: 'any', index: 13, length: 14 },
    ]);
    expect(small.scan('pain', (concept) => concept === 'any')).toEqual([]);
  });
});
