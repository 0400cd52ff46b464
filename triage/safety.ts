import type { Logger } from 'pino';
import { AiProviderUnavailableError } from './errors';
import { isSupportedLanguage, type Language } from './language';
import {
  EMERGENCY_INSTRUCTIONS,
  NOT_A_DIAGNOSIS_NOTICE,
  SAFE_DIAGNOSIS_WORDING,
  SAFE_MEDICATION_WORDING,
  SEEN_TODAY_WORDING,
} from './notices';
import { moreSevere } from './rules/engine';
import type { RulesProvider } from './rules/provider';
import { normalise, splitSentences } from './text';
import type { AssessInput, Assessment, MedicalCore } from './types';

export {
  EMERGENCY_INSTRUCTIONS,
  NOT_A_DIAGNOSIS_NOTICE,
  SAFE_DIAGNOSIS_WORDING,
  SAFE_MEDICATION_WORDING,
} from './notices';

/**
 * The safety layer wraps every provider. Whatever a provider says:
 * - the red-flag rules run first, and an emergency they find is answered by them, at once;
 * - a provider's own "emergency" is kept, and always carries emergency instructions;
 * - no reply gives a dose or states a diagnosis as fact (such sentences are replaced);
 * - every reply ends with the "not a diagnosis" notice, in the patient's language.
 */

const DOSE_PATTERNS = [
  /\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|gr|grams?|gramas?|gramos?|ml|cc|ui|iu|units?|unidades?|gotas?|drops?|comprimidos?|tablets?|tabs?|pills?|capsules?|capsulas?|pastillas?|sachets?|puffs?|colher(?:es)?|cucharadas?|cucharaditas?|teaspoons?|tablespoons?|tsp|tbsp)\b/,
  /\b(?:every|each|cada|de)\s+\d+\s*(?:(?:em|a|en)\s+\d+\s*)?(?:h|hrs?|hours?|horas?)\b/,
  /\b\d+\s*(?:x|times|vezes|veces)\s*(?:a|per|ao|por|al)\s*(?:day|dia)\b/,
  /\b(?:take|took|give|tome|tomar|toma|dar|de|tomen)\s+(?:one|two|three|four|a couple of|um|uma|dois|duas|tres|uno|una|dos|\d+)\s+(?:tablets?|pills?|capsules?|comprimidos?|pastillas?|capsulas?|doses?|dosis|gotas|drops)\b/,
  /\b(?:dose|dosage|dosis|posologia)\s+(?:is|of|e|es|de)\s+\d/,
];

const CONDITIONAL_BEFORE =
  /\b(?:if|whether|when|unless|case|do|did|don't|se|caso|quando|si|cuando|que)\s+(?:\S+\s+){0,2}$/;

const DIAGNOSIS_PATTERNS = [
  /\byou(?:'ve| have)? (?:definitely |clearly |probably |certainly |most likely )?(?:have|got|are suffering from|suffer from|have got)\b/,
  /\b(?:the|your) diagnosis is\b/,
  /\b(?:this|it) is (?:definitely|clearly|certainly|surely)\b/,
  /\bi diagnose\b/,
  /\b(?:voce|vc|tu) (?:certamente |provavelmente |com certeza )?(?:tem|esta com|estas com|sofre de)\b/,
  /\bo (?:seu )?diagnostico e\b/,
  /\b(?:isso|isto) e (?:certamente|definitivamente|com certeza)\b/,
  /\b(?:usted|tu) (?:seguramente |probablemente |sin duda )?(?:tiene|tienes|padece|padeces|sufre de|sufres de)\b/,
  /\bel (?:su )?diagnostico es\b/,
  /\b(?:esto|eso) es (?:definitivamente|sin duda|claramente|seguramente)\b/,
];

/**
 * What the checks found in each sentence seen lately. Replies are mostly made of the same advice and
 * question sentences, so the checks (pure functions of the sentence) run once per distinct sentence.
 */
const checked = new Map<string, { dose: boolean; diagnosis: boolean }>();
const CHECKED_MAX = 5000;

function check(sentence: string): { dose: boolean; diagnosis: boolean } {
  const known = checked.get(sentence);
  if (known) return known;
  const text = normalise(sentence);
  const dose = DOSE_PATTERNS.some((p) => p.test(text));
  const diagnosis =
    !sentence.trim().endsWith('?') &&
    DIAGNOSIS_PATTERNS.some((pattern) => {
      const match = pattern.exec(text);
      return match !== null && !CONDITIONAL_BEFORE.test(text.slice(0, match.index));
    });
  if (checked.size >= CHECKED_MAX) checked.clear();
  const result = { dose, diagnosis };
  checked.set(sentence, result);
  return result;
}

function hasDose(sentence: string): boolean {
  return check(sentence).dose;
}

function hasDiagnosis(sentence: string): boolean {
  return check(sentence).diagnosis;
}

function hasNotice(text: string): boolean {
  return Object.values(NOT_A_DIAGNOSIS_NOTICE).some((notice) => text.includes(notice));
}

export interface ReplySafetyReport {
  ok: boolean;
  hasNotice: boolean;
  /** Sentences that give a dose or dosing schedule. */
  doseSentences: string[];
  /** Sentences that state a diagnosis as fact ("you have X"). */
  diagnosisSentences: string[];
}

/** Checks a final reply: notice present, no doses, no definitive diagnosis. */
export function checkReplySafety(text: string): ReplySafetyReport {
  const sentences = splitSentences(text);
  const doseSentences = sentences.filter(hasDose);
  const diagnosisSentences = sentences.filter(hasDiagnosis);
  const notice = hasNotice(text);
  return {
    ok: notice && doseSentences.length === 0 && diagnosisSentences.length === 0,
    hasNotice: notice,
    doseSentences,
    diagnosisSentences,
  };
}

/** Replaces unsafe sentences with safe wording (once each) and drops any notice a provider wrote itself. */
export function sanitizeReply(text: string, lang: Language): string {
  let withoutNotice = text;
  for (const notice of Object.values(NOT_A_DIAGNOSIS_NOTICE)) withoutNotice = withoutNotice.split(notice).join('');
  const paragraphs = withoutNotice.split(/\n{2,}/);
  let medicationNoted = false;
  let diagnosisNoted = false;
  const cleaned = paragraphs.map((paragraph) =>
    paragraph
      .split('\n')
      .map((line) =>
        splitSentences(line)
          .flatMap((sentence) => {
            if (hasDose(sentence)) {
              if (medicationNoted) return [];
              medicationNoted = true;
              return [SAFE_MEDICATION_WORDING[lang]];
            }
            if (hasDiagnosis(sentence)) {
              if (diagnosisNoted) return [];
              diagnosisNoted = true;
              return [SAFE_DIAGNOSIS_WORDING[lang]];
            }
            return [sentence];
          })
          .join(' '),
      )
      .filter((line) => line.trim().length > 0)
      .join('\n'),
  );
  return cleaned.filter((p) => p.trim().length > 0).join('\n\n');
}

function replyLanguage(assessment: Assessment, fallback: Language): Language {
  const code = assessment.language.toLowerCase().slice(0, 2);
  return isSupportedLanguage(code) ? code : fallback;
}

/** Applies every guarantee to one assessment: the last step before a reply leaves the core. */
export function finaliseAssessment(assessment: Assessment, fallbackLanguage: Language): Assessment {
  const lang = replyLanguage(assessment, fallbackLanguage);
  let body = sanitizeReply(assessment.reply, lang);
  if (assessment.triageLevel === 'emergency' && !body.includes(EMERGENCY_INSTRUCTIONS[lang])) {
    body = body.length > 0 ? `${EMERGENCY_INSTRUCTIONS[lang]}\n\n${body}` : EMERGENCY_INSTRUCTIONS[lang];
  }
  const redFlags =
    assessment.triageLevel === 'emergency' && assessment.redFlags.length === 0
      ? ['provider-emergency']
      : assessment.redFlags;
  return {
    ...assessment,
    reply: `${body}\n\n${NOT_A_DIAGNOSIS_NOTICE[lang]}`,
    redFlags,
    followUpQuestions: assessment.followUpQuestions.filter((q) => !hasDose(q) && !hasDiagnosis(q)),
    language: lang,
  };
}

export type OnUnavailable = 'fallback' | 'throw';

export interface SafetyLayerDeps {
  rules: RulesProvider;
  /** The provider whose answers are screened; the rules provider itself when AI_PROVIDER=rules. */
  inner: MedicalCore;
  /**
   * What to do when the AI provider cannot be reached: answer from the rules at once ('fallback', the
   * default), or rethrow the AiProviderUnavailableError so the caller's retry policy decides ('throw').
   */
  onUnavailable?: OnUnavailable;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export function createSafetyLayer({ rules, inner, onUnavailable = 'fallback', logger }: SafetyLayerDeps): MedicalCore {
  return {
    async assess(input: AssessInput): Promise<Assessment> {
      const screening = rules.assessSync(input);
      const lang = replyLanguage(screening, 'en');
      if (screening.triageLevel === 'emergency' || inner === rules) {
        return finaliseAssessment(screening, lang);
      }
      let answer: Assessment;
      try {
        answer = await inner.assess(input);
      } catch (err) {
        if (!(err instanceof AiProviderUnavailableError) || onUnavailable === 'throw') throw err;
        logger?.warn({ reason: err.reason, status: err.status }, 'AI provider unavailable; answering from the rules');
        return finaliseAssessment(screening, lang);
      }
      // The model may be more cautious than the rules, never less where the rules want a same-day visit.
      if (screening.triageLevel === 'urgent' && moreSevere(answer.triageLevel, 'urgent') !== answer.triageLevel) {
        const answerLang = replyLanguage(answer, lang);
        answer = { ...answer, triageLevel: 'urgent', reply: `${SEEN_TODAY_WORDING[answerLang]}\n\n${answer.reply}` };
      }
      return finaliseAssessment(answer, lang);
    },
  };
}
