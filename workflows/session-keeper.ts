/**
 * sessionKeeperWorkflow: one per WhatsApp session (id `session-keeper:<session>`), forever, with
 * continue-as-new. It polls the session on a durable timer and at once on every sessionEvent
 * signal, heals it (start, close+start, QR publication) and catches up on messages whose webhook
 * never arrived. docs/session-keeper.md describes the state machine.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { AlertActivities } from '../activities/alerts';
import type { DeliveryActivities } from '../activities/delivery-activities';
import type { CheckSessionResult, SessionActivities, StartSessionResult } from '../activities/session-activities';
import {
  AUTH_FAILURES,
  FailureType,
  sessionEventSignal,
  sessionStatusQuery,
  type SessionKeeperCarriedState,
  type SessionKeeperInput,
  type SessionKeeperStatus,
} from '../contracts';

export interface SessionKeeperTimings {
  /** Poll interval while CONNECTED. */
  healthyCheckMs: number;
  /** Poll interval while the session is starting or showing a QR (QRs rotate every ~20 s). */
  startingCheckMs: number;
  /** Catch-up pass interval while CONNECTED (one also runs after every (re)connect). */
  catchUpEveryMs: number;
  /** Delivery watch interval: replies still undelivered after DELIVERY_TIMEOUT are reconciled and flagged. */
  deliveryWatchEveryMs: number;
  /** First delay of the exponential backoff between failing restarts / failing checks. */
  backoffBaseMs: number;
  /** Ceiling of that backoff. */
  backoffMaxMs: number;
  /** Loop iterations per run before continue-as-new (the server's suggestion also triggers it). */
  iterationsPerRun: number;
}

export const DEFAULT_SESSION_KEEPER_TIMINGS: SessionKeeperTimings = {
  healthyCheckMs: 30_000,
  startingCheckMs: 5_000,
  catchUpEveryMs: 5 * 60_000,
  deliveryWatchEveryMs: 60_000,
  backoffBaseMs: 5_000,
  backoffMaxMs: 5 * 60_000,
  // About 10 history events per quiet iteration: ~4k events, well below the 50k hard limit.
  iterationsPerRun: 400,
};

/** Belt and braces next to iterationsPerRun, for runs with many signal-driven iterations. */
const MAX_HISTORY_EVENTS = 8_000;

/** SessionKeeperInput plus timing overrides (tests, unusual deployments), carried over continue-as-new. */
export type SessionKeeperWorkflowInput = SessionKeeperInput & { timings?: Partial<SessionKeeperTimings> };

const AUTH_FAILURE_TYPES: readonly string[] = AUTH_FAILURES;

/** Status polls: a few quick retries, then the keeper records UNREACHABLE and backs off itself. */
const CHECK: ActivityOptions = {
  startToCloseTimeout: '90 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [...AUTH_FAILURE_TYPES, FailureType.UnknownSession],
  },
};

/** start/close: the keeper owns the backoff between restarts, so the activity retries little. */
const SESSION_CONTROL: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 2,
    nonRetryableErrorTypes: [...AUTH_FAILURE_TYPES, FailureType.UnknownSession],
  },
};

/** A QR is useless after its phase (~60 s), so an alert that cannot get through within minutes is dropped. */
const QR_ALERT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** Catch-up walks many chats: it heartbeats per chat; a failed pass is simply repeated by the next one. */
const CATCH_UP: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: [FailureType.UnknownSession],
  },
};

const { checkSession, publishQr } = proxyActivities<SessionActivities>(CHECK);
const { startSession, restartSession } = proxyActivities<SessionActivities>(SESSION_CONTROL);
const { notifyOperators } = proxyActivities<AlertActivities>(QR_ALERT);
const { catchUpMessages } = proxyActivities<SessionActivities>(CATCH_UP);
/** One pass per interval; a failed pass is simply covered by the next. */
const { watchDeliveries } = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 2 },
});

function failureOf(err: unknown): { type?: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? undefined, message: cause.message };
  if (cause instanceof Error) return { message: cause.message };
  return { message: String(cause) };
}

function initialState(): SessionKeeperCarriedState {
  return {
    state: 'UNKNOWN',
    since: new Date().toISOString(),
    restarts: 0,
    consecutiveFailures: 0,
    qrAvailable: false,
    catchUpMarks: {},
    catchUpStarted: 0,
    continuedAsNew: 0,
  };
}

export async function sessionKeeperWorkflow(input: SessionKeeperWorkflowInput): Promise<void> {
  const { session } = input;
  const timings: SessionKeeperTimings = { ...DEFAULT_SESSION_KEEPER_TIMINGS, ...input.timings };
  const s: SessionKeeperCarriedState = input.state ?? initialState();

  // Not carried: after continue-as-new a restart may come early once, and a QR phase that was already
  // announced is recognised by its state.
  let nextRestartAt = 0;
  let qrAnnounced = s.state === 'QRCODE' || s.state === 'PHONECODE';
  let catchUpDue = false;
  let lastCatchUpMs = s.lastCatchUpAt === undefined ? 0 : Date.parse(s.lastCatchUpAt);
  let lastWatchMs = s.lastDeliveryWatchAt === undefined ? Date.now() : Date.parse(s.lastDeliveryWatchAt);
  let wakeUp = false;
  let restartRequestedBy: string | undefined;
  const pendingAlerts: Promise<void>[] = [];

  setHandler(sessionEventSignal, (event) => {
    wakeUp = true;
    if (event.type === 'restart-requested') restartRequestedBy = event.by;
  });
  setHandler(sessionStatusQuery, (): SessionKeeperStatus => ({
    session,
    state: s.state,
    since: s.since,
    lastCheckAt: s.lastCheckAt,
    restarts: s.restarts,
    qrAvailable: s.qrAvailable,
    lastError: s.lastError,
    lastCatchUpAt: s.lastCatchUpAt,
    catchUpStarted: s.catchUpStarted,
    lastDeliveryWatchAt: s.lastDeliveryWatchAt,
    repliesFlagged: s.repliesFlagged,
    continuedAsNew: s.continuedAsNew,
  }));

  const setState = (state: SessionKeeperCarriedState['state']): void => {
    if (state === s.state) return;
    log.info('session state changed', { session, from: s.state, to: state });
    s.state = state;
    s.since = new Date().toISOString();
  };

  const backoffMs = (failures: number): number =>
    Math.min(timings.backoffBaseMs * 2 ** Math.max(0, failures - 1), timings.backoffMaxMs);

  const recordFailure = (err: unknown, what: string): void => {
    const failure = failureOf(err);
    s.lastError = `${what}: ${failure.message}`;
    s.consecutiveFailures += 1;
    setState(failure.type !== undefined && AUTH_FAILURE_TYPES.includes(failure.type) ? 'AUTH_FAILED' : 'UNREACHABLE');
  };

  /** start-session (or close + start) with exponential backoff while attempts keep failing. */
  const start = async (kind: 'start' | 'restart', force: boolean): Promise<void> => {
    if (!force && Date.now() < nextRestartAt) return;
    s.restarts += 1;
    // Counted as failing until the session reaches CONNECTED, which resets the count.
    s.consecutiveFailures += 1;
    nextRestartAt = Date.now() + backoffMs(s.consecutiveFailures);
    let result: StartSessionResult;
    try {
      result = kind === 'start' ? await startSession({ session }) : await restartSession({ session });
    } catch (err) {
      const failure = failureOf(err);
      s.lastError = `${kind}-session: ${failure.message}`;
      if (failure.type !== undefined && AUTH_FAILURE_TYPES.includes(failure.type)) setState('AUTH_FAILED');
      return;
    }
    // start-session answers with the state before the call; the next (fast) check shows the new one.
    setState(result.state);
  };

  const handleQrPhase = async (state: 'QRCODE' | 'PHONECODE'): Promise<void> => {
    const announce = !qrAnnounced;
    qrAnnounced = true;
    try {
      const { stored } = await publishQr({ session, state, announce });
      s.qrAvailable = stored;
    } catch (err) {
      s.lastError = `qrcode-session: ${failureOf(err).message}`;
    }
    if (announce) {
      pendingAlerts.push(
        notifyOperators({ type: 'session-qr', session }).then(
          () => undefined,
          (err: unknown) => log.warn('QR alert was not delivered', { session, error: failureOf(err).message }),
        ),
      );
    }
  };

  const applyCheck = async (check: CheckSessionResult): Promise<void> => {
    if (check.qrCleared) s.qrAvailable = false;
    switch (check.state) {
      case 'CONNECTED':
        if (check.browserAlive === false) {
          // Status stuck at CONNECTED with a dead browser: only close + start revives it (wppconnect/CONTRACT.md §7.6).
          s.lastError = 'check-connection: browser not responding while CONNECTED';
          setState('CLOSED');
          await start('restart', false);
          return;
        }
        if (s.state !== 'CONNECTED') catchUpDue = true;
        setState('CONNECTED');
        s.consecutiveFailures = 0;
        s.lastError = undefined;
        nextRestartAt = 0;
        qrAnnounced = false;
        return;
      case 'CLOSED':
        setState('CLOSED');
        await start('start', false);
        return;
      case 'QRCODE':
      case 'PHONECODE':
        setState(check.state);
        await handleQrPhase(check.state);
        return;
      case 'INITIALIZING':
        setState('INITIALIZING');
        return;
    }
  };

  const checkAndHeal = async (): Promise<void> => {
    const requestedBy = restartRequestedBy;
    restartRequestedBy = undefined;
    if (requestedBy !== undefined) {
      log.info('restart requested', { session, by: requestedBy });
      await start('restart', true);
      return;
    }
    let check: CheckSessionResult;
    try {
      check = await checkSession({ session, previousState: s.state, qrPublished: s.qrAvailable });
    } catch (err) {
      recordFailure(err, 'status-session');
      return;
    }
    s.lastCheckAt = new Date().toISOString();
    await applyCheck(check);
  };

  const maybeCatchUp = async (): Promise<void> => {
    if (s.state !== 'CONNECTED') return;
    const due = catchUpDue || Date.now() - lastCatchUpMs >= timings.catchUpEveryMs;
    if (!due) return;
    const reason = catchUpDue ? 'connected' : 'timer';
    catchUpDue = false;
    lastCatchUpMs = Date.now();
    try {
      const result = await catchUpMessages({ session, marks: s.catchUpMarks, reason });
      s.catchUpMarks = result.marks;
      s.catchUpStarted += result.started;
      s.lastCatchUpAt = new Date().toISOString();
    } catch (err) {
      // The next pass (timer) covers the same ground: marks only move on success.
      s.lastError = `catch-up: ${failureOf(err).message}`;
    }
  };

  /** Replies without a delivered ack after DELIVERY_TIMEOUT: reconciled with WPPConnect, else flagged. */
  const maybeWatchDeliveries = async (): Promise<void> => {
    if (Date.now() - lastWatchMs < timings.deliveryWatchEveryMs) return;
    lastWatchMs = Date.now();
    try {
      const result = await watchDeliveries({ session, asOf: new Date().toISOString() });
      s.repliesFlagged = (s.repliesFlagged ?? 0) + result.flagged;
      s.lastDeliveryWatchAt = new Date().toISOString();
    } catch (err) {
      log.warn('delivery watch failed; the next pass covers it', { session, error: failureOf(err).message });
    }
  };

  const nextDelayMs = (): number => {
    switch (s.state) {
      case 'CONNECTED':
        return timings.healthyCheckMs;
      case 'CLOSED':
        // Waiting out the restart backoff, but still looking now and then: the session may come back alone.
        return Math.min(timings.healthyCheckMs, Math.max(nextRestartAt - Date.now(), timings.startingCheckMs));
      case 'AUTH_FAILED':
      case 'UNREACHABLE':
        return backoffMs(s.consecutiveFailures);
      default:
        return timings.startingCheckMs;
    }
  };

  const runIsLong = (iteration: number): boolean => {
    const info = workflowInfo();
    return (
      iteration >= timings.iterationsPerRun || info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS
    );
  };

  for (let iteration = 1; ; iteration += 1) {
    wakeUp = false;
    await checkAndHeal();
    await maybeCatchUp();
    await maybeWatchDeliveries();
    // A signal that arrived meanwhile is served first; continue-as-new only from a quiet point.
    if (runIsLong(iteration) && !wakeUp && restartRequestedBy === undefined) break;
    await condition(() => wakeUp, nextDelayMs());
  }

  await Promise.all(pendingAlerts);
  await condition(allHandlersFinished);
  s.continuedAsNew += 1;
  await continueAsNew<typeof sessionKeeperWorkflow>({
    session,
    state: s,
    ...(input.timings ? { timings: input.timings } : {}),
  });
}
