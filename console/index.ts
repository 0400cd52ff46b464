/**
 * The operator console at /console (docs/console.md): server-rendered pages, a small browser script for
 * live updates over server-sent events, and forms that act through the same WorkflowGateway and repository
 * as the REST API. api/app.ts mounts it when the operator repository is given.
 */
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { notFound } from '../api/errors';
import { mapError } from '../api/middleware/error-handler';
import { stateOf } from '../api/route';
import { LogEvent } from '../observability/logger';
import { cookieNames, loadSession } from './auth';
import { type ConsoleContext, type ConsoleDeps, isPartial, type Named, sendHtml, viewOf } from './context';
import { createLiveFeed } from './feed';
import { actionRoutes } from './routes/actions';
import { authRoutes } from './routes/auth-routes';
import { eventRoutes } from './routes/events';
import { fileRoutes } from './routes/files';
import { pageRoutes } from './routes/pages';
import type { Strings } from './strings';
import { errorPage } from './views/error';

export type { ConsoleDeps } from './context';

/** Pages and scripts come only from this origin; nothing may frame the console. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "media-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

function securityHeaders(): Middleware {
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'same-origin');
    // Pages carry patient data: never stored by the browser or a proxy (assets and media set their own).
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
}

function messageFor(t: Strings, status: number, code: string): string {
  if (code === 'CSRF_TOKEN_INVALID') return t.errorCsrf;
  if (code === 'SESSION_ENDED' || code === 'SIGNED_OUT') return t.sessionEnded;
  if (code === 'TEMPORAL_UNAVAILABLE') return t.errorTemporal;
  if (status === 404) return code === 'NOT_FOUND' ? t.errorNotFound : t.errorChatNotFound;
  if (status >= 400 && status < 500) return t.errorInvalid;
  return t.errorGeneric;
}

/** Errors of console routes become console pages (or a short text for the script's fetches and streams). */
function consoleErrors(c: ConsoleContext): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const mapped = mapError(err);
      const { code } = mapped.body.error;
      if (mapped.status >= 500) {
        const e = err as Error;
        c.logger.error(
          {
            event: LogEvent.ApiError,
            requestId: stateOf(ctx).requestId,
            route: stateOf(ctx).route,
            errName: e?.name,
            errMessage: e?.message,
            code,
          },
          'console request failed',
        );
      }
      for (const [name, value] of Object.entries(mapped.headers ?? {})) {
        if (name !== 'WWW-Authenticate') ctx.set(name, value);
      }
      const v = await viewOf(c, ctx, { count: false }).catch(() => undefined);
      const text = v ? messageFor(v.t, mapped.status, code) : mapped.body.error.message;
      if (!v || isPartial(ctx) || ctx.path === '/console/events' || ctx.path.startsWith('/console/assets/')) {
        ctx.status = mapped.status;
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = text;
        return;
      }
      sendHtml(ctx, errorPage(v, text), mapped.status);
    }
  };
}

export interface OperatorConsole {
  /** Mount with app.use(): answers /console and everything under it, passes anything else on. */
  middleware: Middleware;
  close(): void;
}

export function createConsole(deps: ConsoleDeps): OperatorConsole {
  const now = deps.now ?? Date.now;
  const production = deps.config.nodeEnv === 'production';
  const c: ConsoleContext = {
    ...deps,
    now,
    cookies: cookieNames(production),
    secure: production,
    feed: createLiveFeed({
      repo: deps.repo,
      gateway: deps.gateway,
      mediaStore: deps.mediaStore,
      sessions: deps.config.wppconnect.sessions,
      logger: deps.logger,
      intervalMs: deps.feedIntervalMs,
      now,
    }),
  };

  const router = new Router({ prefix: '/console' });
  const named: Named = (route) => async (ctx, next) => {
    stateOf(ctx).route = route;
    await next();
  };
  authRoutes(c, router, named);
  pageRoutes(c, router, named);
  actionRoutes(c, router, named);
  fileRoutes(c, router, named);
  eventRoutes(c, router, named);

  const chain: Middleware[] = [
    securityHeaders(),
    consoleErrors(c),
    loadSession(deps.operators, c.cookies, () => new Date(now())),
    router.routes() as Middleware,
    (ctx) => {
      if (stateOf(ctx).route === undefined) {
        stateOf(ctx).route = '/console/*';
        throw notFound('no such page');
      }
    },
  ];
  const run = chain.reduceRight<(ctx: Context) => Promise<void>>(
    (nextFn, middleware) => (ctx) => Promise.resolve(middleware(ctx, () => nextFn(ctx))),
    () => Promise.resolve(),
  );

  return {
    middleware: async (ctx, next) => {
      if (ctx.path !== '/console' && !ctx.path.startsWith('/console/')) {
        await next();
        return;
      }
      await run(ctx);
    },
    close: () => c.feed.close(),
  };
}
