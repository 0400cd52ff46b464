import type { Language } from '../language';
import { normalise, splitClauses, tokens } from '../text';
import { readAgeMonths, readDurationDays, readTemperatureC } from './features';
import { isNegated, isNotCurrent } from './negation';
import type { Rulebook } from './rulebook';

/** A piece of text that speaks for the patient now: a patient turn, or an assistant question they said "yes" to. */
export interface Segment {
  text: string;
  lang: Language;
}

export interface Findings {
  /** Concepts mentioned as current at least once. */
  present: Set<string>;
  /** Concepts only ever mentioned negated ("no chest pain"). */
  negated: Set<string>;
  /** Concepts only ever mentioned as past or hypothetical ("stroke years ago"). */
  notCurrent: Set<string>;
  temperatureC?: number;
  durationDays?: number;
  ageMonths?: number;
}

type Mention = 'present' | 'negated' | 'notCurrent';

function mentionsIn(clause: string, regex: RegExp, lang: Language, current: boolean): Mention[] {
  const found: Mention[] = [];
  regex.lastIndex = 0;
  for (const match of clause.matchAll(regex)) {
    const before = tokens(clause.slice(0, match.index ?? 0));
    if (isNegated(before, lang)) found.push('negated');
    else found.push(current ? 'present' : 'notCurrent');
  }
  return found;
}

const max = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);
const min = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

/** Reads every segment clause by clause and records which concepts are present, negated or not current. */
export function extractFindings(segments: Segment[], rulebook: Rulebook): Findings {
  const mentions = new Map<string, Set<Mention>>();
  const findings: Findings = { present: new Set(), negated: new Set(), notCurrent: new Set() };
  const fever = rulebook.compiled.get('fever');
  const mentionsFever = (clause: string, lang: Language) =>
    fever !== undefined && mentionsIn(clause, fever, lang, true).includes('present');
  // "I have a fever" ... "it's 40.5 now": a bare number is a temperature when the conversation is about fever.
  const feverInConversation = segments.some((segment) =>
    splitClauses(normalise(segment.text)).some(
      (clause) => !isNotCurrent(clause) && mentionsFever(clause, segment.lang),
    ),
  );
  for (const segment of segments) {
    for (const clause of splitClauses(normalise(segment.text))) {
      const current = !isNotCurrent(clause);
      for (const [concept, regex] of rulebook.compiled) {
        for (const mention of mentionsIn(clause, regex, segment.lang, current)) {
          const seen = mentions.get(concept) ?? new Set<Mention>();
          seen.add(mention);
          mentions.set(concept, seen);
        }
      }
      if (!current) continue;
      findings.temperatureC = max(findings.temperatureC, readTemperatureC(clause, feverInConversation));
      findings.durationDays = max(findings.durationDays, readDurationDays(clause));
      findings.ageMonths = min(findings.ageMonths, readAgeMonths(clause));
    }
  }
  for (const [concept, seen] of mentions) {
    if (seen.has('present')) findings.present.add(concept);
    else if (seen.has('negated')) findings.negated.add(concept);
    else findings.notCurrent.add(concept);
  }
  return findings;
}
