import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { LogEvent, type Logger } from '../../observability/logger';
import { unauthorized } from '../errors';
import { stateOf } from '../route';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Constant-time comparison of a presented secret against the accepted ones. Hashing first gives equal
 * lengths (timingSafeEqual needs them) and every candidate is compared, so timing tells nothing.
 */
export function matchSecret(presented: string | undefined, accepted: readonly string[]): string | undefined {
  if (presented === undefined || presented === '') return undefined;
  const probe = digest(presented);
  let match: string | undefined;
  for (const candidate of accepted) {
    if (timingSafeEqual(probe, digest(candidate)) && match === undefined) match = candidate;
  }
  return match;
}

/** Stable, non-secret identity of an API key: requestIds and rate limits are scoped by it. */
export const apiKeyId = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 12);

export function bearerToken(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('Authorization'));
  return match?.[1];
}

/** API key from `Authorization: Bearer` or `X-API-Key`. */
export function presentedApiKey(ctx: Context): string | undefined {
  return bearerToken(ctx) ?? (ctx.get('X-API-Key') || undefined);
}

export function requireApiKey(keys: readonly string[]): Middleware {
  return async (ctx, next) => {
    const key = matchSecret(presentedApiKey(ctx), keys);
    if (key === undefined) throw unauthorized('a valid API key is required (Authorization: Bearer <key> or X-API-Key)');
    stateOf(ctx).apiKeyId = apiKeyId(key);
    await next();
  };
}

/**
 * WPPConnect cannot send headers, so the token usually travels in the URL (path segment or ?token=);
 * a proxy in front may add `Authorization: Bearer` instead. Any one that matches is enough.
 */
export function requireWebhookToken(token: string, logger: Logger): Middleware {
  return async (ctx, next) => {
    const params = (ctx as Context & { params?: Record<string, string> }).params ?? {};
    const query = typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
    const candidates = [params.token, query, bearerToken(ctx)];
    if (!candidates.some((c) => matchSecret(c, [token]) !== undefined)) {
      logger.warn({ event: LogEvent.WebhookRejected, requestId: stateOf(ctx).requestId }, 'webhook token rejected');
      throw unauthorized('webhook token is missing or wrong');
    }
    await next();
  };
}
