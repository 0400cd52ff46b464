import type { Middleware } from 'koa';
import getRawBody from 'raw-body';
import { AppError, badRequest } from '../errors';
import { stateOf } from '../route';

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Reads a JSON body up to `limitBytes` into ctx.state.body (handlers get it only through validate()).
 * Over the limit → 413 before anything else runs; not JSON → 400.
 */
export function jsonBody(limitBytes: number = DEFAULT_BODY_LIMIT_BYTES): Middleware {
  return async (ctx, next) => {
    const declared = Number(ctx.get('Content-Length') || NaN);
    if (Number.isFinite(declared) && declared > limitBytes) {
      throw new AppError(413, 'PAYLOAD_TOO_LARGE', `request body is over the limit of ${limitBytes} bytes`);
    }
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit: limitBytes, encoding: 'utf8' });
    } catch (err) {
      if ((err as { type?: string }).type === 'entity.too.large') {
        throw new AppError(413, 'PAYLOAD_TOO_LARGE', `request body is over the limit of ${limitBytes} bytes`);
      }
      throw err;
    }
    if (text.trim() === '') {
      stateOf(ctx).body = undefined;
    } else {
      try {
        stateOf(ctx).body = JSON.parse(text) as unknown;
      } catch {
        throw badRequest('INVALID_JSON', 'request body is not valid JSON');
      }
    }
    await next();
  };
}
