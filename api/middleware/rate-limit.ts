import type { Middleware } from 'koa';
import { AppError } from '../errors';
import { stateOf } from '../route';

/**
 * Token bucket per identity: `perMinute` requests a minute, refilled continuously. In memory, so the limit
 * is per API process: N replicas allow N times as much.
 */
export interface RateLimiter {
  /** Seconds to wait before retrying, or 0 when the request may go ahead (and is counted). */
  take(identity: string): number;
  /** Seconds until `take` would let the identity through, without counting anything. */
  wait(identity: string): number;
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
    // Still full (many identities, all busy): drop the oldest, so memory stays bounded whatever arrives.
    for (const key of buckets.keys()) {
      if (buckets.size < maxBuckets) break;
      buckets.delete(key);
    }
  };
  const secondsUntilToken = (bucket: Bucket): number =>
    bucket.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000));

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
      const wait = secondsUntilToken(bucket);
      if (wait === 0) bucket.tokens -= 1;
      return wait;
    },
    wait(identity) {
      const bucket = buckets.get(identity);
      if (bucket === undefined) return 0;
      refill(bucket, now());
      return secondsUntilToken(bucket);
    },
  };
}

export const tooManyRequests = (code: string, message: string, retryAfter: number): AppError =>
  new AppError(429, code, message, { retryAfterSeconds: retryAfter }, { 'Retry-After': String(retryAfter) });

/** Counts the request against (API key, client address); 429 with Retry-After once the bucket is empty. */
export function rateLimit(limiter: RateLimiter): Middleware {
  return async (ctx, next) => {
    const state = stateOf(ctx);
    const retryAfter = limiter.take(`${state.apiKeyId ?? 'anonymous'}|${state.clientAddress ?? ctx.ip}`);
    if (retryAfter > 0)
      throw tooManyRequests('RATE_LIMITED', `too many requests; retry in ${retryAfter} s`, retryAfter);
    await next();
  };
}
