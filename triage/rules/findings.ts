import { canonicalFor, clauseScopes, type Detection } from '../detect/detector';
import type { Language } from '../language';
import { tokens } from '../text';
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
  /** Concepts in `present` only because a question mentions them ("can I take X with Y?"): no red flag. */
  questionOnly: Set<string>;
  temperatureC?: number;
  durationDays?: number;
  ageMonths?: number;
}

type Mention = 'present' | 'negated' | 'notCurrent' | 'questioned';

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
export function extractFindings(segments: Segment[], rulebook: Rulebook, detection?: Detection): Findings {
  const mentions = new Map<string, Set<Mention>>();
  const findings: Findings = { present: new Set(), negated: new Set(), notCurrent: new Set(), questionOnly: new Set() };
  const fever = rulebook.compiled.get('fever');
  const mentionsFever = (clause: string, lang: Language) =>
    fever !== undefined && mentionsIn(clause, fever, lang, true).includes('present');
  // Clauses of the canonical text (typos, abbreviations and repeated letters fixed) with the scope
  // detector v2 gives them: a past, hypothetical, figurative or resolved clause is not current.
  const clausesOf = (segment: Segment, index: number) => {
    const known = detection?.canonical[index] !== undefined && detection.clauses[index] !== undefined;
    const canonical = known ? detection.canonical[index]! : canonicalFor(segment.text);
    const scopes = known ? detection.clauses[index]! : clauseScopes(canonical, segment.lang);
    return scopes.map((c) => ({
      text: canonical
        .slice(c.start, c.end)
        .replace(/^[\s,.;!?]+|[\s,.;!?]+$/g, '')
        .trim(),
      current: c.scope === 'current' || c.scope === 'question',
      question: c.scope === 'question',
    }));
  };
  const perSegment = segments.map((segment, i) => ({ segment, clauses: clausesOf(segment, i) }));
  // "I have a fever" ... "it's 40.5 now": a bare number is a temperature when the conversation is about fever.
  const feverInConversation = perSegment.some(({ segment, clauses }) =>
    clauses.some((c) => c.current && !isNotCurrent(c.text) && mentionsFever(c.text, segment.lang)),
  );
  for (const { segment, clauses } of perSegment) {
    for (const { text: clause, current: inScope, question } of clauses) {
      if (clause.length === 0) continue;
      const current = inScope && !isNotCurrent(clause);
      for (const hit of rulebook.scanner.scan(clause)) {
        const before = tokens(clause.slice(0, hit.index));
        // "seizure free for 3 years", "pain free": the word after the mention negates it.
        const free = /^ free\b/.test(clause.slice(hit.index + hit.length));
        const mention: Mention =
          free || isNegated(before, segment.lang) ? 'negated' : current ? 'present' : 'notCurrent';
        const seen = mentions.get(hit.concept) ?? new Set<Mention>();
        seen.add(question && mention === 'present' ? 'questioned' : mention);
        mentions.set(hit.concept, seen);
      }
      if (!current) continue;
      findings.temperatureC = max(findings.temperatureC, readTemperatureC(clause, feverInConversation));
      findings.durationDays = max(findings.durationDays, readDurationDays(clause));
      findings.ageMonths = min(findings.ageMonths, readAgeMonths(clause));
    }
  }
  for (const [concept, seen] of mentions) {
    if (seen.has('present')) findings.present.add(concept);
    else if (seen.has('questioned')) {
      findings.present.add(concept);
      findings.questionOnly.add(concept);
    } else if (seen.has('negated')) findings.negated.add(concept);
    else findings.notCurrent.add(concept);
  }
  return findings;
}
