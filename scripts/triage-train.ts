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
import { detectionFeatures, HASH_BITS } from '../triage/model/features';
import { encodeWeights, WEIGHTS_PATH, wordCount, type WeightsFile } from '../triage/model/model';
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
 * overall); it is measured on the messages of at least MIN_WORDS words, the only ones where that
 * threshold applies. The "unsure" budget (an answer of at least `urgent` with a deciding question,
 * never an emergency) is 12%.
 */
export const EMERGENCY_FA_BUDGET = 0.03;
export const UNSURE_FA_BUDGET = 0.12;
/** The model alone, with no warning sign from the lexicon detector, needs a score this rare on non-emergencies. */
export const STRONG_FA_BUDGET = 0.01;
/**
 * Below this many words the model must be very sure (strongThreshold) to call an emergency: a short
 * message gives it few features, its out-of-fold false alarms at a given threshold are higher there,
 * and the lexicon misses it made up for on the fresh batches before tuning were all of 13 words or
 * more ("my chest feels tight" alone is a question to ask, not an ambulance).
 */
export const MIN_WORDS = 10;
const FOLDS = 5;
/** Stronger than the default regularisation: the same cross-validated recall, a little more at 1% false alarms. */
const TRAIN_OPTIONS = { ...DEFAULT_TRAIN_OPTIONS, l2: 3e-3 };

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
  const words = new Map<string, number>();
  const examples: Example[] = messages.map((m) => {
    const detection = rules.evaluate({ messages: m.turns }).detection;
    const id = `${m.set}/${m.id}`;
    words.set(id, wordCount(detection.canonical));
    return { id, vector: detectionFeatures(detection), emergency: m.emergency };
  });
  const positives = examples.filter((e) => e.emergency).length;
  const long = examples.filter((e) => (words.get(e.id) ?? 0) >= MIN_WORDS);
  console.log(`examples: ${examples.length} (${positives} emergencies; ${long.length} of ${MIN_WORDS} words or more)`);

  const scores = crossValidatedScores(examples, FOLDS, TRAIN_OPTIONS);
  const candidates = Array.from({ length: 199 }, (_, i) => (i + 1) / 200);
  const curve = thresholdCurve(examples, scores, candidates);
  const longCurve = thresholdCurve(long, scores, candidates);
  const shortCurve = thresholdCurve(
    examples.filter((e) => (words.get(e.id) ?? 0) < MIN_WORDS),
    scores,
    candidates,
  );
  console.log(`cross-validated (out-of-fold) curve, model alone: all / ${MIN_WORDS}+ words / shorter`);
  const show = (p: { recall: number; falseAlarms: number }) =>
    `recall ${(100 * p.recall).toFixed(1)}%, false alarms ${(100 * p.falseAlarms).toFixed(1)}%`;
  for (let i = 9; i < curve.length; i += 10) {
    console.log(
      `  threshold ${curve[i]!.threshold.toFixed(2)}: ${show(curve[i]!)} / ${show(longCurve[i]!)} / ${show(shortCurve[i]!)}`,
    );
  }
  const pick = (points: typeof curve, budget: number) =>
    points.find((p) => p.falseAlarms <= budget) ?? points[points.length - 1]!;
  const emergency = pick(longCurve, EMERGENCY_FA_BUDGET);
  const strong = pick(curve, STRONG_FA_BUDGET);
  const unsure = pick(curve, UNSURE_FA_BUDGET);
  console.log(
    `chosen: emergency >= ${emergency.threshold} with a warning sign and ${MIN_WORDS}+ words (CV recall ${(100 * emergency.recall).toFixed(1)}%, false alarms ${(100 * emergency.falseAlarms).toFixed(1)}% there); ` +
      `alone >= ${strong.threshold} (CV recall ${(100 * strong.recall).toFixed(1)}%, false alarms ${(100 * strong.falseAlarms).toFixed(1)}%); ` +
      `unsure >= ${unsure.threshold} (CV recall ${(100 * unsure.recall).toFixed(1)}%, false alarms ${(100 * unsure.falseAlarms).toFixed(1)}%)`,
  );

  const trained = train(examples, TRAIN_OPTIONS);
  const encoded = encodeWeights(trained.weights);
  const file: WeightsFile = {
    format: 'hashed-logreg-sparse-int8-v1',
    hashBits: HASH_BITS,
    bias: trained.bias,
    scale: encoded.scale,
    threshold: emergency.threshold,
    strongThreshold: Math.max(strong.threshold, emergency.threshold),
    unsureThreshold: Math.min(unsure.threshold, emergency.threshold),
    minWords: MIN_WORDS,
    trainedOn,
    crossValidation: {
      folds: FOLDS,
      rule: 'lowest threshold whose out-of-fold false-alarm rate is within the budget',
      emergencyFalseAlarmBudget: EMERGENCY_FA_BUDGET,
      emergencyMeasuredOn: `non-emergencies of ${MIN_WORDS} words or more`,
      emergency,
      strongFalseAlarmBudget: STRONG_FA_BUDGET,
      strong,
      unsureFalseAlarmBudget: UNSURE_FA_BUDGET,
      unsure,
      options: TRAIN_OPTIONS,
    },
    createdBy: 'npm run triage:train (scripts/triage-train.ts)',
    indices: encoded.indices,
    weights: encoded.weights,
  };
  await writeJson(WEIGHTS_PATH, file);
  console.log(`weights -> ${WEIGHTS_PATH}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
