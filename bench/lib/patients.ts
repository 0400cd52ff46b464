/**
 * Simulated patients: who writes what and when. Patients mostly leave gaps longer than QUIET_WINDOW_MS
 * between messages (each one answered on its own) and sometimes send a quick burst (answered together).
 * Texts are ordinary complaints that never trip a red flag, so no chat is paused for a human.
 */

export interface PlannedMessage {
  patient: number;
  /** Phone digits the simulator's inject takes as `from`. */
  from: string;
  /** Position in this patient's conversation, from 0. */
  index: number;
  /** Burst number within the patient's conversation: messages of one burst are meant to be answered together. */
  burst: number;
  text: string;
  /** Offset from the start of the run. */
  atMs: number;
}

export interface PlanOptions {
  patients: number;
  messagesPerPatient: number;
  quietWindowMs: number;
  /** Average time between a patient's bursts. */
  meanGapMs: number;
  /** Chance that a message starts a burst of 2-3. */
  burstChance: number;
  /** Patients start spread over this long. */
  rampMs: number;
  seed: number;
  /** Distinguishes the phone numbers of separate runs on the same simulator. */
  phonePrefix: string;
}

export const TEXTS = [
  'I have had a mild headache since this morning',
  'My throat is a bit sore',
  'I have a runny nose and sneezing',
  'I feel tired after work lately',
  'I have a small rash on my arm that itches',
  'My back hurts a little after lifting boxes',
  'I have a mild cough for two days',
  'I slept badly last night',
  'It started yesterday evening',
  'Thanks, that helps',
  'Tenho dor de cabeça leve',
  'Estou com o nariz entupido',
];

/** mulberry32: a small deterministic generator, so a plan is the same on every run. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function phoneOf(prefix: string, patient: number): string {
  return `${prefix}${String(patient).padStart(4, '0')}`;
}

/** Every patient's messages, sorted by time. */
export function planConversations(o: PlanOptions): PlannedMessage[] {
  const random = createRandom(o.seed);
  const plan: PlannedMessage[] = [];
  for (let p = 0; p < o.patients; p += 1) {
    const from = phoneOf(o.phonePrefix, p);
    let at = Math.floor(random() * o.rampMs);
    let burst = 0;
    for (let i = 0; i < o.messagesPerPatient;) {
      const size = random() < o.burstChance ? 2 + Math.floor(random() * 2) : 1;
      for (let k = 0; k < size && i < o.messagesPerPatient; k += 1, i += 1) {
        const text = TEXTS[Math.floor(random() * TEXTS.length)] ?? 'ok';
        plan.push({ patient: p, from, index: i, burst, text, atMs: at });
        // Inside a burst: well within the quiet window.
        at += Math.max(20, Math.floor(o.quietWindowMs * (0.1 + random() * 0.2)));
      }
      burst += 1;
      // Between bursts: at least twice the quiet window, so separate bursts are not coalesced.
      at += Math.max(2 * o.quietWindowMs, Math.floor(o.meanGapMs * (0.5 + random())));
    }
  }
  return plan.sort((a, b) => a.atMs - b.atMs);
}
