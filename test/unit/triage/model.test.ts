import { readFileSync, statSync } from 'node:fs';
import { detect } from '../../../triage/detect/detector';
import { detectionFeatures, featuresOf } from '../../../triage/model/features';
import {
  decodeWeights,
  encodeWeights,
  loadModel,
  scoreDetection,
  scoreVector,
  WEIGHTS_PATH,
  type WeightsFile,
} from '../../../triage/model/model';
import { foldOf, seededRandom, train, type Example } from '../../../triage/model/train';
import { loadManifest, OPEN_ROLES } from '../../../scripts/triage-sets';

const detectionOf = (text: string) => detect([{ text, lang: 'en' }]);

describe('statistical detector (hashed n-gram logistic regression)', () => {
  it('gives the same score to the same text every time, and the same weights decoded again give the same score', () => {
    const model = loadModel()!;
    const detection = detectionOf('my husband took a whole box of his sleeping pills');
    const first = scoreDetection(detection, model).score;
    const again = scoreDetection(detectionOf('my husband took a whole box of his sleeping pills'), model).score;
    const file = JSON.parse(readFileSync(WEIGHTS_PATH, 'utf8')) as WeightsFile;
    const reloaded = scoreDetection(detection, decodeWeights(file)).score;
    expect(again).toBe(first);
    expect(reloaded).toBe(first);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(1);
  });

  it('hashes features deterministically', () => {
    const a = featuresOf('chest pain and sweating', ['c:chest_site', 'c:sweating']);
    const b = featuresOf('chest pain and sweating', ['c:chest_site', 'c:sweating']);
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    expect(new Set(a.indices).size).toBe(a.indices.length);
  });

  it('trains to identical weights on identical data', () => {
    const texts: Array<[string, boolean]> = [
      ['crushing chest pain and sweating', true],
      ['he is not breathing', true],
      ['took a whole box of pills', true],
      ['sore throat since yesterday', false],
      ['can I book an appointment', false],
      ['mild headache after work', false],
    ];
    const examples: Example[] = texts.map(([text, emergency], i) => ({
      id: `t${i}`,
      vector: detectionFeatures(detectionOf(text)),
      emergency,
    }));
    const options = { epochs: 5, learningRate: 0.5, l2: 1e-3, seed: 7 };
    const one = train(examples, options);
    const two = train(examples, options);
    expect(two.bias).toBe(one.bias);
    expect(Buffer.from(two.weights.buffer).equals(Buffer.from(one.weights.buffer))).toBe(true);
    const model = { bias: one.bias, weights: one.weights as unknown as Float32Array };
    expect(scoreVector(model, examples[0]!.vector)).toBeGreaterThan(scoreVector(model, examples[3]!.vector));
  });

  it('draws the same sequence from the same seed and assigns folds by id', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(foldOf('train-1/tr1-001', 5)).toBe(foldOf('train-1/tr1-001', 5));
    expect(foldOf('x', 5)).toBeLessThan(5);
  });

  it('stores weights as int16 within one quantisation step', () => {
    const weights = Float64Array.from([0.5, -1.25, 0, 3.1, -3.1]);
    const encoded = encodeWeights(weights);
    const bytes = Buffer.from(encoded.weights, 'base64');
    const decoded = Array.from({ length: weights.length }, (_, i) => bytes.readInt16LE(i * 2) * encoded.scale);
    decoded.forEach((w, i) => expect(Math.abs(w - weights[i]!)).toBeLessThanOrEqual(encoded.scale / 2 + 1e-12));
  });

  it('ships weights under 2 MB, trained only on open sets and never on a fresh or blind batch', () => {
    expect(statSync(WEIGHTS_PATH).size).toBeLessThan(2 * 1024 * 1024);
    const file = JSON.parse(readFileSync(WEIGHTS_PATH, 'utf8')) as WeightsFile;
    const roles = new Map(loadManifest().map((e) => [e.name, e.role]));
    const trainedOn = file.trainedOn.map((t) => t.set);
    expect(trainedOn.filter((set) => !OPEN_ROLES.includes(roles.get(set)!))).toEqual([]);
    expect(trainedOn.some((set) => roles.get(set) === 'blind')).toBe(false);
    expect(OPEN_ROLES).toEqual(['corpus', 'training', 'folded']);
  });

  it('needs a warning sign from the lexicon detector unless it is very sure', () => {
    const model = loadModel()!;
    expect(model.strongThreshold).toBeGreaterThanOrEqual(model.threshold);
    expect(model.unsureThreshold).toBeLessThanOrEqual(model.threshold);
    const quiet = { ...detectionOf('hello'), flags: [], signals: [] };
    const fake = { ...model, threshold: 0, strongThreshold: 1.01, unsureThreshold: 0 };
    expect(scoreDetection(quiet, fake).emergency).toBe(false);
    const warned = { ...quiet, signals: [{ id: 'chest-pain-warning', category: 'cardiac' }] };
    expect(scoreDetection(warned, fake).emergency).toBe(true);
  });
});
