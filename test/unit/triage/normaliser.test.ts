import { canonicalise, collapseRepeats, editDistance, Speller } from '../../../triage/detect/canonical';
import { loadLexicon } from '../../../triage/detect/detector';
import { patternKeys, mayMatch, textKeys } from '../../../triage/detect/prefilter';

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
});
