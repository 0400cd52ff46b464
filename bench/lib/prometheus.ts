/**
 * Reads a Prometheus text endpoint (the worker's WORKER_METRICS_PORT: the Temporal SDK core's own
 * metrics) into name → summed value, so the bench can show what the worker did inside: workflow tasks,
 * sticky cache hits and misses, time spent per task.
 */

export type Samples = Map<string, number>;

/** Sums every series of a metric over its labels (optionally only the series whose labels contain `filter`). */
export function parseSamples(text: string, filter?: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw] = m;
    if (name === undefined || raw === undefined) continue;
    if (filter !== undefined && !labels.includes(filter)) continue;
    // Buckets are per `le`: summing them means nothing; _sum and _count are what the bench reads.
    if (name.endsWith('_bucket')) continue;
    const value = Number(raw);
    if (Number.isFinite(value)) out.set(name, (out.get(name) ?? 0) + value);
  }
  return out;
}

export async function scrape(url: string, filter?: string): Promise<Samples | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    return parseSamples(await res.text(), filter);
  } catch {
    return undefined;
  }
}

/** after − before, per metric (counters and histogram sums/counts). */
export function difference(after: Samples, before: Samples | undefined): Samples {
  const out: Samples = new Map();
  for (const [k, v] of after) out.set(k, v - (before?.get(k) ?? 0));
  return out;
}
