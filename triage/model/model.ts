import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Detection } from '../detect/detector';
import { detectionFeatures, HASH_BITS, type FeatureVector } from './features';

/**
 * The statistical detector: logistic regression over hashed character n-grams, words and lexicon
 * concepts (features.ts), trained in this repository by `npm run triage:train` from the labelled sets
 * (test/fixtures/triage/sets.json). Weights are committed in weights.json (int16, base64) and read once;
 * inference is a sum in a fixed order, so the same weights always give the same score.
 */

const weightsSchema = z
  .object({
    format: z.literal('hashed-logreg-int16-v1'),
    hashBits: z.number().int(),
    bias: z.number(),
    scale: z.number().positive(),
    /** Emergency when score >= threshold and the lexicon detector saw a warning sign (see docs/triage.md). */
    threshold: z.number(),
    /** Emergency on the model's word alone when score >= strongThreshold. */
    strongThreshold: z.number(),
    /** At least `urgent` with a deciding question when score >= unsureThreshold. */
    unsureThreshold: z.number(),
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
  file: WeightsFile;
}

export const WEIGHTS_PATH = join(__dirname, 'weights.json');

export function decodeWeights(file: WeightsFile): Model {
  if (file.hashBits !== HASH_BITS)
    throw new Error(`triage model: weights use ${file.hashBits} hash bits, code ${HASH_BITS}`);
  const bytes = Buffer.from(file.weights, 'base64');
  const size = 1 << HASH_BITS;
  if (bytes.length !== size * 2) throw new Error('triage model: weights have the wrong length');
  const weights = new Float32Array(size);
  for (let i = 0; i < size; i++) weights[i] = bytes.readInt16LE(i * 2) * file.scale;
  return {
    bias: file.bias,
    weights,
    threshold: file.threshold,
    strongThreshold: file.strongThreshold,
    unsureThreshold: file.unsureThreshold,
    file,
  };
}

export function encodeWeights(weights: Float64Array | Float32Array): { scale: number; weights: string } {
  let max = 0;
  for (const w of weights) max = Math.max(max, Math.abs(w));
  const scale = max > 0 ? max / 32767 : 1;
  const bytes = Buffer.alloc(weights.length * 2);
  for (let i = 0; i < weights.length; i++) bytes.writeInt16LE(Math.round((weights[i] ?? 0) / scale), i * 2);
  return { scale, weights: bytes.toString('base64') };
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
   * red flag), or score >= strongThreshold on its own ("two keys unless very sure").
   */
  emergency: boolean;
  /** score >= unsureThreshold: answer at least `urgent` and ask the deciding question. */
  unsure: boolean;
}

const NONE: ModelVerdict = { score: 0, emergency: false, unsure: false };

/** Scores what detector v2 read from the patient's recent messages. */
export function scoreDetection(
  detection: Pick<Detection, 'mentions' | 'canonical' | 'signals' | 'flags'>,
  model: Model | null = loadModel(),
): ModelVerdict {
  if (!model || detection.canonical.length === 0) return NONE;
  const score = scoreVector(model, detectionFeatures(detection));
  const warning = detection.signals.length > 0 || detection.flags.length > 0;
  return {
    score,
    emergency: score >= model.strongThreshold || (warning && score >= model.threshold),
    unsure: score >= model.unsureThreshold,
  };
}
