/** Latency summaries: nearest-rank percentiles over raw samples (milliseconds). */

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/** "12.3" for ms figures, "—" for NaN. */
export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '—';
}

export function mib(bytes: number | undefined): string {
  return bytes === undefined ? '—' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/**
 * The rate at which a path answered a step's messages: their offered rate divided by the slope of reply times
 * against injection times, both sorted (the k-th reply paired with the k-th message injected, as the two
 * cumulative counts meet; least squares over the answered messages). A path that keeps up sends its replies
 * as the messages come, so the slope is about 1 and the rate is the offered one; a path that falls behind
 * replies at its own pace μ while messages come at λ, its replies spread out (slope λ/μ) and the rate is μ.
 * Sorting both sides keeps the figure right when replies do not come in the order the messages did (chats are
 * answered independently), which pairing each message with its own reply would flatten towards 0, and unlike
 * counting replies in a time window, messages near the window's edges do not move it by their latency.
 * NaN with fewer than two answered messages.
 */
export function sustainedRate(points: readonly { injectedAt: number; answeredAt: number }[], offered: number): number {
  if (points.length < 2) return NaN;
  const n = points.length;
  const xs = points.map((p) => p.injectedAt).sort((a, b) => a - b);
  const ys = points.map((p) => p.answeredAt).sort((a, b) => a - b);
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = ys.reduce((a, y) => a + y, 0) / n;
  let cov = 0;
  let varX = 0;
  for (let i = 0; i < n; i++) {
    cov += (xs[i]! - mx) * (ys[i]! - my);
    varX += (xs[i]! - mx) ** 2;
  }
  if (varX === 0) return NaN;
  const slope = cov / varX;
  return slope > 0 ? offered / slope : NaN;
}
