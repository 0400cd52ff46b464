import { sustainedRate } from '../../../bench/lib/stats';

/** Messages injected evenly at `rate` per second for `seconds`, each answered by `answer(i, injectedAt)`. */
function step(rate: number, seconds: number, answer: (i: number, injectedAt: number) => number) {
  const n = Math.round(rate * seconds);
  return Array.from({ length: n }, (_, i) => {
    const injectedAt = (i * 1000) / rate;
    return { injectedAt, answeredAt: answer(i, injectedAt) };
  });
}

describe('sustainedRate', () => {
  it('is the offered rate when every message is answered a constant time after it came', () => {
    expect(
      sustainedRate(
        step(5, 16, (_i, t) => t + 700),
        5,
      ),
    ).toBeCloseTo(5, 6);
  });

  it('stays near the offered rate when latencies scatter (no edge effects of a counting window)', () => {
    // Latencies between 500 and 1,300 ms in a fixed pattern, as a quiet window and bursts give them.
    const scattered = step(5, 16, (i, t) => t + 500 + ((i * 37) % 9) * 100);
    expect(sustainedRate(scattered, 5)).toBeGreaterThan(0.95 * 5);
    expect(sustainedRate(scattered, 5)).toBeLessThan(1.05 * 5);
  });

  it('is the pace of a path that falls behind: replies at 18/s while 24/s come', () => {
    // A queue served at 18 msg/s from the step's start: message i leaves at i / 18 s.
    const behind = step(24, 16, (i) => 600 + (i * 1000) / 18);
    expect(sustainedRate(behind, 24)).toBeCloseTo(18, 6);
  });

  it('is the pace of a path that falls behind even when it answers the messages out of order', () => {
    // Served at 18 msg/s, but the message answered k-th is a scrambled one (chats answered independently).
    const n = 24 * 16;
    const order = Array.from({ length: n }, (_, i) => (i * 97) % n); // a permutation: 97 and 384 are coprime
    const scrambled = order.map((i, k) => ({ injectedAt: (i * 1000) / 24, answeredAt: 600 + (k * 1000) / 18 }));
    expect(sustainedRate(scrambled, 24)).toBeCloseTo(18, 6);
  });

  it('is NaN with fewer than two answered messages', () => {
    expect(sustainedRate([], 5)).toBeNaN();
    expect(sustainedRate([{ injectedAt: 0, answeredAt: 500 }], 5)).toBeNaN();
  });
});
