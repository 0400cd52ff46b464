import type { Middleware } from 'koa';
import { AppError } from '../errors';
import { stateOf } from '../route';

/**
 * Token bucket per (API key, client address): RATE_LIMIT_PER_MINUTE requests a minute, refilled
 * continuously. In memory, so the limit is per API process: N replicas allow N times as much.
 */
export interface RateLimiter {
  /** Seconds to wait before retrying, or 0 when the request may go ahead (and is counted). */
  take(identity: string): number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export function createRateLimiter(perMinute: number, now: () => number = Date.now, maxBuckets = 10_000): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const ratePerMs = perMinute / 60_000;

  const refill = (bucket: Bucket, at: number): void => {
    bucket.tokens = Math.min(perMinute, bucket.tokens + (at - bucket.updatedAt) * ratePerMs);
    bucket.updatedAt = at;
  };
  const prune = (at: number): void => {
    for (const [key, bucket] of buckets) {
      refill(bucket, at);
      if (bucket.tokens >= perMinute) buckets.delete(key);
    }
  };

  return {
    take(identity) {
      const at = now();
      let bucket = buckets.get(identity);
      if (bucket === undefined) {
        if (buckets.size >= maxBuckets) prune(at);
        bucket = { tokens: perMinute, updatedAt: at };
        buckets.set(identity, bucket);
      }
      refill(bucket, at);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000));
    },
  };
}

export function rateLimit(limiter: RateLimiter): Middleware {
  return async (ctx, next) => {
    const identity = `${stateOf(ctx).apiKeyId ?? 'anonymous'}|${ctx.ip}`;
    const retryAfter = limiter.take(identity);
    if (retryAfter > 0) {
      throw new AppError(
        429,
        'RATE_LIMITED',
        `too many requests; retry in ${retryAfter} s`,
        { retryAfterSeconds: retryAfter },
        { 'Retry-After': String(retryAfter) },
      );
    }
    await next();
  };
}
