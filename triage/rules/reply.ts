import { EMERGENCY_INSTRUCTIONS } from '../notices';
import type { Evaluation } from './engine';
import type { Rule, Rulebook } from './rulebook';

/** How many rules' advice one reply carries: enough to be useful, short enough for WhatsApp. */
const MAX_ADVICE = 3;

export interface ComposedReply {
  /** The reply without the "not a diagnosis" notice (the safety layer adds it). */
  text: string;
  followUpQuestions: string[];
}

function conceptsOf(rule: Rule): Set<string> {
  return new Set(rule.when.flatMap((block) => [...(block.all ?? []), ...(block.any ?? [])]));
}

/**
 * The advice to give: every rule at the winning level, then less severe rules only when they are
 * about something else (a fever that is "urgent" should not also get the "self-care" fever advice).
 */
function adviceRules(evaluation: Evaluation): Rule[] {
  const top = evaluation.matched.filter((r) => r.level === evaluation.level);
  const covered = new Set(top.flatMap((r) => [...conceptsOf(r)]));
  const others = evaluation.matched.filter((r) => {
    if (r.level === evaluation.level) return false;
    const concepts = conceptsOf(r);
    const overlaps = [...concepts].some((c) => covered.has(c));
    concepts.forEach((c) => covered.add(c));
    return !overlaps;
  });
  return [...top, ...others].slice(0, MAX_ADVICE);
}

/** Turns an evaluation into the patient-facing text, in the patient's language. */
export function composeReply(evaluation: Evaluation, rulebook: Rulebook): ComposedReply {
  const lang = evaluation.language;
  const followUpQuestions = [
    ...evaluation.decidingQuestions.map((q) => q[lang]),
    ...evaluation.followUps.flatMap((id) => {
      const question = rulebook.questions[id];
      return question ? [question[lang]] : [];
    }),
  ];
  const parts: string[] = [];
  if (evaluation.level === 'emergency') {
    parts.push(EMERGENCY_INSTRUCTIONS[lang]);
    const advice = [
      ...evaluation.matched.filter((r) => r.level === 'emergency').map((rule) => rule.advice[lang]),
      ...evaluation.extraAdvice.map((a) => a[lang]),
    ];
    parts.push(...advice.slice(0, MAX_ADVICE));
    return { text: parts.join('\n\n'), followUpQuestions: [] };
  }
  if (evaluation.matched.length === 0) {
    // Raised to `urgent` by a warning sign alone: say so, then ask the deciding question.
    parts.push(evaluation.level === 'info' ? rulebook.fallback[lang] : rulebook.levels[evaluation.level][lang]);
  } else {
    const intro = evaluation.level === 'info' ? '' : rulebook.levels[evaluation.level][lang];
    if (intro) parts.push(intro);
    parts.push(...adviceRules(evaluation).map((rule) => rule.advice[lang]));
  }
  if (followUpQuestions.length > 0) parts.push(followUpQuestions.join('\n'));
  return { text: parts.join('\n\n'), followUpQuestions };
}
