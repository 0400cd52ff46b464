import { HASH_BITS, type FeatureVector } from './features';
import { scoreVector } from './model';

/**
 * Training of the statistical detector: L2-regularised logistic regression by stochastic gradient
 * descent with AdaGrad steps, classes weighted so emergencies count as much as everything else.
 * Deterministic: the example order comes from a seeded generator, nothing depends on time or on
 * Math.random, so the same data always gives the same weights.
 */

export interface Example {
  id: string;
  vector: FeatureVector;
  emergency: boolean;
}

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { epochs: 30, learningRate: 0.5, l2: 1e-3, seed: 20240611 };

/** mulberry32: a small seeded generator. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface Trained {
  bias: number;
  weights: Float64Array;
}

export function train(examples: Example[], options: TrainOptions = DEFAULT_TRAIN_OPTIONS): Trained {
  const size = 1 << HASH_BITS;
  const weights = new Float64Array(size);
  const squares = new Float64Array(size).fill(1e-8);
  let bias = 0;
  let biasSquares = 1e-8;
  const positives = examples.filter((e) => e.emergency).length;
  const negatives = examples.length - positives;
  const weightOf = (e: Example) =>
    e.emergency ? examples.length / (2 * Math.max(1, positives)) : examples.length / (2 * Math.max(1, negatives));
  const random = seededRandom(options.seed);
  const model = { bias: 0, weights: weights as unknown as Float32Array };
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const example of shuffled(examples, random)) {
      model.bias = bias;
      const p = scoreVector(model, example.vector);
      const gradient = (p - (example.emergency ? 1 : 0)) * weightOf(example);
      const { indices, values } = example.vector;
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k]!;
        const g = gradient * values[k]! + options.l2 * weights[i]!;
        squares[i]! += g * g;
        weights[i]! -= (options.learningRate * g) / Math.sqrt(squares[i]!);
      }
      biasSquares += gradient * gradient;
      bias -= (options.learningRate * gradient) / Math.sqrt(biasSquares);
    }
  }
  return { bias, weights };
}

/** Fold (0..folds-1) of an example, from its id: stable whatever the order of the data. */
export function foldOf(id: string, folds: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % folds;
}

/** Out-of-fold score of every example: each fold scored by a model trained on the others. */
export function crossValidatedScores(
  examples: Example[],
  folds: number,
  options: TrainOptions = DEFAULT_TRAIN_OPTIONS,
): Map<string, number> {
  const scores = new Map<string, number>();
  for (let fold = 0; fold < folds; fold++) {
    const trainSet = examples.filter((e) => foldOf(e.id, folds) !== fold);
    const testSet = examples.filter((e) => foldOf(e.id, folds) === fold);
    const trained = train(trainSet, options);
    const model = { bias: trained.bias, weights: trained.weights as unknown as Float32Array };
    for (const e of testSet) scores.set(e.id, scoreVector(model, e.vector));
  }
  return scores;
}

export interface ThresholdPoint {
  threshold: number;
  recall: number;
  falseAlarms: number;
}

/** Recall and false-alarm rate of `score >= threshold` for each candidate threshold. */
export function thresholdCurve(
  examples: Example[],
  scores: Map<string, number>,
  thresholds: number[],
): ThresholdPoint[] {
  const positives = examples.filter((e) => e.emergency);
  const negatives = examples.filter((e) => !e.emergency);
  return thresholds.map((threshold) => ({
    threshold,
    recall: positives.filter((e) => (scores.get(e.id) ?? 0) >= threshold).length / Math.max(1, positives.length),
    falseAlarms: negatives.filter((e) => (scores.get(e.id) ?? 0) >= threshold).length / Math.max(1, negatives.length),
  }));
}
