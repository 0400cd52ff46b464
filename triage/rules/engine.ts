import { detect, loadLexicon, redFlagDef, type Detection } from '../detect/detector';
import { detectConversationLanguage, detectLanguage, type Language } from '../language';
import { loadModel, scoreDetection, type Model, type ModelVerdict } from '../model/model';
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
  /** What detector v2 (lexicons by proximity) found. */
  detection: Detection;
  /** The statistical detector's score and verdict. */
  model: ModelVerdict;
  /** Advice of red flags raised by detector v2 or the model that no matched rule covers. */
  extraAdvice: Array<Record<Language, string>>;
  /** The deciding question(s) when a warning sign was not enough for an emergency, asked first. */
  decidingQuestions: Array<Record<Language, string>>;
}

/** Advice when only the statistical detector raised the emergency. */
export const MODEL_EMERGENCY_ADVICE: Record<Language, string> = {
  en: 'While you wait, stay with the person, keep your phone close and unlock the door. Do not eat, drink or take any medicine unless the emergency operator tells you to.',
  pt: 'Enquanto espera, fique com a pessoa, mantenha o telefone por perto e destranque a porta. Não coma, não beba nem tome nenhum remédio a menos que o atendente da emergência oriente.',
  es: 'Mientras espera, quédese con la persona, tenga el teléfono cerca y abra la puerta. No coma, no beba ni tome ningún medicamento salvo que se lo indique el operador de emergencias.',
};

/** Asked when only the statistical detector was unsure. */
export const MODEL_UNSURE_QUESTION: Record<Language, string> = {
  en: 'To be safe: is anyone having trouble breathing, chest pain, severe bleeding, fainting, a seizure, or thoughts of self-harm right now?',
  pt: 'Por segurança: alguém está com dificuldade para respirar, dor no peito, sangramento forte, desmaio, convulsão ou pensamentos de se machucar agora?',
  es: 'Por seguridad: ¿alguien tiene ahora dificultad para respirar, dolor en el pecho, sangrado fuerte, desmayo, convulsiones o pensamientos de hacerse daño?',
};

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

/** A question ("can I take X with Y?") is answered, but never raises a red flag by itself. */
function has(findings: Findings, concept: string, level: TriageLevel): boolean {
  return findings.present.has(concept) && !(level === 'emergency' && findings.questionOnly.has(concept));
}

function blockHolds(block: ConditionBlock, findings: Findings, level: TriageLevel): boolean {
  if (block.all) for (const concept of block.all) if (!has(findings, concept, level)) return false;
  if (block.any && block.any.length > 0) {
    let some = false;
    for (const concept of block.any) if (has(findings, concept, level)) some = true;
    if (!some) return false;
  }
  if (block.none) for (const concept of block.none) if (has(findings, concept, level)) return false;
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
export interface EvaluateOptions {
  /** The statistical detector; `null` turns it off (eval and tests). Default: the committed weights. */
  model?: Model | null;
}

export function evaluate(input: AssessInput, rulebook: Rulebook, options: EvaluateOptions = {}): Evaluation {
  const turns = recentTurns(input.messages);
  const patientTexts = turns.filter((t) => t.role === 'patient').map((t) => t.text);
  const language = detectConversationLanguage(patientTexts);
  const segments = segmentsOf(turns, language);
  const detection = detect(segments, loadLexicon());
  const findings = extractFindings(segments, rulebook, detection);
  const patient = input.patient;
  if (patient?.pregnant) findings.present.add('pregnant');
  if (findings.ageMonths === undefined && patient?.ageYears !== undefined) findings.ageMonths = patient.ageYears * 12;

  let matched = rulebook.rules.filter((rule) => rule.when.some((block) => blockHolds(block, findings, rule.level)));
  if (matched.some((rule) => !rule.onlyAlone)) matched = matched.filter((rule) => !rule.onlyAlone);
  matched.sort((a, b) => severity(a.level) - severity(b.level));

  const model = scoreDetection(detection, options.model === undefined ? loadModel() : options.model);
  const redFlags = matched.filter((r) => r.level === 'emergency').map((r) => r.id);
  const extraAdvice: Array<Record<Language, string>> = [];
  for (const flag of detection.flags) {
    const id = flag.rule ?? flag.id;
    if (redFlags.includes(id)) continue;
    redFlags.push(id);
    const rule = flag.rule ? rulebook.rules.find((r) => r.id === flag.rule) : undefined;
    const advice = rule?.advice ?? redFlagDef(flag.id)?.advice;
    if (advice) extraAdvice.push(advice);
  }
  if (model.emergency && redFlags.length === 0) {
    redFlags.push('model-emergency');
    extraAdvice.push(MODEL_EMERGENCY_ADVICE);
  }

  let level: TriageLevel = redFlags.length > 0 ? 'emergency' : (matched[0]?.level ?? 'info');
  // Safety bias: a warning sign (or a score close to the model's threshold) is never info or self-care,
  // and the reply asks the one question that decides whether it is an emergency.
  const decidingQuestions: Array<Record<Language, string>> = [];
  if (level !== 'emergency') {
    for (const signal of detection.signals) {
      const ask = redFlagDef(signal.id)?.ask;
      if (ask && decidingQuestions.length === 0) decidingQuestions.push(ask);
    }
    if (decidingQuestions.length === 0 && model.unsure) decidingQuestions.push(MODEL_UNSURE_QUESTION);
    if (decidingQuestions.length > 0) level = moreSevere(level, 'urgent');
  }
  const followUps: string[] = [];
  if (level !== 'emergency' && decidingQuestions.length === 0) {
    for (const rule of matched.filter((r) => r.level === level)) {
      for (const id of rule.ask) {
        const question = rulebook.questions[id];
        if (!question || followUps.includes(id)) continue;
        if (question.unlessKnown && isKnown(question.unlessKnown, findings)) continue;
        followUps.push(id);
      }
    }
  }
  if (matched.length === 0 && decidingQuestions.length === 0) followUps.push('symptoms');

  return {
    level,
    matched,
    redFlags,
    followUps: followUps.slice(0, 3),
    language,
    findings,
    detection,
    model,
    extraAdvice,
    decidingQuestions,
  };
}
