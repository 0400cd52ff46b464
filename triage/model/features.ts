import type { Detection } from '../detect/detector';

/**
 * Hashed features of the statistical detector, shared by training (scripts/triage-train.ts) and
 * inference (model.ts), so both see exactly the same numbers:
 * - character 3-, 4- and 5-grams of the canonical text (spaces included, so they cross word borders and
 *   cope with typos and Portuguese/Spanish word endings);
 * - words and word pairs;
 * - the lexicon concepts detector v2 found, with their scope ("c:chest_site", "negated:chest_site").
 * Each distinct feature counts once; the text block and the concept block are each scaled to unit
 * length, then weighted (TEXT_WEIGHT, CONCEPT_WEIGHT).
 */

export const HASH_BITS = 18;
const HASH_MASK = (1 << HASH_BITS) - 1;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashString(text: string, seed = FNV_OFFSET): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

export interface FeatureVector {
  /** Bucket indices (text features first, then concept features). */
  indices: Int32Array;
  /** The value of each index. */
  values: Float32Array;
}

/**
 * Length of the text block and of the concept block (each block is scaled to unit length first). The
 * concept block weighs half: the lexicon was written on the same data, so concept features look better
 * in cross-validation than they are on new text (a concept-heavy model alarmed on "me siento raro").
 */
export const TEXT_WEIGHT = 1;
export const CONCEPT_WEIGHT = 0.5;
/** Messages with fewer features than this are scaled down (see featuresOf). */
export const SHORT_TEXT_FEATURES = 120;

const CHAR_SEED = hashString('char:');
const WORD_SEED = hashString('word:');
const PAIR_SEED = hashString('pair:');
const CONCEPT_SEED = hashString('concept:');

/** Marks of the buckets already taken by the vector being built (a stamp per bucket, no Set per message). */
const taken = new Uint32Array(1 << HASH_BITS);
let stamp = 0;

function nextStamp(): number {
  stamp = (stamp + 1) >>> 0;
  if (stamp === 0) {
    taken.fill(0);
    stamp = 1;
  }
  return stamp;
}

/** Features of one canonical text plus its concept mentions. */
export function featuresOf(
  canonical: string,
  concepts: string[],
  textWeight = TEXT_WEIGHT,
  conceptWeight = CONCEPT_WEIGHT,
): FeatureVector {
  const padded = ` ${canonical
    .replace(/[^a-z0-9' ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()} `;
  const buckets: number[] = [];
  let mark = nextStamp();
  const add = (bucket: number) => {
    if (taken[bucket] === mark) return;
    taken[bucket] = mark;
    buckets.push(bucket);
  };
  for (let i = 0; i < padded.length; i++) {
    let h = CHAR_SEED;
    for (let n = 0; n < 5 && i + n < padded.length; n++) {
      h ^= padded.charCodeAt(i + n);
      h = Math.imul(h, FNV_PRIME);
      if (n >= 2) add((h >>> 0) & HASH_MASK);
    }
  }
  // Words and word pairs, hashed as they are read (the same numbers as hashing "word" and "word next").
  let wordStart = 1;
  let previousWord = -1;
  for (let i = 1; i < padded.length; i++) {
    if (padded.charCodeAt(i) !== 32) continue;
    if (i > wordStart) {
      add(hashString(padded.slice(wordStart, i), WORD_SEED) & HASH_MASK);
      if (previousWord >= 0) add(hashString(padded.slice(previousWord, i), PAIR_SEED) & HASH_MASK);
      previousWord = wordStart;
    }
    wordStart = i + 1;
  }
  const textCount = buckets.length;
  const text = Int32Array.from(buckets).sort();
  mark = nextStamp();
  buckets.length = 0;
  for (const concept of concepts) add(hashString(concept, CONCEPT_SEED) & HASH_MASK);
  const conceptBuckets = Int32Array.from(buckets).sort();
  const indices = new Int32Array(textCount + conceptBuckets.length);
  indices.set(text, 0);
  indices.set(conceptBuckets, textCount);
  const values = new Float32Array(indices.length);
  // A short message has few features, each of which would weigh a lot after scaling: below
  // SHORT_TEXT_FEATURES features the whole vector is shrunk, so "dor no peito" is not read as a certainty.
  const shrink = Math.sqrt(Math.min(1, indices.length / SHORT_TEXT_FEATURES));
  const textValue = textCount > 0 ? (shrink * textWeight) / Math.sqrt(textCount) : 0;
  const conceptValue = conceptBuckets.length > 0 ? (shrink * conceptWeight) / Math.sqrt(conceptBuckets.length) : 0;
  values.fill(textValue, 0, textCount);
  values.fill(conceptValue, textCount);
  return { indices, values };
}

/** Concept features of a detection: "c:<concept>" for current mentions, "<scope>:<concept>" otherwise. */
export function conceptFeatures(detection: Pick<Detection, 'mentions'>): string[] {
  const out = new Set<string>();
  for (const m of detection.mentions) out.add(m.scope === 'current' ? `c:${m.concept}` : `${m.scope}:${m.concept}`);
  return [...out].sort();
}

/** The model's features of what detector v2 read (its canonical texts and concept mentions). */
export function detectionFeatures(detection: Pick<Detection, 'mentions' | 'canonical'>): FeatureVector {
  return featuresOf(detection.canonical.join(' . '), conceptFeatures(detection));
}
