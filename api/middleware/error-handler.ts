import type { Context, Middleware } from 'koa';
import {
  BaseError as SequelizeBaseError,
  ConnectionError,
  TimeoutError,
  UniqueConstraintError,
  ValidationError,
} from 'sequelize';
import { ZodError } from 'zod';
import { MediaError } from '../../media/store';
import { LogEvent, type Logger } from '../../observability/logger';
import { AppError, type ErrorBody } from '../errors';
import { stateOf } from '../route';
import { isTemporalUnavailable } from '../temporal-errors';

interface Mapped {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
}

const body = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: details === undefined ? { code, message } : { code, message, details },
});

/** zod issues without the offending values (they may be patient data). */
export function zodDetails(
  error: ZodError,
  location?: string,
): { in?: string; path: string; message: string; code: string }[] {
  return error.issues.map((issue) => ({
    ...(location ? { in: location } : {}),
    path: issue.path.map(String).join('.'),
    message: issue.message,
    code: issue.code,
  }));
}

const MEDIA_STATUS: Record<MediaError['code'], number> = {
  MEDIA_TOO_LARGE: 413,
  MEDIA_TYPE_NOT_ALLOWED: 400,
  MEDIA_INVALID: 400,
  MEDIA_NOT_FOUND: 404,
};

/** The single place where any error becomes an HTTP answer. */
export function mapError(err: unknown): Mapped {
  if (err instanceof AppError) {
    return { status: err.status, body: body(err.code, err.message, err.details), headers: err.headers };
  }
  if (err instanceof ZodError) {
    return { status: 400, body: body('VALIDATION_FAILED', 'request is invalid', zodDetails(err)) };
  }
  if (err instanceof MediaError) {
    return { status: MEDIA_STATUS[err.code], body: body(err.code, err.message) };
  }
  if (isTemporalUnavailable(err)) {
    return { status: 503, body: body('TEMPORAL_UNAVAILABLE', 'the workflow service is unreachable; try again later') };
  }
  if (err instanceof UniqueConstraintError) {
    return { status: 409, body: body('CONFLICT', 'the record already exists') };
  }
  if (err instanceof ValidationError) {
    return {
      status: 400,
      body: body(
        'VALIDATION_FAILED',
        'the record is invalid',
        err.errors.map((e) => ({ path: e.path ?? '', message: e.message })),
      ),
    };
  }
  if (err instanceof ConnectionError || err instanceof TimeoutError) {
    return { status: 503, body: body('DATABASE_UNAVAILABLE', 'the database is unreachable; try again later') };
  }
  if (err instanceof SequelizeBaseError) {
    return { status: 500, body: body('DATABASE_ERROR', 'the database could not complete the request') };
  }
  // Errors from koa/raw-body carry an HTTP status (413 entity.too.large, 400 bad encoding...).
  const httpish = err as { status?: unknown; expose?: unknown; message?: unknown; type?: unknown };
  if (typeof httpish.status === 'number' && httpish.status >= 400 && httpish.status < 500) {
    const code = httpish.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
    const message = httpish.expose === true && typeof httpish.message === 'string' ? httpish.message : 'bad request';
    return { status: httpish.status, body: body(code, message) };
  }
  return { status: 500, body: body('INTERNAL_ERROR', 'internal error') };
}

/**
 * What a 5xx log line says about the error. A database error's message and SQL can quote what the user
 * sent (`invalid input syntax for type integer: "…"`, a failing value, the statement with its
 * replacements), so only its class and the driver's error code are kept. Other errors (Temporal, the
 * file system) describe the failure, not the request: name and message, clipped.
 */
export function describeForLog(err: unknown): { errName?: string; errCode?: string; errMessage?: string } {
  const e = err as { name?: unknown; message?: unknown; parent?: { code?: unknown }; original?: { code?: unknown } };
  const errName = typeof e?.name === 'string' ? e.name : undefined;
  if (err instanceof SequelizeBaseError) {
    const code = e.parent?.code ?? e.original?.code;
    return { errName, ...(typeof code === 'string' || typeof code === 'number' ? { errCode: String(code) } : {}) };
  }
  return { errName, ...(typeof e?.message === 'string' ? { errMessage: e.message.slice(0, 300) } : {}) };
}

export function errorHandler(logger: Logger): Middleware {
  return async (ctx: Context, next) => {
    try {
      await next();
    } catch (err) {
      const mapped = mapError(err);
      ctx.status = mapped.status;
      ctx.body = mapped.body;
      for (const [name, value] of Object.entries(mapped.headers ?? {})) ctx.set(name, value);
      if (mapped.status >= 500) {
        logger.error(
          {
            event: LogEvent.ApiError,
            requestId: stateOf(ctx).requestId,
            route: stateOf(ctx).route,
            ...describeForLog(err),
            code: mapped.body.error.code,
          },
          'request failed',
        );
      }
    }
  };
}
