import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import { badRequest } from '../errors';
import { type RouteRequest, stateOf } from '../route';
import { zodDetails } from './error-handler';

const sources: Record<keyof RouteRequest, (ctx: Context) => unknown> = {
  params: (ctx) => (ctx as Context & { params?: Record<string, string> }).params ?? {},
  query: (ctx) => ctx.query,
  headers: (ctx) => ctx.headers,
  body: (ctx) => stateOf(ctx).body,
};

/**
 * Parses params, query, headers and body with the route's schemas and puts the typed result on
 * ctx.state.input. All problems are reported at once: 400 VALIDATION_FAILED with `details`.
 */
export function validate(request: RouteRequest): Middleware {
  const parts = Object.entries(request) as [keyof RouteRequest, z.ZodType | undefined][];
  return async (ctx, next) => {
    const input: Record<string, unknown> = {};
    const details: ReturnType<typeof zodDetails> = [];
    for (const [part, schema] of parts) {
      if (schema === undefined) continue;
      const result = await schema.safeParseAsync(sources[part](ctx));
      if (result.success) input[part] = result.data;
      else details.push(...zodDetails(result.error, part));
    }
    if (details.length > 0) throw badRequest('VALIDATION_FAILED', 'request is invalid', details);
    stateOf(ctx).input = input;
    await next();
  };
}
