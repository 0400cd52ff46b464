/**
 * Named timeout/retry presets for activities, so every workflow uses the same policies.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/** Failure types that no retry can fix (thrown as ApplicationFailure.nonRetryable by activities). */
export const PERMANENT_FAILURES = [
  'RecipientNotFound',
  'InvalidRecipient',
  'MediaTooLarge',
  'MediaTypeNotAllowed',
  'MediaInvalid',
  'MediaNotFound',
  'WppProtocol',
] as const;

/** Database and bookkeeping activities: quick, retried for a long time (the database may restart). */
export const DATABASE: ActivityOptions = {
  // Short, so a write lost with a killed worker is retried soon (the writes are idempotent).
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [...PERMANENT_FAILURES],
  },
};

/** The medical core: a model may be slow; the rules provider answers in milliseconds. */
export const ASSESSMENT: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
};

/**
 * Sends: exponential backoff without an attempt limit, because while the WhatsApp session is down the
 * right thing is to wait for it, not to fail the patient's reply. Permanent errors stop at once.
 */
export const SEND: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '7 days',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [...PERMANENT_FAILURES],
  },
};

/** Calls to the clinician alert webhook: durable, retried for a day. */
export const ALERT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};

/** Starting/signalling other workflows through the client. */
export const TEMPORAL_CALL: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};

/** Taking a place in the chat's line: a signal-with-start, milliseconds; retried fast if a worker dies. */
export const TURN_REQUEST: ActivityOptions = {
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
};

export const SETTINGS: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { maximumInterval: '10 seconds' },
};
