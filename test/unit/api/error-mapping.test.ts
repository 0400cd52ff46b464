import { ConnectionRefusedError, DatabaseError, UniqueConstraintError } from 'sequelize';
import { z } from 'zod';
import { AppError } from '../../../api/errors';
import { mapError } from '../../../api/middleware/error-handler';
import { isTemporalUnavailable } from '../../../api/temporal-errors';
import { MediaError } from '../../../media/store';

/** A gRPC error as @grpc/grpc-js builds it, wrapped the way the Temporal client wraps it. */
function temporalError(code: number): Error {
  const grpc = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
    code,
    details: 'x',
    metadata: {},
  });
  return Object.assign(new Error('Failed to start Workflow'), { name: 'ServiceError', cause: grpc });
}

describe('mapError', () => {
  it('keeps an AppError status, code, message, details and headers', () => {
    const mapped = mapError(new AppError(409, 'IDEMPOTENCY_KEY_REUSED', 'reused', { a: 1 }, { 'X-A': 'b' }));
    expect(mapped).toEqual({
      status: 409,
      body: { error: { code: 'IDEMPOTENCY_KEY_REUSED', message: 'reused', details: { a: 1 } } },
      headers: { 'X-A': 'b' },
    });
  });

  it('turns a zod error into 400 with issue paths and messages but no input values', () => {
    const result = z.object({ to: z.string() }).safeParse({ to: 5511999990001 });
    const mapped = mapError(result.error);
    expect(mapped.status).toBe(400);
    expect(mapped.body).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        message: 'request is invalid',
        details: [{ path: 'to', message: 'Invalid input: expected string, received number', code: 'invalid_type' }],
      },
    });
    expect(JSON.stringify(mapped.body)).not.toContain('5511999990001');
  });

  it('maps media errors: too large → 413, bad type → 400', () => {
    expect(mapError(new MediaError('MEDIA_TOO_LARGE', 'too big')).status).toBe(413);
    expect(mapError(new MediaError('MEDIA_TYPE_NOT_ALLOWED', 'no')).body.error.code).toBe('MEDIA_TYPE_NOT_ALLOWED');
    expect(mapError(new MediaError('MEDIA_TYPE_NOT_ALLOWED', 'no')).status).toBe(400);
  });

  it('maps an unreachable Temporal (UNAVAILABLE or DEADLINE_EXCEEDED inside a ServiceError) to 503', () => {
    expect(isTemporalUnavailable(temporalError(14))).toBe(true);
    expect(isTemporalUnavailable(temporalError(4))).toBe(true);
    expect(isTemporalUnavailable(temporalError(3))).toBe(false);
    expect(mapError(temporalError(14))).toEqual({
      status: 503,
      body: {
        error: { code: 'TEMPORAL_UNAVAILABLE', message: 'the workflow service is unreachable; try again later' },
      },
    });
  });

  it('maps Sequelize errors: connection → 503, unique constraint → 409, other database errors → 500', () => {
    expect(mapError(new ConnectionRefusedError(new Error('ECONNREFUSED'))).status).toBe(503);
    expect(mapError(new UniqueConstraintError({})).status).toBe(409);
    const dbError = new DatabaseError(Object.assign(new Error('SQLITE_ERROR: no such table'), { sql: 'SELECT 1' }));
    expect(mapError(dbError)).toEqual({
      status: 500,
      body: { error: { code: 'DATABASE_ERROR', message: 'the database could not complete the request' } },
    });
  });

  it('hides anything unexpected behind a generic 500', () => {
    expect(mapError(new TypeError('secret detail'))).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL_ERROR', message: 'internal error' } },
    });
  });
});
