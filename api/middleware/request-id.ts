import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { stateOf } from '../route';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's X-Request-Id when it is safe to log, otherwise makes one; echoes it on the response. */
export function requestId(): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const id = SAFE_ID.test(incoming) ? incoming : randomUUID();
    stateOf(ctx).requestId = id;
    ctx.set('X-Request-Id', id);
    await next();
  };
}
