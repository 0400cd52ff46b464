import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Detection } from '../detect/detector';
import { detectionFeatures, HASH_BITS, type FeatureVector } from './features';

/**
 * The statistical detector: logistic regression over hashed character n-grams, words and lexicon
 * concepts (features.ts), trained in this repository by `npm run triage:train` from the labelled sets
 * (test/fixtures/triage/sets.json). Weights are committed in weights.json (the non-zero ones, int8,
 * base64) and read once; inference is a sum in a fixed order, so the same weights always give the same
 * score.
 */

const weightsSchema = z
  .object({
    format: z.literal('hashed-logreg-sparse-int8-v1'),
    hashBits: z.number().int(),
    bias: z.number(),
    /** A stored weight is its int8 value times `scale`. */
    scale: z.number().positive(),
    /**
     * Emergency when score >= threshold, the lexicon detector saw a warning sign and the message has at
     * least `minWords` words (see docs/triage.md).
     */
    threshold: z.number(),
    /** Emergency on the model's word alone when score >= strongThreshold. */
    strongThreshold: z.number(),
    /** At least `urgent` with a deciding question when score >= unsureThreshold. */
    unsureThreshold: z.number(),
    /** Below this many words the model needs strongThreshold: a short message gives it little to go on. */
    minWords: z.number().int().nonnegative(),
    /** The buckets with a non-zero weight: base64 of unsigned LEB128 gaps (first index, then differences). */
    indices: z.string(),
    /** Their weights: base64 of int8, in the same order. */
    weights: z.string(),
    trainedOn: z.array(z.object({ set: z.string(), messages: z.number().int() })),
    crossValidation: z.record(z.string(), z.unknown()).optional(),
    createdBy: z.string().optional(),
  })
  .strict();

export type WeightsFile = z.infer<typeof weightsSchema>;

export interface Model {
  bias: number;
  weights: Float32Array;
  threshold: number;
  strongThreshold: number;
  unsureThreshold: number;
  minWords: number;
  file: WeightsFile;
}

export const WEIGHTS_PATH = join(__dirname, 'weights.json');

export function decodeWeights(file: WeightsFile): Model {
  if (file.hashBits !== HASH_BITS)
    throw new Error(`triage model: weights use ${file.hashBits} hash bits, code ${HASH_BITS}`);
  const gaps = Buffer.from(file.indices, 'base64');
  const values = Buffer.from(file.weights, 'base64');
  const size = 1 << HASH_BITS;
  const weights = new Float32Array(size);
  let at = 0;
  let index = -1;
  for (let k = 0; k < values.length; k++) {
    let gap = 0;
    let shift = 0;
    for (;;) {
      if (at >= gaps.length) throw new Error('triage model: indices end before the weights');
      const byte = gaps[at++]!;
      gap += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    index += gap;
    if (index >= size) throw new Error('triage model: an index is outside the hash space');
    weights[index] = values.readInt8(k) * file.scale;
  }
  if (at !== gaps.length) throw new Error('triage model: more indices than weights');
  return {
    bias: file.bias,
    weights,
    threshold: file.threshold,
    strongThreshold: file.strongThreshold,
    unsureThreshold: file.unsureThreshold,
    minWords: file.minWords,
    file,
  };
}

/** Non-zero weights as int8 (rounded to the nearest step of max/127) with their bucket indices. */
export function encodeWeights(weights: Float64Array | Float32Array): {
  scale: number;
  indices: string;
  weights: string;
} {
  let max = 0;
  for (const w of weights) max = Math.max(max, Math.abs(w));
  const scale = max > 0 ? max / 127 : 1;
  const gaps: number[] = [];
  const values: number[] = [];
  let previous = -1;
  for (let i = 0; i < weights.length; i++) {
    const q = Math.round((weights[i] ?? 0) / scale);
    if (q === 0) continue;
    let gap = i - previous;
    previous = i;
    while (gap >= 0x80) {
      gaps.push((gap & 0x7f) | 0x80);
      gap = Math.floor(gap / 0x80);
    }
    gaps.push(gap);
    values.push(q);
  }
  return {
    scale,
    indices: Buffer.from(gaps).toString('base64'),
    weights: Buffer.from(Int8Array.from(values).buffer).toString('base64'),
  };
}

let cached: Model | null | undefined;

/** The committed model, or null when no weights file exists yet (then only the lexicon detector runs). */
export function loadModel(path: string = WEIGHTS_PATH): Model | null {
  if (path !== WEIGHTS_PATH) return decodeWeights(weightsSchema.parse(JSON.parse(readFileSync(path, 'utf8'))));
  if (cached === undefined) {
    cached = existsSync(path) ? decodeWeights(weightsSchema.parse(JSON.parse(readFileSync(path, 'utf8')))) : null;
  }
  return cached;
}

/** Probability-like score in [0, 1] of one feature vector. */
export function scoreVector(model: Pick<Model, 'bias' | 'weights'>, vector: FeatureVector): number {
  let z = model.bias;
  for (let k = 0; k < vector.indices.length; k++) z += (model.weights[vector.indices[k]!] ?? 0) * vector.values[k]!;
  return 1 / (1 + Math.exp(-z));
}

export interface ModelVerdict {
  score: number;
  /**
   * The model says emergency: score >= threshold when detector v2 saw a warning sign (a signal or a
   * red flag) in a message of at least `minWords` words, or score >= strongThreshold on its own ("two
   * keys unless very sure"; a short message always needs the model to be very sure).
   */
  emergency: boolean;
  /** score >= unsureThreshold: answer at least `urgent` and ask the deciding question. */
  unsure: boolean;
}

const NONE: ModelVerdict = { score: 0, emergency: false, unsure: false };

/** Words of the patient's recent messages, as the detectors read them. */
export function wordCount(canonical: string[]): number {
  let count = 0;
  for (const text of canonical) count += text.match(/[a-z0-9'°]+/g)?.length ?? 0;
  return count;
}

/** Scores what detector v2 read from the patient's recent messages. */
export function scoreDetection(
  detection: Pick<Detection, 'mentions' | 'canonical' | 'signals' | 'flags'>,
  model: Model | null = loadModel(),
): ModelVerdict {
  if (!model || detection.canonical.length === 0) return NONE;
  const score = scoreVector(model, detectionFeatures(detection));
  const warning = detection.signals.length > 0 || detection.flags.length > 0;
  const long = wordCount(detection.canonical) >= model.minWords;
  return {
    score,
    emergency: score >= model.strongThreshold || (warning && long && score >= model.threshold),
    unsure: score >= model.unsureThreshold,
  };
}
