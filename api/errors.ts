/**
 * The one error type handlers throw. The error middleware turns it (and zod, Temporal, Sequelize and
 * media errors) into `{"error": {"code", "message", "details"?}}`.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string, details?: unknown) =>
  new AppError(400, code, message, details);
export const unauthorized = (message: string) =>
  new AppError(401, 'UNAUTHORIZED', message, undefined, { 'WWW-Authenticate': 'Bearer' });
export const notFound = (message: string) => new AppError(404, 'NOT_FOUND', message);
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details);
export const unavailable = (code: string, message: string) => new AppError(503, code, message);

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
