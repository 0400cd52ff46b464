import { isGrpcServiceError } from '@temporalio/client';

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

function* causes(err: unknown): Generator<unknown> {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * true when Temporal could not be reached in time (server down, network, deadline): the request can be
 * retried later, so the API answers 503. The SDK wraps gRPC errors in ServiceError, hence the cause walk.
 */
export function isTemporalUnavailable(err: unknown): boolean {
  for (const e of causes(err)) {
    const code: number | undefined = isGrpcServiceError(e) ? e.code : undefined;
    if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED) return true;
    const name = (e as { name?: unknown }).name;
    if (name === 'TransportError' || name === 'TimeoutError') return true;
  }
  return false;
}
