/**
 * sessionKeeperWorkflow: one per WhatsApp session (id `session-keeper:<session>`), forever, with
 * continue-as-new. It polls the session on a durable timer and at once on every sessionEvent signal, heals
 * it (start, close+start, QR publication), gives every non-final state a deadline (SESSION_STUCK_SECONDS:
 * one recovery attempt, then an operator alert), applies a changed webhook URL, and catches up on messages
 * whose webhook never arrived. docs/session-keeper.md describes the state machine.
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
  sleep,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { AlertActivities } from '../activities/alerts';
import type { CatchUpActivities } from '../activities/catch-up';
import type { DeliveryActivities } from '../activities/delivery-activities';
import type {
  CheckSessionResult,
  CloseSessionResult,
  SessionControlActivities,
  StartSessionResult,
} from '../activities/session-control';
import {
  AUTH_FAILURES,
  FailureType,
  restartSessionUpdate,
  sessionEventSignal,
  sessionStatusQuery,
  type KeeperSessionState,
  type RestartSessionResult,
  type SessionKeeperCarriedState,
  type SessionKeeperInput,
  type SessionKeeperStatus,
} from '../contracts';

export interface SessionKeeperTimings {
  /** Poll interval while CONNECTED (and while stuck, waiting for an operator). */
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
  /**
   * After a close-session that failed while the session was starting, the old browser runs on holding the
   * profile until the server's auto-close (60 s after its QR appeared): start-session waits this long.
   */
  autoCloseWaitMs: number;
  /** A session still stuck after the recovery attempt gets at most one more attempt this often. */
  stuckRetryMs: number;
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
  autoCloseWaitMs: 75_000,
  stuckRetryMs: 10 * 60_000,
  // About 10 history events per quiet iteration: ~4k events, well below the 50k hard limit.
  iterationsPerRun: 400,
};

/** Belt and braces next to iterationsPerRun, for runs with many signal-driven iterations. */
const MAX_HISTORY_EVENTS = 8_000;
/** Until the first check tells the worker's SESSION_STUCK_SECONDS. */
const DEFAULT_STUCK_MS = 180_000;

/** SessionKeeperInput plus timing overrides (tests, unusual deployments), carried over continue-as-new. */
export type SessionKeeperWorkflowInput = SessionKeeperInput & { timings?: Partial<SessionKeeperTimings> };

const AUTH_FAILURE_TYPES: readonly string[] = AUTH_FAILURES;
/** States the server passes through on the way to CONNECTED: each gets the stuck deadline. */
const STARTING_STATES: ReadonlySet<KeeperSessionState> = new Set(['INITIALIZING', 'QRCODE', 'PHONECODE']);

/**
 * Calls to WPPConnect: the client already tried a transient failure WPPCONNECT_MAX_RETRIES times, so the
 * activity is not retried: the keeper decides (records UNREACHABLE and backs off, or tries next time). The
 * start-to-close covers those attempts at the client's timeout.
 */
const WPPCONNECT: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 1 },
};

/** A QR is useless after its phase (~60 s), so an alert that cannot get through within minutes is dropped. */
const QR_ALERT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** A stuck session needs a person: worth trying for a while, but never long enough to hold the keeper up. */
const STUCK_ALERT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: [FailureType.AlertRejected],
  },
};

/** Catch-up walks many chats: it heartbeats per chat; a failed pass is simply repeated by the next one. */
const CATCH_UP: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
};

const { checkSession, publishQr, startSession, closeSession } = proxyActivities<SessionControlActivities>(WPPCONNECT);
const { notifyOperators } = proxyActivities<AlertActivities>(QR_ALERT);
const { notifyOperators: notifyOperatorsStuck } = proxyActivities<AlertActivities>(STUCK_ALERT);
const { catchUpMessages } = proxyActivities<CatchUpActivities>(CATCH_UP);
/** One pass per interval; a failed pass is simply covered by the next. */
const { watchDeliveries } = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 2 },
});

/** What an operator is told to do about a stuck session. */
export const STUCK_ACTION =
  'Restart the WPPConnect Server process (or its container): its browser for this session is stuck and only a ' +
  'restart frees it. If it stays stuck, check that the server can reach WhatsApp Web (web.whatsapp.com).';

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

interface PendingRestart {
  by: string;
  result?: RestartSessionResult;
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
  /** The stuck deadline counts from the later of the state's `since` and the last sign of progress. */
  let progressAt = Date.parse(s.since);
  let stuckMs = DEFAULT_STUCK_MS;
  /** The webhook fingerprint a close + start was already tried for in this run (tried once, not in a loop). */
  let webhookTriedFor: string | undefined;
  let restartSignalledBy: string | undefined;
  /** After a close + start the status moves within seconds: look again soon, whatever the state says. */
  let recheckSoon = false;
  const restartRequests: PendingRestart[] = [];
  const pendingAlerts = new Set<Promise<void>>();

  const status = (): SessionKeeperStatus => ({
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
    stuck: s.stuck?.alerted === true,
  });

  /** Any status change the keeper sees ends a stuck episode and its back-off at once. */
  const endStuck = (why: string): void => {
    if (s.stuck === undefined) return;
    log.info('session no longer stuck', { session, state: s.stuck.state, why });
    s.stuck = undefined;
    nextRestartAt = 0;
  };

  setHandler(sessionEventSignal, (event) => {
    wakeUp = true;
    if (event.type === 'restart-requested') {
      restartSignalledBy = event.by;
      return;
    }
    // A webhook from the session (status-find, qrcode, ...): something moved.
    progressAt = Date.now();
    endStuck(`webhook ${event.type}`);
  });
  setHandler(sessionStatusQuery, status);
  setHandler(restartSessionUpdate, async ({ by }) => {
    const request: PendingRestart = { by };
    restartRequests.push(request);
    wakeUp = true;
    await condition(() => request.result !== undefined);
    return request.result as RestartSessionResult;
  });

  const setState = (state: KeeperSessionState): void => {
    if (state === s.state) return;
    log.info('session state changed', { session, from: s.state, to: state });
    s.state = state;
    s.since = new Date().toISOString();
    progressAt = Date.now();
  };

  const backoffMs = (failures: number): number =>
    Math.min(timings.backoffBaseMs * 2 ** Math.max(0, failures - 1), timings.backoffMaxMs);

  const isAuthFailure = (type: string | undefined): boolean => type !== undefined && AUTH_FAILURE_TYPES.includes(type);

  const recordFailure = (err: unknown, what: string): void => {
    const failure = failureOf(err);
    s.lastError = `${what}: ${failure.message}`;
    s.consecutiveFailures += 1;
    setState(isAuthFailure(failure.type) ? 'AUTH_FAILED' : 'UNREACHABLE');
  };

  const sendAlert = (what: string, alert: Promise<unknown>): void => {
    const tracked: Promise<void> = alert.then(
      () => undefined,
      (err: unknown) => log.warn(`${what} alert was not delivered`, { session, error: failureOf(err).message }),
    );
    pendingAlerts.add(tracked);
    void tracked.then(() => pendingAlerts.delete(tracked));
  };

  /** start-session; `applied` means it started with our webhook URL, whose fingerprint is then remembered. */
  const requestStart = async (kind: string): Promise<StartSessionResult | { error: string }> => {
    s.restarts += 1;
    try {
      const result = await startSession({ session });
      if (result.applied) s.webhookFingerprint = result.webhook;
      return result;
    } catch (err) {
      const failure = failureOf(err);
      s.lastError = `${kind}: start-session: ${failure.message}`;
      if (isAuthFailure(failure.type)) setState('AUTH_FAILED');
      return { error: failure.message };
    }
  };

  /** start-session from CLOSED, with exponential backoff while attempts keep failing. */
  const startClosed = async (): Promise<void> => {
    if (Date.now() < nextRestartAt) return;
    // Counted as failing until the session reaches CONNECTED, which resets the count.
    s.consecutiveFailures += 1;
    nextRestartAt = Date.now() + backoffMs(s.consecutiveFailures);
    const result = await requestStart('start');
    // start-session answers with the state before the call; the next (fast) check shows the new one.
    if ('state' in result) setState(result.state);
  };

  /**
   * close-session, then start-session. When the close failed while the session was starting, the server has
   * already reset its record but the old browser runs on holding the profile: a start now would launch
   * nothing and leave a ghost INITIALIZING (wppconnect/CONTRACT.md §2.6), so the start waits out the server's auto-close.
   * `onClosed` hears what the close did and what comes next, before any wait.
   */
  const closeAndStart = async (
    why: string,
    onClosed: (result: RestartSessionResult) => void = () => undefined,
  ): Promise<void> => {
    const before = s.state;
    let close: CloseSessionResult;
    try {
      close = await closeSession({ session });
    } catch (err) {
      const failure = failureOf(err);
      s.lastError = `${why}: close-session: ${failure.message}`;
      if (isAuthFailure(failure.type)) setState('AUTH_FAILED');
      onClosed({ session, close: 'error', start: 'not-attempted', error: failure.message, state: s.state });
      return;
    }
    const mustWait = !close.closed && STARTING_STATES.has(before);
    const closeFields = close.closed
      ? { close: 'closed' as const }
      : { close: 'failed' as const, ...(close.answer ? { closeAnswer: close.answer } : {}) };
    if (mustWait) {
      const startAfter = new Date(Date.now() + timings.autoCloseWaitMs).toISOString();
      s.lastError =
        `${why}: close-session answered ${close.answer ?? 'an error'} while ${before}; ` +
        `start-session waits until ${startAfter} for the server to close the old browser`;
      onClosed({ session, ...closeFields, start: 'scheduled', startAfter, state: s.state });
      await sleep(timings.autoCloseWaitMs);
      await requestStart(why);
    } else {
      const result = await requestStart(why);
      onClosed({
        session,
        ...closeFields,
        ...('error' in result ? { start: 'failed' as const, error: result.error } : { start: 'requested' as const }),
        state: s.state,
      });
    }
    // Give the new start its full deadline; its state shows at the next check.
    progressAt = Date.now();
    recheckSoon = true;
  };

  const serveRestartRequests = async (): Promise<boolean> => {
    const signalled = restartSignalledBy;
    restartSignalledBy = undefined;
    const requests = restartRequests.splice(0);
    if (requests.length === 0 && signalled === undefined) return false;
    const by = [...requests.map((r) => r.by), ...(signalled === undefined ? [] : [signalled])].join(', ');
    log.info('restart requested', { session, by });
    await closeAndStart(`restart requested by ${by}`, (result) => {
      for (const request of requests) request.result = result;
    });
    for (const request of requests) {
      request.result ??= { session, close: 'error', start: 'not-attempted', error: 'no answer', state: s.state };
    }
    return true;
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
    if (announce) sendAlert('QR', notifyOperators({ type: 'session-qr', session }));
  };

  /**
   * A starting state past its deadline: one recovery attempt (close, wait out the auto-close, start); if the
   * session is still stuck a full deadline later, one `session-stuck` alert and then at most one more
   * attempt every stuckRetryMs, never a loop that orphans more browsers.
   */
  const checkStuck = async (state: KeeperSessionState): Promise<void> => {
    const now = Date.now();
    if (now - Math.max(Date.parse(s.since), progressAt) < stuckMs) return;
    const stuck = (s.stuck ??= { state, attempts: 0, alerted: false });
    const lastAttemptMs = stuck.lastAttemptAt === undefined ? undefined : Date.parse(stuck.lastAttemptAt);
    if (stuck.attempts > 0 && !stuck.alerted) {
      stuck.alerted = true;
      s.lastError = `stuck in ${state} since ${s.since}: a close and start did not help. ${STUCK_ACTION}`;
      log.warn('session stuck; operators alerted', { session, state, attempts: stuck.attempts });
      sendAlert(
        'session-stuck',
        notifyOperatorsStuck({ type: 'session-stuck', session, state, since: s.since, action: STUCK_ACTION }),
      );
      return;
    }
    if (lastAttemptMs !== undefined && now - lastAttemptMs < timings.stuckRetryMs) return;
    stuck.attempts += 1;
    stuck.lastAttemptAt = new Date(now).toISOString();
    log.warn('session stuck; closing and starting it', { session, state, attempt: stuck.attempts });
    await closeAndStart(`stuck in ${state}`);
    if (stuck.alerted) {
      s.lastError = `stuck in ${state} since ${s.since}: ${stuck.attempts} close and start attempts. ${STUCK_ACTION}`;
    }
  };

  /** PUBLIC_URL or WEBHOOK_TOKEN changed: a running session keeps the old URL until it is started again. */
  const applyWebhook = async (current: string): Promise<void> => {
    if (s.webhookFingerprint === current || webhookTriedFor === current) return;
    webhookTriedFor = current;
    log.info('webhook URL changed; closing and starting the session to apply it', { session });
    await closeAndStart('webhook URL changed');
  };

  const applyCheck = async (check: CheckSessionResult): Promise<void> => {
    if (check.qrCleared) s.qrAvailable = false;
    stuckMs = check.settings.stuckMs;
    if (check.state !== s.state && s.stuck !== undefined && check.state !== s.stuck.state) {
      endStuck(`status ${check.state}`);
    }
    switch (check.state) {
      case 'CONNECTED':
        if (check.browserAlive === false) {
          // Status stuck at CONNECTED with a dead browser: only close + start revives it (wppconnect/CONTRACT.md §7.6).
          s.lastError = 'check-connection: browser not responding while CONNECTED';
          setState('CLOSED');
          if (Date.now() < nextRestartAt) return;
          s.consecutiveFailures += 1;
          nextRestartAt = Date.now() + backoffMs(s.consecutiveFailures);
          await closeAndStart('browser not responding');
          return;
        }
        if (s.state !== 'CONNECTED') catchUpDue = true;
        setState('CONNECTED');
        s.consecutiveFailures = 0;
        s.lastError = undefined;
        endStuck('CONNECTED');
        nextRestartAt = 0;
        qrAnnounced = false;
        await applyWebhook(check.settings.webhook);
        return;
      case 'CLOSED':
        setState('CLOSED');
        await startClosed();
        return;
      case 'QRCODE':
      case 'PHONECODE':
        setState(check.state);
        await handleQrPhase(check.state);
        await checkStuck(check.state);
        return;
      case 'INITIALIZING':
        setState('INITIALIZING');
        await checkStuck('INITIALIZING');
        return;
    }
  };

  const checkAndHeal = async (): Promise<void> => {
    if (await serveRestartRequests()) return;
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
    if (recheckSoon) {
      recheckSoon = false;
      return timings.startingCheckMs;
    }
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
        // Stuck and reported: only an operator (or a webhook) changes anything now.
        return s.stuck?.alerted ? timings.healthyCheckMs : timings.startingCheckMs;
    }
  };

  const runIsLong = (iteration: number): boolean => {
    const info = workflowInfo();
    return (
      iteration >= timings.iterationsPerRun || info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS
    );
  };
  const quiet = (): boolean =>
    !wakeUp && restartSignalledBy === undefined && restartRequests.length === 0 && pendingAlerts.size === 0;

  for (let iteration = 1; ; iteration += 1) {
    wakeUp = false;
    await checkAndHeal();
    await maybeCatchUp();
    await maybeWatchDeliveries();
    // A signal or update that arrived meanwhile is served first; continue-as-new only from a quiet point.
    if (runIsLong(iteration) && quiet()) break;
    await condition(() => wakeUp, nextDelayMs());
  }

  await condition(allHandlersFinished);
  s.continuedAsNew += 1;
  await continueAsNew<typeof sessionKeeperWorkflow>({
    session,
    state: s,
    ...(input.timings ? { timings: input.timings } : {}),
  });
}
