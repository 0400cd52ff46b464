/**
 * Patients of the capacity run: a pool of chats, each writing like a person — mostly one message, sometimes
 * a quick burst of two or three — with gaps of several seconds between bursts. The offered rate is set by
 * the number of patients writing at once: rate = patients × burst size / gap. Patient number p is the same
 * phone (the same chat, the same conversation workflow) in every step, so a higher step adds new chats and
 * keeps the earlier ones writing.
 */
import { createRandom, phoneOf, TEXTS, type PlannedMessage } from './patients';

export interface StepPlanOptions {
  /** Messages per second offered, on average over the step. */
  rate: number;
  durationMs: number;
  /** Average time between one patient's bursts. */
  meanGapMs: number;
  quietWindowMs: number;
  seed: number;
  phonePrefix: string;
}

/** 85% single messages, 10% bursts of 2, 5% bursts of 3. */
const BURSTS: Array<[size: number, cumulative: number]> = [
  [1, 0.85],
  [2, 0.95],
  [3, 1],
];
export const MEAN_BURST_SIZE = 0.85 * 1 + 0.1 * 2 + 0.05 * 3;

/** How many patients write at once to offer `rate` messages per second. */
export function patientsFor(rate: number, meanGapMs: number): number {
  return Math.max(1, Math.round((rate * meanGapMs) / 1000 / MEAN_BURST_SIZE));
}

/** Every message of one step, sorted by time (offsets from the start of the step). */
export function planStep(o: StepPlanOptions): PlannedMessage[] {
  const random = createRandom(o.seed);
  const patients = patientsFor(o.rate, o.meanGapMs);
  const plan: PlannedMessage[] = [];
  // Bursts of one patient never run into each other: the next starts after the chat was quiet a while.
  const minGap = 2 * o.quietWindowMs;
  for (let p = 0; p < patients; p += 1) {
    const from = phoneOf(o.phonePrefix, p);
    // Where in its cycle each patient is when the step starts: spread over one gap, so the rate is even.
    let at = Math.floor(random() * o.meanGapMs);
    let index = 0;
    for (let burst = 0; at < o.durationMs; burst += 1) {
      const draw = random();
      const size = (BURSTS.find(([, c]) => draw < c) ?? [1])[0];
      for (let k = 0; k < size && at < o.durationMs; k += 1, index += 1) {
        const text = TEXTS[Math.floor(random() * TEXTS.length)] ?? 'ok';
        plan.push({ patient: p, from, index, burst, text, atMs: at });
        // Inside a burst: well within the quiet window.
        at += Math.max(20, Math.floor(o.quietWindowMs * (0.1 + random() * 0.2)));
      }
      at += Math.max(minGap, Math.floor(o.meanGapMs * (0.5 + random())));
    }
  }
  return plan.sort((a, b) => a.atMs - b.atMs);
}
