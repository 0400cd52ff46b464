import corpus from '../../fixtures/triage-corpus.json';
import { createMedicalCore } from '../../../triage';
import { checkReplySafety } from '../../../triage/safety';
import { TRIAGE_LEVELS, type Assessment, type ConversationTurn, type TriageLevel } from '../../../triage/types';

interface CorpusCase {
  id: string;
  lang: 'en' | 'pt' | 'es';
  expected: TriageLevel;
  tags: string[];
  messages: ConversationTurn[];
}

const cases = corpus.cases as CorpusCase[];
const core = createMedicalCore({ provider: 'rules' });

/*
 * Thresholds are set just under what was measured (see docs/triage.md): the rules were tuned on the
 * non-holdout cases, so the holdout figure is the honest estimate for unseen text.
 */
const MIN_ACCURACY = 0.95;
const MIN_LANGUAGE_ACCURACY = 0.97;

describe('triage corpus (rules provider behind the safety layer)', () => {
  const results = new Map<string, Assessment>();

  beforeAll(async () => {
    for (const c of cases) results.set(c.id, await core.assess({ messages: c.messages }));
  });

  const predicted = (c: CorpusCase): TriageLevel => results.get(c.id)!.triageLevel;

  it('has the agreed size and mix of languages and emergencies', () => {
    const count = (pred: (c: CorpusCase) => boolean) => cases.filter(pred).length;
    expect(cases.length).toBeGreaterThanOrEqual(150);
    expect(count((c) => c.lang === 'en')).toBeGreaterThanOrEqual(80);
    expect(count((c) => c.lang === 'pt')).toBeGreaterThanOrEqual(35);
    expect(count((c) => c.lang === 'es')).toBeGreaterThanOrEqual(35);
    expect(count((c) => c.expected === 'emergency')).toBeGreaterThanOrEqual(45);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it('prints the confusion matrix and the measured figures', () => {
    const matrix: Record<string, Record<string, number>> = {};
    for (const expected of TRIAGE_LEVELS) {
      matrix[`expected ${expected}`] = Object.fromEntries(TRIAGE_LEVELS.map((level) => [level, 0]));
    }
    for (const c of cases) matrix[`expected ${c.expected}`]![predicted(c)]! += 1;
    const correct = cases.filter((c) => predicted(c) === c.expected).length;
    const holdout = cases.filter((c) => c.tags.includes('holdout'));
    const holdoutCorrect = holdout.filter((c) => predicted(c) === c.expected).length;
    console.log('Triage corpus confusion matrix (rows: expected, columns: predicted)');
    console.table(matrix);
    console.log(
      `accuracy ${correct}/${cases.length} (${((100 * correct) / cases.length).toFixed(1)}%), ` +
        `holdout ${holdoutCorrect}/${holdout.length}; misclassified: ` +
        cases
          .filter((c) => predicted(c) !== c.expected)
          .map((c) => `${c.id} ${c.expected}->${predicted(c)}`)
          .join(', '),
    );
    expect(Object.values(matrix).reduce((sum, row) => sum + Object.values(row).reduce((a, b) => a + b, 0), 0)).toBe(
      cases.length,
    );
  });

  it('classifies every emergency case as an emergency (100% recall)', () => {
    const missed = cases.filter((c) => c.expected === 'emergency' && predicted(c) !== 'emergency');
    expect(missed.map((c) => `${c.id} -> ${predicted(c)}`)).toEqual([]);
  });

  it('raises at most 5% false alarms on the non-emergency cases (the corpus target)', () => {
    const others = cases.filter((c) => c.expected !== 'emergency');
    const alarms = others.filter((c) => predicted(c) === 'emergency');
    expect(alarms.length / others.length).toBeLessThanOrEqual(0.05);
    expect(alarms.map((c) => c.id)).toEqual([]);
  });

  it('never raises an emergency for a negated, historical or hypothetical mention', () => {
    const tagged = cases.filter(
      (c) => c.expected !== 'emergency' && c.tags.some((t) => ['negation', 'historical', 'hypothetical'].includes(t)),
    );
    expect(tagged.length).toBeGreaterThanOrEqual(25);
    const alarms = tagged.filter((c) => predicted(c) === 'emergency');
    expect(alarms.map((c) => c.id)).toEqual([]);
  });

  it('reaches the measured overall accuracy', () => {
    const correct = cases.filter((c) => predicted(c) === c.expected).length;
    expect(correct / cases.length).toBeGreaterThanOrEqual(MIN_ACCURACY);
  });

  it('answers in the language the patient wrote in', () => {
    const right = cases.filter((c) => results.get(c.id)!.language === c.lang).length;
    expect(right / cases.length).toBeGreaterThanOrEqual(MIN_LANGUAGE_ACCURACY);
    const emergencies = cases.filter((c) => c.expected === 'emergency');
    expect(emergencies.filter((c) => results.get(c.id)!.language !== c.lang).map((c) => c.id)).toEqual([]);
  });

  it('gives every reply the notice and no dose or definitive diagnosis', () => {
    const unsafe = cases.filter((c) => !checkReplySafety(results.get(c.id)!.reply).ok);
    expect(unsafe.map((c) => c.id)).toEqual([]);
  });

  it('reports red-flag ids exactly when the level is emergency', () => {
    const inconsistent = cases.filter((c) => {
      const a = results.get(c.id)!;
      return (a.triageLevel === 'emergency') !== a.redFlags.length > 0;
    });
    expect(inconsistent.map((c) => c.id)).toEqual([]);
  });
});
