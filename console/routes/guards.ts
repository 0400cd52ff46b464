import type { Middleware } from 'koa';
import { AppError } from '../../api/errors';
import { consoleState, tokensMatch } from '../auth';
import { isPartial } from '../context';

/** Pages: a signed-out visitor is sent to the sign-in page (fragments and streams get a plain 401). */
export const requirePage: Middleware = async (ctx, next) => {
  if (consoleState(ctx).session) {
    await next();
    return;
  }
  if (isPartial(ctx) || ctx.path === '/console/events') {
    throw new AppError(401, 'SIGNED_OUT', 'sign in again');
  }
  ctx.status = 303;
  ctx.redirect(`/console/login?next=${encodeURIComponent(ctx.originalUrl)}`);
};

/**
 * State-changing requests: without a live session nothing runs (the body is not even read) and the answer
 * says to sign in again.
 */
export const requireActionSession: Middleware = async (ctx, next) => {
  if (!consoleState(ctx).session) throw new AppError(401, 'SESSION_ENDED', 'your session has ended: sign in again');
  await next();
};

/** The session's CSRF token, from the form field `_csrf` or the X-CSRF-Token header; 403 otherwise. */
export const requireCsrf: Middleware = async (ctx, next) => {
  const state = consoleState(ctx);
  const presented = state.form?._csrf ?? (ctx.get('X-CSRF-Token') || undefined);
  if (!state.session || !tokensMatch(presented, state.session.csrfToken)) {
    throw new AppError(403, 'CSRF_TOKEN_INVALID', 'the form token is missing or wrong');
  }
  await next();
};
