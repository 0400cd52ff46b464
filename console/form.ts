import type { Middleware } from 'koa';
import getRawBody from 'raw-body';
import { AppError } from '../api/errors';
import { consoleState } from './auth';

export const FORM_LIMIT_BYTES = 32 * 1024;

/**
 * Reads an application/x-www-form-urlencoded body (what the console's forms post) into ctx.state; the last
 * value of a repeated field wins. Anything else is refused (415), and nothing has run yet.
 */
export function formBody(limitBytes = FORM_LIMIT_BYTES): Middleware {
  return async (ctx, next) => {
    if (!ctx.is('application/x-www-form-urlencoded')) {
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'forms are posted as application/x-www-form-urlencoded');
    }
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit: limitBytes, encoding: 'utf8' });
    } catch (err) {
      if ((err as { type?: string }).type === 'entity.too.large') {
        throw new AppError(413, 'PAYLOAD_TOO_LARGE', `form is over the limit of ${limitBytes} bytes`);
      }
      throw err;
    }
    consoleState(ctx).form = Object.fromEntries(new URLSearchParams(text));
    await next();
  };
}
