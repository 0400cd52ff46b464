import { detectConversationLanguage, detectLanguage, type Language } from '../language';
import { normalise, splitSentences } from '../text';
import { TRIAGE_LEVELS, type AssessInput, type ConversationTurn, type TriageLevel } from '../types';
import { extractFindings, type Findings, type Segment } from './findings';
import { isAffirmative } from './negation';
import type { ConditionBlock, Rule, Rulebook } from './rulebook';

export interface Evaluation {
  level: TriageLevel;
  /** Matched rules, most severe first. */
  matched: Rule[];
  /** Ids of the matched emergency rules. */
  redFlags: string[];
  /** Ids of the follow-up questions to ask (already filtered for what the patient told us). */
  followUps: string[];
  language: Language;
  findings: Findings;
}

/** How far back the conversation still describes the patient's current problem. */
const MAX_TURNS = 12;
const MAX_AGE_MS = 12 * 60 * 60 * 1000;

/** Lower index = more severe (TRIAGE_LEVELS is ordered emergency first). */
export function severity(level: TriageLevel): number {
  return TRIAGE_LEVELS.indexOf(level);
}

export function moreSevere(a: TriageLevel, b: TriageLevel): TriageLevel {
  return severity(a) <= severity(b) ? a : b;
}

function recentTurns(messages: ConversationTurn[]): ConversationTurn[] {
  const turns = messages.slice(-MAX_TURNS);
  const lastAt = Date.parse(turns[turns.length - 1]?.at ?? '');
  if (Number.isNaN(lastAt)) return turns;
  return turns.filter((turn) => {
    const at = Date.parse(turn.at ?? '');
    return Number.isNaN(at) || lastAt - at <= MAX_AGE_MS;
  });
}

/**
 * The patient's words, plus any assistant question the patient answered with "yes": "Does the pain
 * spread to your arm?" / "sim" means the arm is involved.
 */
function segmentsOf(turns: ConversationTurn[], language: Language): Segment[] {
  const segments: Segment[] = [];
  turns.forEach((turn, index) => {
    if (turn.role !== 'patient') return;
    segments.push({ text: turn.text, lang: detectLanguage(turn.text) ?? language });
    const previous = turns[index - 1];
    if (previous?.role === 'assistant' && isAffirmative(normalise(turn.text))) {
      for (const question of splitSentences(previous.text).filter((s) => s.includes('?'))) {
        segments.push({ text: question, lang: language });
      }
    }
  });
  return segments;
}

function blockHolds(block: ConditionBlock, findings: Findings): boolean {
  const has = (concept: string) => findings.present.has(concept);
  if (block.all && !block.all.every(has)) return false;
  if (block.any && block.any.length > 0 && !block.any.some(has)) return false;
  if (block.none?.some(has)) return false;
  if (block.minTemperatureC !== undefined && !((findings.temperatureC ?? 0) >= block.minTemperatureC)) return false;
  if (block.minDurationDays !== undefined && !((findings.durationDays ?? 0) >= block.minDurationDays)) return false;
  if (
    block.maxAgeMonths !== undefined &&
    !(findings.ageMonths !== undefined && findings.ageMonths < block.maxAgeMonths)
  ) {
    return false;
  }
  return true;
}

function isKnown(what: 'duration' | 'temperature' | 'age', findings: Findings): boolean {
  if (what === 'duration') return findings.durationDays !== undefined;
  if (what === 'temperature') return findings.temperatureC !== undefined;
  return findings.ageMonths !== undefined;
}

/** Runs the rulebook over the recent conversation. Pure and synchronous: no I/O, same input, same answer. */
export function evaluate(input: AssessInput, rulebook: Rulebook): Evaluation {
  const turns = recentTurns(input.messages);
  const patientTexts = turns.filter((t) => t.role === 'patient').map((t) => t.text);
  const language = detectConversationLanguage(patientTexts);
  const findings = extractFindings(segmentsOf(turns, language), rulebook);
  const patient = input.patient;
  if (patient?.pregnant) findings.present.add('pregnant');
  if (findings.ageMonths === undefined && patient?.ageYears !== undefined) findings.ageMonths = patient.ageYears * 12;

  let matched = rulebook.rules.filter((rule) => rule.when.some((block) => blockHolds(block, findings)));
  if (matched.some((rule) => !rule.onlyAlone)) matched = matched.filter((rule) => !rule.onlyAlone);
  matched.sort((a, b) => severity(a.level) - severity(b.level));

  const level = matched[0]?.level ?? 'info';
  const followUps: string[] = [];
  if (level !== 'emergency') {
    for (const rule of matched.filter((r) => r.level === level)) {
      for (const id of rule.ask) {
        const question = rulebook.questions[id];
        if (!question || followUps.includes(id)) continue;
        if (question.unlessKnown && isKnown(question.unlessKnown, findings)) continue;
        followUps.push(id);
      }
    }
  }
  if (matched.length === 0) followUps.push('symptoms');

  return {
    level,
    matched,
    redFlags: matched.filter((r) => r.level === 'emergency').map((r) => r.id),
    followUps: followUps.slice(0, 3),
    language,
    findings,
  };
}
