import type { Middleware } from 'koa';
import type { Logger } from '../../observability/logger';
import type { ApiMetrics } from '../metrics';
import { stateOf } from '../route';

/**
 * One log line and one histogram sample per request. Only the route pattern is recorded: URLs carry
 * chat ids (phone numbers), webhook tokens and search terms.
 */
export function accessLog(logger: Logger, metrics: ApiMetrics): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const state = stateOf(ctx);
      const route = state.route ?? 'unmatched';
      metrics.httpDuration.observe({ method: ctx.method, route, status: String(ctx.status) }, seconds);
      logger.info(
        {
          requestId: state.requestId,
          method: ctx.method,
          route,
          status: ctx.status,
          durationMs: Math.round(seconds * 1000),
        },
        'request',
      );
    }
  };
}
