import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Context, Middleware } from 'koa';
import type { ApiKeyConfig, ApiScope } from '../../config/config';
import { LogEvent, type Logger } from '../../observability/logger';
import { AppError, unauthorized } from '../errors';
import { stateOf } from '../route';
import { createRateLimiter, tooManyRequests } from './rate-limit';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Constant-time comparison of a presented secret against the accepted ones: the index of the match, or
 * -1. Hashing first gives equal lengths (timingSafeEqual needs them) and every candidate is compared, so
 * timing tells nothing.
 */
export function matchSecretIndex(presented: string | undefined, accepted: readonly string[]): number {
  if (presented === undefined || presented === '') return -1;
  const probe = digest(presented);
  let match = -1;
  accepted.forEach((candidate, index) => {
    if (timingSafeEqual(probe, digest(candidate)) && match === -1) match = index;
  });
  return match;
}

/** The accepted secret the presented one equals, if any (constant time, see matchSecretIndex). */
export function matchSecret(presented: string | undefined, accepted: readonly string[]): string | undefined {
  return accepted[matchSecretIndex(presented, accepted)];
}

/** Stable, non-secret identity of an API key: requestIds, rate limits and the audit log use it. */
export const apiKeyId = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 12);

export function bearerToken(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('Authorization'));
  return match?.[1];
}

/** API key from `Authorization: Bearer` or `X-API-Key`. */
export function presentedApiKey(ctx: Context): string | undefined {
  return bearerToken(ctx) ?? (ctx.get('X-API-Key') || undefined);
}

/**
 * Failed authentications per client address (AUTH_FAILURES_PER_MINUTE, refilled continuously; IPv6 per /64).
 * An address over the limit is refused with 429 before any key or token is compared, so guessing gains
 * nothing.
 */
export interface AuthThrottle {
  /** Throws 429 AUTH_THROTTLED while the address has no failures left. */
  check(address: string): void;
  failed(address: string): void;
}

/**
 * Whose failures count together: an IPv4 address, or the /64 network of an IPv6 address (one subscriber's
 * network, where every address is theirs to pick, so a per-address budget would be no limit at all).
 */
export function throttleKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export function createAuthThrottle(failuresPerMinute: number, now: () => number = Date.now): AuthThrottle {
  const limiter = createRateLimiter(failuresPerMinute, now);
  return {
    check(address) {
      const wait = limiter.wait(throttleKey(address));
      if (wait > 0) {
        throw tooManyRequests(
          'AUTH_THROTTLED',
          `too many failed authentications from this address; retry in ${wait} s`,
          wait,
        );
      }
    },
    failed(address) {
      limiter.take(throttleKey(address));
    },
  };
}

const addressOf = (ctx: Context): string => stateOf(ctx).clientAddress ?? ctx.ip;

export function requireApiKey(keys: readonly ApiKeyConfig[], throttle: AuthThrottle): Middleware {
  const secrets = keys.map((k) => k.key);
  return async (ctx, next) => {
    const address = addressOf(ctx);
    throttle.check(address);
    const key = keys[matchSecretIndex(presentedApiKey(ctx), secrets)];
    if (key === undefined) {
      throttle.failed(address);
      throw unauthorized('a valid API key is required (Authorization: Bearer <key> or X-API-Key)');
    }
    const state = stateOf(ctx);
    state.apiKeyId = apiKeyId(key.key);
    state.apiKeyScopes = key.scopes;
    await next();
  };
}

/**
 * For routes anyone may call (auth 'optional-api-key'): without a key the request goes on anonymously; a
 * presented key is checked exactly as requireApiKey does (throttle, 401 when wrong).
 */
export function optionalApiKey(keys: readonly ApiKeyConfig[], throttle: AuthThrottle): Middleware {
  const required = requireApiKey(keys, throttle);
  return async (ctx, next) => {
    if (presentedApiKey(ctx) === undefined) await next();
    else await required(ctx, next);
  };
}

/** After requireApiKey: 403 when the key lacks the route's scope (not a failed authentication). */
export function requireScope(scope: ApiScope): Middleware {
  return async (ctx, next) => {
    if (!(stateOf(ctx).apiKeyScopes ?? []).includes(scope)) {
      throw new AppError(403, 'FORBIDDEN', `this API key does not have the "${scope}" scope`);
    }
    await next();
  };
}

/**
 * WPPConnect cannot send headers, so the token usually travels in the URL (path segment or ?token=);
 * a proxy in front may add `Authorization: Bearer` instead. Any one that matches is enough. During a
 * rotation the previous tokens (WEBHOOK_TOKEN_PREVIOUS) still match; the first use of each is logged, so
 * operators see when WPPConnect still calls with an old one.
 */
export function requireWebhookToken(
  tokens: { current: string; previous?: readonly string[] },
  throttle: AuthThrottle,
  logger: Logger,
): Middleware {
  const accepted = [tokens.current, ...(tokens.previous ?? [])];
  const previousSeen = new Set<number>();
  return async (ctx, next) => {
    const address = addressOf(ctx);
    throttle.check(address);
    const params = (ctx as Context & { params?: Record<string, string> }).params ?? {};
    const query = typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
    const matched = [params.token, query, bearerToken(ctx)]
      .map((candidate) => matchSecretIndex(candidate, accepted))
      .find((index) => index !== -1);
    if (matched === undefined) {
      throttle.failed(address);
      logger.warn({ event: LogEvent.WebhookRejected, requestId: stateOf(ctx).requestId }, 'webhook token rejected');
      throw unauthorized('webhook token is missing or wrong');
    }
    if (matched > 0 && !previousSeen.has(matched)) {
      previousSeen.add(matched);
      logger.warn(
        { previousToken: matched, requestId: stateOf(ctx).requestId },
        'webhook called with a WEBHOOK_TOKEN_PREVIOUS token: the rotation is not finished',
      );
    }
    await next();
  };
}
