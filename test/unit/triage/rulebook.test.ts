import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { NOT_A_DIAGNOSIS_NOTICE } from '../../../triage/notices';
import { buildRulebook, DEFAULT_RULES_PATH, loadRulebook, RulesFileError } from '../../../triage/rules/rulebook';
import { checkReplySafety } from '../../../triage/safety';

interface RawRules {
  concepts: Record<string, string[]>;
  rules: Array<{ when: Array<{ any?: string[] }>; advice: Partial<Record<'en' | 'pt' | 'es', string>> }>;
}
const raw = () => parse(readFileSync(DEFAULT_RULES_PATH, 'utf8')) as RawRules;

describe('rules file', () => {
  const rulebook = loadRulebook();

  it('loads, with the red flags the product requires', () => {
    const emergencies = rulebook.rules.filter((r) => r.level === 'emergency').map((r) => r.id);
    expect(emergencies).toEqual(
      expect.arrayContaining([
        'chest-pain-warning',
        'stroke-signs',
        'severe-bleeding',
        'breathing-difficulty',
        'anaphylaxis',
        'suicide-self-harm',
        'seizure',
        'loss-of-consciousness',
        'severe-abdominal-pain',
        'pregnancy-bleeding',
        'infant-fever',
        'poisoning-overdose',
        'severe-burns',
        'head-injury-warning',
        'meningitis-signs',
      ]),
    );
  });

  it('writes no dose and no definitive diagnosis in any advice, question or level text', () => {
    const texts: string[] = [];
    for (const rule of rulebook.rules) texts.push(...Object.values(rule.advice));
    for (const q of Object.values(rulebook.questions)) texts.push(q.en, q.pt, q.es);
    for (const level of Object.values(rulebook.levels)) texts.push(...Object.values(level));
    texts.push(...Object.values(rulebook.fallback));
    const unsafe = texts.filter((t) => !checkReplySafety(`${t}\n\n${NOT_A_DIAGNOSIS_NOTICE.en}`).ok);
    expect(unsafe).toEqual([]);
  });

  it('rejects a rule that uses an unknown concept', () => {
    const file = raw();
    file.rules[0]!.when[0]!.any = ['no_such_concept'];
    expect(() => buildRulebook(file)).toThrow(
      new RulesFileError('rule "chest-pain-warning" uses unknown concept "no_such_concept"'),
    );
  });

  it('rejects a pattern that is not a valid regular expression', () => {
    const file = raw();
    file.concepts.fever = ['fever (unclosed'];
    expect(() => buildRulebook(file)).toThrow(/concept "fever" has a bad pattern/);
  });

  it('rejects advice missing a language', () => {
    const file = raw();
    delete file.rules[0]!.advice.es;
    expect(() => buildRulebook(file)).toThrow(/rules\.0\.advice\.es/);
  });
});
