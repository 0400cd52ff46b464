/**
 * Failure types: the one list activities throw (`ApplicationFailure.nonRetryable(message, type)` for
 * the permanent ones), workflows read and retry policies name. Pure values; imports nothing.
 */
export const FailureType = {
  /** WhatsApp says the number does not exist (after the one retry wa-js's look-up cache needs). */
  RecipientNotFound: 'RecipientNotFound',
  InvalidRecipient: 'InvalidRecipient',
  /** Media over MEDIA_MAX_BYTES: refused before it is ever buffered whole. */
  MediaTooLarge: 'MediaTooLarge',
  MediaTypeNotAllowed: 'MediaTypeNotAllowed',
  MediaInvalid: 'MediaInvalid',
  MediaNotFound: 'MediaNotFound',
  /** WPPConnect could not give the media (unknown message, download or decrypt failure). */
  MediaUnavailable: 'MediaUnavailable',
  /** An answer from WPPConnect we cannot read. */
  WppProtocol: 'WppProtocol',
  /** WPPConnect kept answering 500 to a send past the bound: the send is given up. */
  SendRejected: 'SendRejected',
  /** The reply's assessment is older than REPLY_MAX_AGE: it must be redone before sending. */
  ReplyExpired: 'ReplyExpired',
  /** The session is not configured here. */
  UnknownSession: 'UnknownSession',
  /** Transient: the session keeper knows the WhatsApp session is down. Sends wait (retry). */
  SessionUnavailable: 'WppSessionUnavailable',
  /** WPPConnect refuses our secret key / token: an operator must fix the configuration. */
  SecretRejected: 'WppSecretRejected',
  Auth: 'WppAuth',
  /** Transient: WhatsApp took an assistant reply but recording it failed; the retry records it, never resends. */
  ReplyNotRecorded: 'ReplyNotRecorded',
  /** The clinician/operator alert endpoint refused the alert (4xx other than 408/429). */
  AlertRejected: 'AlertRejected',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failures that no retry can fix: every retry policy that may meet them lists these as non-retryable. */
export const PERMANENT_FAILURES: readonly FailureType[] = [
  FailureType.RecipientNotFound,
  FailureType.InvalidRecipient,
  FailureType.MediaTooLarge,
  FailureType.MediaTypeNotAllowed,
  FailureType.MediaInvalid,
  FailureType.MediaNotFound,
  FailureType.MediaUnavailable,
  FailureType.WppProtocol,
  FailureType.SendRejected,
  FailureType.ReplyExpired,
  FailureType.UnknownSession,
  FailureType.AlertRejected,
];

/** The operator must act (wrong secret or token): retrying sooner does not help. */
export const AUTH_FAILURES: readonly FailureType[] = [FailureType.SecretRejected, FailureType.Auth];
