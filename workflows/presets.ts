/**
 * Named timeout/retry presets for activities, so every workflow uses the same policies.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { PERMANENT_FAILURES } from '../contracts';

const nonRetryableErrorTypes = [...PERMANENT_FAILURES];

/**
 * Database writes and the rules assessment, run inside the workflow task (local activities): short and
 * local, retried for a long time (the database may restart; the writes are idempotent).
 */
export const LOCAL_DATABASE: LocalActivityOptions = {
  startToCloseTimeout: '15 seconds',
  localRetryThreshold: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes,
  },
};

/** The medical core when a model answers: it may be slow, so it is an ordinary activity. */
export const ASSESSMENT: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
};

/**
 * Sends: while the WhatsApp session is down the right thing is to wait for it, not to fail the patient's
 * reply, so attempts back off without a count limit; the send activity itself bounds WPPConnect's 500s and
 * a reply older than REPLY_MAX_AGE (docs/conversation.md). Permanent errors stop at once.
 */
export const SEND: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes },
};

/**
 * Media from the staging folder or WPPConnect: a start-to-close longer than the WPPConnect timeout, with
 * heartbeats while bytes stream, and a bounded number of attempts, so a bad download ends (the message is
 * answered anyway) instead of holding anything.
 */
export const MEDIA: ActivityOptions = {
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '45 seconds',
  scheduleToCloseTimeout: '15 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 4,
    nonRetryableErrorTypes,
  },
};

/** Calls to the clinician alert webhook: durable, retried for a day. */
export const ALERT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes },
};
