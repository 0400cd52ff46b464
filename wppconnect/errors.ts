/**
 * Typed failures of WPPConnect calls. Each says whether retrying the same call can help, so
 * activities can throw them as-is and workflows can list the permanent ones as
 * nonRetryableErrorTypes (the `type` strings below are stable public names).
 */

export const WPP_ERROR_TYPES = [
  'WppRecipientNotFound',
  'WppSessionUnavailable',
  'WppAuth',
  'WppSecretRejected',
  'WppTransient',
  'WppProtocol',
  'WppOperationFailed',
  'WppResponseTooLarge',
] as const;
export type WppErrorType = (typeof WPP_ERROR_TYPES)[number];

/** Types a retry of the same call cannot fix (the workflow decides what to do instead). */
export const WPP_NON_RETRYABLE_ERROR_TYPES: readonly WppErrorType[] = [
  'WppRecipientNotFound',
  'WppAuth',
  'WppSecretRejected',
  'WppProtocol',
  'WppOperationFailed',
  'WppResponseTooLarge',
];

const EXCERPT_MAX = 200;
// bcrypt hashes (tokens), with `/` possibly replaced by `_` as WPPConnect does.
const BCRYPT_PATTERN = /\$2[abxy]?\$\d{2}\$[A-Za-z0-9./_+-]{10,}/g;

/** Removes tokens and any listed secret from a text, then cuts it to 200 characters. */
export function scrubExcerpt(text: string, secrets: readonly string[] = []): string {
  let out = String(text).replace(BCRYPT_PATTERN, '[token]');
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[secret]');
  }
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > EXCERPT_MAX ? `${out.slice(0, EXCERPT_MAX - 1)}…` : out;
}

export interface WppErrorDetails {
  /** HTTP status, or 0 when no response was received. */
  status: number;
  /** Start of the response body (or the transport error), scrubbed of tokens and secrets. */
  bodyExcerpt?: string;
  /** Which API operation failed, e.g. `send-message`. */
  operation?: string;
}

export abstract class WppError extends Error {
  readonly type: WppErrorType;
  readonly retryable: boolean;
  readonly status: number;
  readonly bodyExcerpt: string;
  readonly operation?: string;

  protected constructor(type: WppErrorType, retryable: boolean, message: string, details: WppErrorDetails) {
    super(scrubExcerpt(message));
    this.name = type;
    this.type = type;
    this.retryable = retryable;
    this.status = details.status;
    this.bodyExcerpt = scrubExcerpt(details.bodyExcerpt ?? '');
    this.operation = details.operation;
  }
}

/** 400 "O número … não existe." — the recipient is not on WhatsApp (or the id is malformed). */
export class WppRecipientNotFoundError extends WppError {
  constructor(message: string, details: WppErrorDetails) {
    super('WppRecipientNotFound', false, message, details);
  }
}

/**
 * 404 "A sessão do WhatsApp não está ativa." — the session has no live browser. Retrying at once
 * burns attempts; wait for the session keeper to bring it back (retryable with a long backoff).
 */
export class WppSessionUnavailableError extends WppError {
  constructor(message: string, details: WppErrorDetails) {
    super('WppSessionUnavailable', true, message, details);
  }
}

/** 401 on a token even after regenerating it once (session name or server secret mismatch). */
export class WppAuthError extends WppError {
  constructor(message: string, details: WppErrorDetails) {
    super('WppAuth', false, message, details);
  }
}

/** generate-token answered 400 "The SECRET_KEY is incorrect": our configured secret is wrong. */
export class WppSecretRejectedError extends WppError {
  constructor(message: string, details: WppErrorDetails) {
    super('WppSecretRejected', false, message, details);
  }
}

/** 5xx, timeouts, refused/reset connections: the same call may succeed later. */
export class WppTransientError extends WppError {
  constructor(message: string, details: WppErrorDetails) {
    super('WppTransient', true, message, details);
  }
}

/** A response we cannot interpret (HTML 404 of a wrong route, missing fields, bad JSON). */
export class WppProtocolError extends WppError {
  constructor(message: string, details: WppErrorDetails) {
    super('WppProtocol', false, message, details);
  }
}

/**
 * The server understood the call and reported a deterministic failure: get-messages "Error on
 * open list" (chat not loaded; served as 401 but not an auth problem), close-session on a session
 * that is not running, message-by-id / get-media-by-message on an unknown message.
 */
export class WppOperationFailedError extends WppError {
  constructor(message: string, details: WppErrorDetails) {
    super('WppOperationFailed', false, message, details);
  }
}

/**
 * A response body over the client's cap (announced by Content-Length or counted while it streamed): the
 * call was cut off, so the body was never held whole. For media, `limit` is MEDIA_MAX_BYTES.
 */
export class WppResponseTooLargeError extends WppError {
  /** Bytes allowed (decoded bytes for media). */
  readonly limit: number;
  /** Bytes announced or seen before the call was cut off (at least limit + 1). */
  readonly seen: number;

  constructor(message: string, details: WppErrorDetails & { limit: number; seen: number }) {
    super('WppResponseTooLarge', false, message, details);
    this.limit = details.limit;
    this.seen = details.seen;
  }
}

export function isWppError(err: unknown): err is WppError {
  return err instanceof WppError;
}
