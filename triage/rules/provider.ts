import type { AssessInput, Assessment, MedicalCore } from '../types';
import { evaluate, type EvaluateOptions, type Evaluation } from './engine';
import { composeReply } from './reply';
import { loadRulebook, type Rulebook } from './rulebook';

export const RULES_MODEL_PREFIX = 'rules-v';

/** The embedded provider: deterministic, no network. `evaluate` is what the safety layer screens with. */
export interface RulesProvider extends MedicalCore {
  evaluate(input: AssessInput): Evaluation;
  assessSync(input: AssessInput): Assessment;
}

export function createRulesProvider(rulebook: Rulebook = loadRulebook(), options: EvaluateOptions = {}): RulesProvider {
  const model = `${RULES_MODEL_PREFIX}${rulebook.version}`;
  const assessSync = (input: AssessInput): Assessment => {
    const evaluation = evaluate(input, rulebook, options);
    const reply = composeReply(evaluation, rulebook);
    return {
      triageLevel: evaluation.level,
      reply: reply.text,
      redFlags: evaluation.redFlags,
      followUpQuestions: reply.followUpQuestions,
      provider: 'rules',
      model,
      language: evaluation.language,
    };
  };
  return {
    evaluate: (input) => evaluate(input, rulebook, options),
    assessSync,
    assess: (input) => Promise.resolve(assessSync(input)),
  };
}
