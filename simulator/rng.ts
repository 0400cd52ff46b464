/** Seedable PRNG (mulberry32) so fault scenarios replay identically for a given seed. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** true with probability `rate` (0 never draws, so a zero rate does not shift the sequence). */
  chance(rate: number): boolean;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (rate) => rate > 0 && (rate >= 1 || next() < rate),
  };
}
