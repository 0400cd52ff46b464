/**
 * npm run triage:train
 *
 * Trains the statistical detector from the open labelled sets (roles corpus, training and folded in
 * test/fixtures/triage/sets.json; never fresh or blind sets) and writes:
 * - triage/detect/vocabulary.json: everyday words of those messages that spelling correction must not touch;
 * - triage/model/weights.json: the logistic-regression weights and the thresholds chosen by 5-fold
 *   cross-validation over the same data (see docs/triage.md, "Statistical detector").
 * Deterministic: the same data and code give byte-identical files.
 */
import { writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { canonicalise, editDistance } from '../triage/detect/canonical';
import { rawLexiconFiles, resetLexiconCache, VOCABULARY_PATH } from '../triage/detect/detector';
import { detectionFeatures } from '../triage/model/features';
import { encodeWeights, WEIGHTS_PATH, type WeightsFile } from '../triage/model/model';
import { createRulesProvider } from '../triage/rules/provider';
import { loadRulebook } from '../triage/rules/rulebook';
import {
  crossValidatedScores,
  DEFAULT_TRAIN_OPTIONS,
  thresholdCurve,
  train,
  type Example,
} from '../triage/model/train';
import { loadManifest, loadSet, OPEN_ROLES, patientText, type LabelledMessage } from './triage-sets';

/**
 * Thresholds are chosen for recall on out-of-fold scores: the lowest threshold (so the highest recall)
 * whose cross-validated false-alarm rate stays within a budget. The emergency budget is 3%, so the
 * model can add at most a few points to the lexicon detector's false alarms (blind target: <= 8%
 * overall); the "unsure" budget (an answer of at least `urgent` with a deciding question, never an
 * emergency) is 12%.
 */
export const EMERGENCY_FA_BUDGET = 0.03;
export const UNSURE_FA_BUDGET = 0.12;
/** The model alone, with no warning sign from the lexicon detector, needs a score this rare on non-emergencies. */
export const STRONG_FA_BUDGET = 0.01;
const FOLDS = 5;

/** The words spelling correction corrects towards (lexicon.yaml, `spelling`). */
function lexiconTargets(): string[] {
  const { lexicon } = rawLexiconFiles() as { lexicon: { spelling?: string[] } };
  return (lexicon.spelling ?? []).flatMap((line) => line.split(/\s+/)).filter((w) => w.length > 0);
}

/** Words seen at least twice, unless they look like a misspelling of a more frequent lexicon word. */
function buildVocabulary(messages: LabelledMessage[]): string[] {
  const counts = new Map<string, number>();
  for (const message of messages) {
    for (const word of canonicalise(patientText(message)).match(/[a-z][a-z']{5,}/g) ?? []) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  const targets = lexiconTargets();
  const targetSet = new Set(targets);
  const vocabulary: string[] = [];
  for (const [word, count] of counts) {
    if (count < 2 || targetSet.has(word)) continue;
    const max = word.length >= 9 ? 2 : 1;
    const near = targets.filter((t) => Math.abs(t.length - word.length) <= max && editDistance(word, t, max) <= max);
    if (near.some((t) => (counts.get(t) ?? 0) >= count)) continue;
    vocabulary.push(word);
  }
  return vocabulary.sort();
}

/** Writes JSON formatted as the repository's Prettier config would (the lint checks committed files). */
async function writeJson(path: string, value: unknown): Promise<void> {
  const options = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(JSON.stringify(value), { ...options, filepath: path }));
}

async function main(): Promise<void> {
  const manifest = loadManifest().filter((e) => OPEN_ROLES.includes(e.role));
  const messages: LabelledMessage[] = [];
  const trainedOn: Array<{ set: string; messages: number }> = [];
  for (const entry of manifest) {
    const set = loadSet(entry);
    if (!set) continue;
    messages.push(...set);
    trainedOn.push({ set: entry.name, messages: set.length });
  }
  console.log(`training data: ${trainedOn.map((t) => `${t.set} (${t.messages})`).join(', ')}`);

  const vocabulary = buildVocabulary(messages);
  await writeJson(VOCABULARY_PATH, vocabulary);
  resetLexiconCache();
  console.log(`vocabulary: ${vocabulary.length} protected words -> ${VOCABULARY_PATH}`);

  // The features are computed on exactly what the engine reads (createRulesProvider().evaluate), so
  // training and inference see the same canonical text and concept mentions.
  const rules = createRulesProvider(loadRulebook(), { model: null });
  const examples: Example[] = messages.map((m) => ({
    id: `${m.set}/${m.id}`,
    vector: detectionFeatures(rules.evaluate({ messages: m.turns }).detection),
    emergency: m.emergency,
  }));
  const positives = examples.filter((e) => e.emergency).length;
  console.log(`examples: ${examples.length} (${positives} emergencies)`);

  const scores = crossValidatedScores(examples, FOLDS);
  const candidates = Array.from({ length: 199 }, (_, i) => (i + 1) / 200);
  const curve = thresholdCurve(examples, scores, candidates);
  console.log('cross-validated (out-of-fold) curve, model alone:');
  for (const point of curve.filter((_, i) => i % 10 === 9)) {
    console.log(
      `  threshold ${point.threshold.toFixed(2)}: recall ${(100 * point.recall).toFixed(1)}%, false alarms ${(100 * point.falseAlarms).toFixed(1)}%`,
    );
  }
  const pick = (budget: number) => curve.find((p) => p.falseAlarms <= budget) ?? curve[curve.length - 1]!;
  const emergency = pick(EMERGENCY_FA_BUDGET);
  const strong = pick(STRONG_FA_BUDGET);
  const unsure = pick(UNSURE_FA_BUDGET);
  console.log(
    `chosen: emergency >= ${emergency.threshold} (CV recall ${(100 * emergency.recall).toFixed(1)}%, false alarms ${(100 * emergency.falseAlarms).toFixed(1)}%); ` +
      `alone >= ${strong.threshold} (CV recall ${(100 * strong.recall).toFixed(1)}%, false alarms ${(100 * strong.falseAlarms).toFixed(1)}%); ` +
      `unsure >= ${unsure.threshold} (CV recall ${(100 * unsure.recall).toFixed(1)}%, false alarms ${(100 * unsure.falseAlarms).toFixed(1)}%)`,
  );

  const trained = train(examples, DEFAULT_TRAIN_OPTIONS);
  const encoded = encodeWeights(trained.weights);
  const file: WeightsFile = {
    format: 'hashed-logreg-int16-v1',
    hashBits: 18,
    bias: trained.bias,
    scale: encoded.scale,
    threshold: emergency.threshold,
    strongThreshold: Math.max(strong.threshold, emergency.threshold),
    unsureThreshold: Math.min(unsure.threshold, emergency.threshold),
    trainedOn,
    crossValidation: {
      folds: FOLDS,
      rule: 'lowest threshold whose out-of-fold false-alarm rate is within the budget',
      emergencyFalseAlarmBudget: EMERGENCY_FA_BUDGET,
      strongFalseAlarmBudget: STRONG_FA_BUDGET,
      strong,
      unsureFalseAlarmBudget: UNSURE_FA_BUDGET,
      emergency: emergency,
      unsure: unsure,
      options: DEFAULT_TRAIN_OPTIONS,
    },
    createdBy: 'npm run triage:train (scripts/triage-train.ts)',
    weights: encoded.weights,
  };
  await writeJson(WEIGHTS_PATH, file);
  console.log(`weights -> ${WEIGHTS_PATH}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
