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
 * The rate at which a path answered a step's messages: their offered rate divided by the slope of reply time
 * against injection time (least squares over the messages that were answered). A path that keeps up answers
 * each message a roughly constant time after it came, so the slope is about 1 and the rate is the offered one;
 * a path that falls behind answers at its own pace μ while messages come at λ, the replies spread out
 * (slope λ/μ) and the rate is μ. Unlike counting replies in a time window, messages near the window's edges
 * do not move the figure by their latency. NaN with fewer than two answered messages.
 */
export function sustainedRate(points: readonly { injectedAt: number; answeredAt: number }[], offered: number): number {
  if (points.length < 2) return NaN;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.injectedAt, 0) / n;
  const my = points.reduce((a, p) => a + p.answeredAt, 0) / n;
  let cov = 0;
  let varX = 0;
  for (const p of points) {
    cov += (p.injectedAt - mx) * (p.answeredAt - my);
    varX += (p.injectedAt - mx) ** 2;
  }
  if (varX === 0) return NaN;
  const slope = cov / varX;
  return slope > 0 ? offered / slope : NaN;
}
