/**
 * Thrown when the AI provider cannot give an answer at all (timeout, connection refused, HTTP error).
 * Callers tell it apart from bugs: `retryable` says whether trying again later can help (a 5xx or a
 * timeout can; a 401 or 404 from a misconfigured AI_BASE_URL/AI_API_KEY cannot).
 */
export class AiProviderUnavailableError extends Error {
  readonly retryable: boolean;
  readonly status?: number;
  readonly reason: 'timeout' | 'network' | 'http-status' | 'bad-response';

  constructor(opts: {
    reason: AiProviderUnavailableError['reason'];
    message: string;
    retryable: boolean;
    status?: number;
    cause?: unknown;
  }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AiProviderUnavailableError';
    this.retryable = opts.retryable;
    this.status = opts.status;
    this.reason = opts.reason;
  }
}
