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
  wordCount,
  type WeightsFile,
} from '../../../triage/model/model';
import { createRulesProvider } from '../../../triage/rules/provider';
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

  it('stores the non-zero weights as int8 within half a quantisation step, and decodes them to the same places', () => {
    const weights = new Float64Array(1 << 18);
    weights[3] = 0.5;
    weights[200] = -1.25;
    weights[70_000] = 3.1;
    weights[262_143] = -3.1;
    weights[9] = 0.001; // below half a step: not stored
    const encoded = encodeWeights(weights);
    expect(Buffer.from(encoded.weights, 'base64')).toHaveLength(4);
    const model = decodeWeights({
      ...(JSON.parse(readFileSync(WEIGHTS_PATH, 'utf8')) as WeightsFile),
      scale: encoded.scale,
      indices: encoded.indices,
      weights: encoded.weights,
    });
    let worst = 0;
    weights.forEach((w, i) => (worst = Math.max(worst, Math.abs(model.weights[i]! - w))));
    expect(worst).toBeLessThanOrEqual(encoded.scale / 2 + 1e-9);
    expect([model.weights[3], model.weights[200], model.weights[70_000]].map((w) => Math.sign(w!))).toEqual([1, -1, 1]);
    expect(model.weights[9]).toBe(0);
  });

  it('ships weights under 512 kB, trained only on open sets and never on a fresh, blind or retired blind batch', () => {
    expect(statSync(WEIGHTS_PATH).size).toBeLessThan(512 * 1024);
    const file = JSON.parse(readFileSync(WEIGHTS_PATH, 'utf8')) as WeightsFile;
    const roles = new Map(loadManifest().map((e) => [e.name, e.role]));
    const trainedOn = file.trainedOn.map((t) => t.set);
    expect(trainedOn.filter((set) => !OPEN_ROLES.includes(roles.get(set)!))).toEqual([]);
    expect(trainedOn.some((set) => ['blind', 'retired', 'fresh'].includes(roles.get(set)!))).toBe(false);
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
    expect(scoreDetection(warned, { ...fake, minWords: 1 }).emergency).toBe(true);
  });

  it('needs to be very sure about a short message: below minWords words a warning sign is not enough', () => {
    const model = loadModel()!;
    expect(model.minWords).toBe(10);
    const fake = { ...model, threshold: 0, strongThreshold: 1.01, unsureThreshold: 0 };
    const signal = [{ id: 'chest-pain-warning', category: 'cardiac' }];
    const short = { ...detectionOf('my chest feels tight'), signals: signal };
    const long = {
      ...detectionOf('my chest has felt tight since this morning and it is not getting better'),
      signals: signal,
    };
    expect(wordCount(short.canonical)).toBe(4);
    expect(scoreDetection(short, fake)).toEqual({ score: expect.any(Number), emergency: false, unsure: true });
    expect(scoreDetection(long, fake).emergency).toBe(true);
    expect(scoreDetection(short, { ...fake, strongThreshold: 0 }).emergency).toBe(true);
  });

  it('answers "my chest feels tight" alone with the deciding question, not an emergency', () => {
    const rules = createRulesProvider();
    const evaluation = rules.evaluate({ messages: [{ role: 'patient', text: 'my chest feels tight' }] });
    expect(evaluation.level).toBe('urgent');
    expect(evaluation.model.emergency).toBe(false);
    expect(evaluation.redFlags).toEqual([]);
  });
});
