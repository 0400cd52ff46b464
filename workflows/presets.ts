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
 * reply, so attempts back off (to one a minute) without a count limit, up to a week. The send activity bounds
 * the rest itself (activities/send-activities.ts): WPPConnect's 500s (5 answers or 5 minutes), one re-check
 * of "number does not exist" 16 s later (it sets that retry's delay), an assessment older than REPLY_MAX_AGE.
 * An attempt is at most a gate query, a look-up and a send, each within WPPCONNECT_TIMEOUT_SECONDS; it
 * heartbeats, so a dead worker is noticed within a minute. Permanent errors stop at once.
 * docs/conversation.md ("Sends") states how long a chat can wait behind one send.
 */
export const SEND: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes },
};

/**
 * Media from the staging folder or WPPConnect (activities/inbound-media.ts): an attempt may stream a file of
 * MEDIA_MAX_BYTES, so its start-to-close is well above the WPPConnect timeout (the download itself stops 15 s
 * before it, leaving time to record why), with heartbeats every few seconds while it runs. Four attempts at
 * most (three for WPPConnect's 400 and 500), all within 15 minutes: then the fetch ends as MediaUnavailable
 * and the message's row says why. The conversation never waits for any of it.
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
