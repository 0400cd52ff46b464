import type Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../../api/errors';
import {
  consoleState,
  createFailedSignIns,
  newToken,
  parseCookies,
  safeNext,
  serializeCookie,
  tokensMatch,
} from '../auth';
import { type ConsoleContext, sendHtml, viewOf, type Named } from '../context';
import { formBody } from '../form';
import { loginForm } from '../schemas';
import { fmt } from '../strings';
import { loginPage } from '../views/login';
import { requireActionSession, requireCsrf } from './guards';

/** Failed sign-ins a client address may make per minute (on top of the per-account lock). */
export const FAILED_SIGN_INS_PER_MINUTE = 10;
const LOGIN_TOKEN_SECONDS = 3600;

export function authRoutes(c: ConsoleContext, router: Router, named: Named): void {
  const failedByAddress = createFailedSignIns(FAILED_SIGN_INS_PER_MINUTE, c.now);
  const address = (ctx: Context): string => (ctx.state as { clientAddress?: string }).clientAddress ?? ctx.ip;

  /** The sign-in form with a fresh double-submit token (cookie + hidden field). */
  const renderLogin = async (
    ctx: Context,
    status: number,
    view: { username?: string; next?: string; error?: string; info?: string },
  ): Promise<void> => {
    const loginToken = parseCookies(ctx.get('Cookie')).get(c.cookies.login) ?? newToken();
    ctx.append(
      'Set-Cookie',
      serializeCookie(c.cookies.login, loginToken, { maxAgeSeconds: LOGIN_TOKEN_SECONDS, secure: c.secure }),
    );
    sendHtml(ctx, loginPage(await viewOf(c, ctx), { ...view, loginToken }), status);
  };

  router.get('/', named('/console'), (ctx) => {
    ctx.status = 303;
    ctx.redirect(consoleState(ctx).session ? '/console/inbox' : '/console/login');
  });

  router.get('/login', named('/console/login'), async (ctx) => {
    const next = safeNext(typeof ctx.query.next === 'string' ? ctx.query.next : undefined);
    if (consoleState(ctx).session) {
      ctx.status = 303;
      ctx.redirect(next ?? '/console/inbox');
      return;
    }
    const { t } = await viewOf(c, ctx);
    const info = ctx.query['signed-out'] === '1' ? t.signedOut : undefined;
    await renderLogin(ctx, 200, { next, info });
  });

  router.post('/login', named('/console/login'), formBody(), async (ctx) => {
    const { t } = await viewOf(c, ctx);
    const form = consoleState(ctx).form ?? {};
    // The double-submit token: a page on another site can post this form, but cannot read or set our cookie.
    if (!tokensMatch(form._csrf, parseCookies(ctx.get('Cookie')).get(c.cookies.login) ?? '')) {
      throw new AppError(403, 'CSRF_TOKEN_INVALID', 'the sign-in form token is missing or wrong');
    }
    const parsed = loginForm.safeParse(form);
    const next = safeNext(parsed.success ? parsed.data.next : undefined);
    if (!parsed.success) return renderLogin(ctx, 400, { next, error: t.loginFailed });
    const { username, password } = parsed.data;

    const wait = failedByAddress.wait(address(ctx));
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      return renderLogin(ctx, 429, { username, next, error: t.loginThrottled });
    }
    const result = await c.operators.verifySignIn(username, password, new Date(c.now()));
    if (!result.ok) {
      if (result.reason === 'locked') {
        failedByAddress.record(address(ctx));
        ctx.set('Retry-After', String(result.retryAfterSeconds));
        const minutes = Math.ceil(result.retryAfterSeconds / 60);
        return renderLogin(ctx, 429, { username, next, error: fmt(t.loginLocked, { minutes }) });
      }
      failedByAddress.record(address(ctx));
      c.logger.warn({ route: '/console/login' }, 'console sign-in failed');
      return renderLogin(ctx, 401, { username, next, error: t.loginFailed });
    }
    const session = await c.operators.createSession(result.operator.id, {
      ttlMs: c.config.console.sessionTtlMs,
      now: new Date(c.now()),
    });
    ctx.append(
      'Set-Cookie',
      serializeCookie(c.cookies.session, session.token, {
        maxAgeSeconds: c.config.console.sessionTtlMs / 1000,
        secure: c.secure,
      }),
    );
    ctx.append('Set-Cookie', serializeCookie(c.cookies.login, '', { maxAgeSeconds: 0, secure: c.secure }));
    c.logger.info({ route: '/console/login', operator: result.operator.username }, 'console sign-in');
    ctx.status = 303;
    ctx.redirect(next ?? '/console/inbox');
  });

  router.post('/logout', named('/console/logout'), requireActionSession, formBody(), requireCsrf, async (ctx) => {
    const token = parseCookies(ctx.get('Cookie')).get(c.cookies.session);
    if (token) await c.operators.deleteSession(token);
    ctx.append('Set-Cookie', serializeCookie(c.cookies.session, '', { maxAgeSeconds: 0, secure: c.secure }));
    ctx.status = 303;
    ctx.redirect('/console/login?signed-out=1');
  });
}
