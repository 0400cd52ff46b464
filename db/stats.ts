import type { SenderType } from './types';

/** The pure half of getStats: response times and percentiles over rows the repository loads. */

export interface TimelineEntry {
  session: string;
  timestamp: Date;
  senderType: SenderType;
}

/**
 * Milliseconds from the first unanswered patient message to the next assistant or human message,
 * per (session, chat) timeline sorted oldest first. Several patient messages before one reply
 * count once, from the first: that is how long the patient waited. System messages are ignored.
 */
export function responseTimesMs(timeline: TimelineEntry[]): number[] {
  const waitingSince = new Map<string, number>();
  const samples: number[] = [];
  for (const entry of timeline) {
    const at = entry.timestamp.getTime();
    if (entry.senderType === 'patient') {
      if (!waitingSince.has(entry.session)) waitingSince.set(entry.session, at);
    } else if (entry.senderType === 'assistant' || entry.senderType === 'human') {
      const since = waitingSince.get(entry.session);
      if (since !== undefined) {
        samples.push(Math.max(0, at - since));
        waitingSince.delete(entry.session);
      }
    }
  }
  return samples;
}

/** Median with the two middle values averaged for an even count; null for no samples. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

/** Nearest-rank percentile (p in 0..100): the smallest sample with at least p% of samples at or below it. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}
