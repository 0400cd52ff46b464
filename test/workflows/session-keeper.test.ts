/**
 * The session keeper against the in-process WPPConnect simulator, with its real activities, a real
 * SQLite database and the time-skipping test server. The simulator's own timers run in real time
 * (kept to a few milliseconds), the keeper's timers in test-server time: tests move the latter with
 * env.sleep() and pause a little real time between steps.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import { createAlertActivities, createAlertClient } from '../../activities/alerts';
import { createDeliveryActivities } from '../../activities/delivery-activities';
import { createCatchUpActivities } from '../../activities/catch-up';
import { createSessionControlActivities } from '../../activities/session-control';
import { createSessionGate } from '../../activities/session-gate';
import { openDatabase, type Database } from '../../db';
import { createMediaStore, type MediaStore } from '../../media/store';
import { LogEvent } from '../../observability/logger';
import { createWppConnectClient, webhookUrlFor } from '../../wppconnect/client';
import { createSimClient, type SimClient, type SimSessionView } from '../../simulator/control-client';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server';
import type { IWhatsAppService } from '../../wppconnect/types';
import {
  restartSessionUpdate,
  sessionEventSignal,
  sessionKeeperWorkflowId,
  sessionStatusQuery,
  type SessionKeeperStatus,
} from '../../contracts';
import type { sessionKeeperWorkflow, SessionKeeperTimings } from '../../workflows/session-keeper';
import { captureHistory } from '../helpers/histories';
import { bundleWorkflows, createTimeSkippingEnv, TEMPORAL_TEST_TIMEOUT_MS, withWorker } from '../helpers/temporal';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

const PUBLIC_URL = 'http://127.0.0.1:9';
const WEBHOOK_TOKEN = 'keeper-webhook-token';
const ALERT_PATH = `/alerts/${randomUUID()}`;
/** SESSION_STUCK_SECONDS as the tests configure it (the default, 180 s). */
const STUCK_MS = 180_000;
/** WPPCONNECT_MAX_RETRIES as the tests configure it. */
const MAX_ATTEMPTS = 3;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let db: Database;
let dir: string;
let alertServer: Server;
let alertUrl: string;
const alertsReceived: unknown[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'session-keeper-'));
  alertServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Only our path counts: other processes on this machine may probe a port that was theirs a moment ago.
      if (req.method === 'POST' && req.url === ALERT_PATH) {
        alertsReceived.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => alertServer.listen(0, '127.0.0.1', resolve));
  alertUrl = `http://127.0.0.1:${(alertServer.address() as AddressInfo).port}${ALERT_PATH}`;
  [env, bundle, db] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflows(),
    openDatabase(`sqlite:${path.join(dir, 'keeper.sqlite')}`),
  ]);
});

afterAll(async () => {
  await env?.teardown();
  await db?.close();
  alertServer?.closeAllConnections();
  await new Promise<void>((resolve) => (alertServer ? alertServer.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const realPause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LogLine {
  level: number;
  event?: number;
  session?: string;
  msg?: string;
  answer?: string;
  reason?: string;
  attempts?: number;
  operation?: string;
  type?: string;
}

interface Rig {
  session: string;
  sim: Simulator;
  /** The simulator's control routes over HTTP (faults, scan, server restart, state). */
  control: SimClient;
  wpp: IWhatsAppService;
  mediaStore: MediaStore;
  logs: LogLine[];
  logger: Logger;
  /** What the client uses as secret on its next token generation. */
  clientSecret: { value: string };
  close(): Promise<void>;
}

let rigCounter = 0;

async function startRig(simulator: SimulatorOptions = {}): Promise<Rig> {
  const session = `keeper-${++rigCounter}`;
  const sim = await createSimulator({
    secretKey: 'sim-secret',
    defaultSession: session,
    timing: { initializeMs: 20, scanSyncMs: 20, connectAfterInChatMs: 10, qrTimeoutMs: 600_000 },
    ...simulator,
  });
  const clientSecret = { value: simulator.secretKey ?? 'sim-secret' };
  const logs: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
  const wpp = createWppConnectClient({
    baseUrl: `${sim.url}/api`,
    getSecretKey: () => clientSecret.value,
    // Roomy: a busy machine may take seconds to render a QR PNG.
    timeoutMs: 20_000,
    maxAttempts: MAX_ATTEMPTS,
    retryDelayMs: 10,
    logger,
  });
  const mediaStore = createMediaStore({ root: path.join(dir, session), maxBytes: 1_000_000 });
  const control = createSimClient(sim.url, session);
  return {
    session,
    sim,
    control,
    wpp,
    mediaStore,
    logs,
    logger,
    clientSecret,
    async close() {
      await control.close();
      await sim.close();
    },
  };
}

/** What the worker's configuration says; a new worker with other values is a configuration change. */
interface WorkerSettings {
  publicUrl?: string;
  webhookToken?: string;
}

function keeperActivities(rig: Rig, settings: WorkerSettings = {}) {
  const { logger } = rig;
  const alerts = createAlertClient({ url: alertUrl });
  return {
    ...createSessionControlActivities({
      wpp: rig.wpp,
      mediaStore: rig.mediaStore,
      config: {
        sessions: [rig.session],
        publicUrl: settings.publicUrl ?? PUBLIC_URL,
        webhookToken: settings.webhookToken ?? WEBHOOK_TOKEN,
        stuckMs: STUCK_MS,
      },
      logger,
    }),
    ...createCatchUpActivities({
      wpp: rig.wpp,
      repo: db.repo,
      temporalClient: env.client,
      config: { sessions: [rig.session], taskQueue: 'unused-in-these-tests' },
      logger,
    }),
    ...createAlertActivities({ alerts }),
    ...createDeliveryActivities({ repo: db.repo, wpp: rig.wpp, alerts, deliveryTimeoutMs: 10 * 60_000 }),
  };
}

/** Keepers of the current test: terminated after it, pass or fail (a keeper left without its worker
 * would hold the test server's time skipping back for every later test). */
const runningKeepers: string[] = [];

afterEach(async () => {
  for (const workflowId of runningKeepers.splice(0)) {
    await env.client.workflow
      .getHandle(workflowId)
      .terminate('test over')
      .catch(() => undefined);
  }
});

async function startKeeper(rig: Rig, taskQueue: string, timings?: Partial<SessionKeeperTimings>) {
  runningKeepers.push(sessionKeeperWorkflowId(rig.session));
  return env.client.workflow.start<typeof sessionKeeperWorkflow>('sessionKeeperWorkflow', {
    workflowId: sessionKeeperWorkflowId(rig.session),
    taskQueue,
    args: [{ session: rig.session, ...(timings ? { timings } : {}) }],
  });
}

/** Moves keeper time forward step by step (and a little real time for the simulator) until `done`. */
async function advanceUntil(
  handle: WorkflowHandle,
  what: string,
  done: (s: SessionKeeperStatus) => boolean,
  step: Duration = '5 seconds',
  maxSteps = 60,
): Promise<SessionKeeperStatus> {
  let last: SessionKeeperStatus | undefined;
  for (let i = 0; i < maxSteps; i += 1) {
    last = await handle.query(sessionStatusQuery);
    if (done(last)) return last;
    await env.sleep(step);
    await realPause(40);
  }
  throw new Error(`keeper never reached ${what}; last status: ${JSON.stringify(last)}`);
}

/** The simulator's view of the session: record, status, its browser and who holds the profile. */
async function simState(rig: Rig): Promise<SimSessionView | undefined> {
  return (await rig.control.sessions()).find((x) => x.name === rig.session);
}

async function waitForAlerts(count: number): Promise<void> {
  for (let i = 0; i < 200 && alertsReceived.length < count; i += 1) await realPause(20);
}

const eventCount = (rig: Rig, event: number) =>
  rig.logs.filter((l) => l.event === event && l.session === rig.session).length;

describe('sessionKeeperWorkflow', () => {
  it('restarts a session that dropped to CLOSED and brings it back to CONNECTED without anyone acting', async () => {
    const rig = await startRig({ autoConnect: true });
    try {
      await withWorker(env, { bundle, activities: keeperActivities(rig) }, async (taskQueue) => {
        const handle = await startKeeper(rig, taskQueue);
        const first = await advanceUntil(handle, 'CONNECTED', (s) => s.state === 'CONNECTED');
        expect(first).toMatchObject({ session: rig.session, state: 'CONNECTED', restarts: 1, qrAvailable: false });
        // The session was started with our webhook URL, token included, built inside the activity.
        expect(rig.sim.state.webhookUrlOf(rig.sim.state.session(rig.session))).toBe(
          webhookUrlFor(PUBLIC_URL, rig.session, WEBHOOK_TOKEN),
        );

        await rig.wpp.closeSession(rig.session);
        expect((await rig.wpp.getSessionStatus(rig.session)).state).toBe('CLOSED');

        const healed = await advanceUntil(
          handle,
          'CONNECTED again',
          (s) => s.state === 'CONNECTED' && s.restarts === 2,
        );
        expect(healed).toMatchObject({ state: 'CONNECTED', restarts: 2 });
        expect(healed.lastError).toBeUndefined();
        expect((await rig.wpp.getSessionStatus(rig.session)).state).toBe('CONNECTED');
        expect(eventCount(rig, LogEvent.SessionConnected)).toBe(2);
        expect(eventCount(rig, LogEvent.SessionDisconnected)).toBe(1);
        // The keeper's history never carries the webhook token (nor the WPPConnect token).
        // Payload data is base64 in the JSON form of the history: decode it before looking.
        const history = JSON.stringify(await handle.fetchHistory(), (key, value: unknown) =>
          key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value,
        );
        expect(history).toContain(rig.session);
        expect(history).not.toContain(WEBHOOK_TOKEN);
        expect(history).not.toContain('$2b$');
        await captureHistory(handle, 'sessionKeeperWorkflow', 'drop-and-restart');
      });
    } finally {
      await rig.close();
    }
  });

  it('closes and starts again a session whose browser died while the status still says CONNECTED', async () => {
    const rig = await startRig({ autoConnect: true });
    try {
      await withWorker(env, { bundle, activities: keeperActivities(rig) }, async (taskQueue) => {
        const handle = await startKeeper(rig, taskQueue);
        await advanceUntil(handle, 'CONNECTED', (s) => s.state === 'CONNECTED');

        expect(rig.sim.state.crash(rig.session)).toBe(true);
        expect(await rig.wpp.checkConnection(rig.session)).toBe(false);

        const healed = await advanceUntil(
          handle,
          'CONNECTED after the crash',
          (s) => s.state === 'CONNECTED' && s.restarts === 2,
        );
        expect(healed).toMatchObject({ state: 'CONNECTED', restarts: 2 });
        expect(await rig.wpp.checkConnection(rig.session)).toBe(true);
      });
    } finally {
      await rig.close();
    }
  });

  it('restarts at once on a restart-requested signal, without waiting for its timer', async () => {
    const rig = await startRig({ autoConnect: true });
    try {
      await withWorker(env, { bundle, activities: keeperActivities(rig) }, async (taskQueue) => {
        const handle = await startKeeper(rig, taskQueue);
        await advanceUntil(handle, 'CONNECTED', (s) => s.state === 'CONNECTED');

        await handle.signal(sessionEventSignal, { type: 'restart-requested', by: 'api:test' });
        // No env.sleep: only the signal can make the keeper act now.
        let status: SessionKeeperStatus | undefined;
        for (let i = 0; i < 100 && status?.restarts !== 2; i += 1) {
          await realPause(50);
          status = await handle.query(sessionStatusQuery);
        }
        expect(status?.restarts).toBe(2);
        const back = await advanceUntil(handle, 'CONNECTED after restart', (s) => s.state === 'CONNECTED');
        expect(back).toMatchObject({ state: 'CONNECTED', restarts: 2 });
      });
    } finally {
      await rig.close();
    }
  });

  it('publishes a QR login (file, status, one alert) and, after the scan, is CONNECTED with the QR gone', async () => {
    const rig = await startRig({
      autoConnect: false,
      timing: { initializeMs: 20, qrRotateMs: 2_000, qrTimeoutMs: 600_000 },
    });
    alertsReceived.length = 0;
    try {
      await withWorker(env, { bundle, activities: keeperActivities(rig) }, async (taskQueue) => {
        const handle = await startKeeper(rig, taskQueue);
        const qr = await advanceUntil(handle, 'QRCODE with a QR', (s) => s.state === 'QRCODE' && s.qrAvailable);
        expect(qr).toMatchObject({ state: 'QRCODE', qrAvailable: true, restarts: 1 });
        const png = await rig.mediaStore.readQr(rig.session);
        expect(png?.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);

        // Sends are held back while the session shows a QR; an unknown session is not the gate's business.
        const gate = createSessionGate({ client: env.client, cacheMs: 0, queryTimeoutMs: 20_000 });
        const refused = await gate.assertSessionUsable(rig.session).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(refused).toBeInstanceOf(ApplicationFailure);
        expect((refused as ApplicationFailure).type).toBe('WppSessionUnavailable');
        expect((refused as ApplicationFailure).nonRetryable).toBe(false);
        await expect(gate.assertSessionUsable('no-keeper-for-this-session')).resolves.toBeUndefined();

        // More checks while the QR rotates: the file follows, the operators are alerted only once.
        for (let i = 0; i < 4; i += 1) {
          await env.sleep('5 seconds');
          await realPause(60);
        }
        for (let i = 0; i < 100 && alertsReceived.length === 0; i += 1) await realPause(20);
        expect(alertsReceived).toEqual([{ type: 'session-qr', session: rig.session, at: expect.any(String) }]);
        expect(eventCount(rig, LogEvent.QrCodeAvailable)).toBe(1);

        expect(await rig.control.scan(rig.session)).toBe(true);

        const connected = await advanceUntil(handle, 'CONNECTED after the scan', (s) => s.state === 'CONNECTED');
        expect(connected).toMatchObject({ state: 'CONNECTED', qrAvailable: false, restarts: 1 });
        expect(await rig.mediaStore.readQr(rig.session)).toBeNull();
        await expect(gate.assertSessionUsable(rig.session)).resolves.toBeUndefined();
        expect(alertsReceived).toHaveLength(1);
        await captureHistory(handle, 'sessionKeeperWorkflow', 'qr-login');
      });
    } finally {
      await rig.close();
    }
  });

  it('gets a new token after the server secret changes, via AUTH_FAILED and without getting stuck', async () => {
    const rig = await startRig({ autoConnect: true, secretKey: 'first-secret' });
    try {
      await withWorker(env, { bundle, activities: keeperActivities(rig) }, async (taskQueue) => {
        const handle = await startKeeper(rig, taskQueue);
        await advanceUntil(handle, 'CONNECTED', (s) => s.state === 'CONNECTED');

        await rig.control.setSecret('rotated-secret');
        const failed = await advanceUntil(handle, 'AUTH_FAILED', (s) => s.state === 'AUTH_FAILED');
        expect(failed.lastError).toMatch(/secret/i);
        // The session is lost to us (1004), once, however many checks fail; the refused calls are 2001.
        expect(rig.logs.filter((l) => l.event === LogEvent.SessionDisconnected)).toEqual([
          expect.objectContaining({ level: 40, session: rig.session, reason: 'refused' }),
        ]);
        expect(rig.logs.find((l) => l.msg === 'WhatsApp API Error')).toMatchObject({
          level: 40,
          event: LogEvent.WhatsAppApiError,
          session: rig.session,
          type: 'WppSecretRejected',
        });

        // The operator fixes the configuration: the client reads the secret at its next token generation.
        rig.clientSecret.value = 'rotated-secret';
        const back = await advanceUntil(
          handle,
          'CONNECTED with the new secret',
          (s) => s.state === 'CONNECTED',
          '30 seconds',
        );
        // The session itself never dropped: no restart was needed, only a new token.
        expect(back).toMatchObject({ state: 'CONNECTED', restarts: 1 });
        expect(back.lastError).toBeUndefined();
      });
    } finally {
      await rig.close();
    }
  });

  it('lives through a week of simulated time with continue-as-new and still answers its status query', async () => {
    const rig = await startRig({ autoConnect: true });
    try {
      await withWorker(env, { bundle, activities: keeperActivities(rig) }, async (taskQueue) => {
        // Hourly checks and a new run every day: the same code paths as 30 s checks, 120 times fewer.
        const handle = await startKeeper(rig, taskQueue, {
          healthyCheckMs: 60 * 60_000,
          catchUpEveryMs: 6 * 60 * 60_000,
          iterationsPerRun: 24,
        });
        await advanceUntil(handle, 'CONNECTED', (s) => s.state === 'CONNECTED');
        const connectedAt = await env.currentTimeMs();

        await env.sleep('7 days');

        const status = await handle.query(sessionStatusQuery);
        expect(status).toMatchObject({ session: rig.session, state: 'CONNECTED', restarts: 1 });
        expect(status.continuedAsNew).toBeGreaterThanOrEqual(6);
        expect(Date.parse(status.lastCheckAt ?? '')).toBeGreaterThan(connectedAt + 6 * 24 * 60 * 60_000);
        expect(status.lastCatchUpAt).toBeDefined();
        const current = await env.client.workflow.getHandle(sessionKeeperWorkflowId(rig.session)).describe();
        expect(current.runId).not.toBe(handle.firstExecutionRunId);
        expect(current.status.name).toBe('RUNNING');
      });
    } finally {
      await rig.close();
    }
  });

  it('gives a session stuck INITIALIZING one close and start, then one alert, then at most one attempt every 10 minutes', async () => {
    // WhatsApp Web unreachable (a clinic network that blocks it): the browser loads forever and never auto-closes.
    const rig = await startRig({ autoConnect: true, faults: { whatsappWebUnreachable: true } });
    alertsReceived.length = 0;
    try {
      await withWorker(env, { bundle, activities: keeperActivities(rig) }, async (taskQueue) => {
        const handle = await startKeeper(rig, taskQueue);
        const initializing = await advanceUntil(handle, 'INITIALIZING', (s) => s.state === 'INITIALIZING');
        expect(initializing).toMatchObject({ restarts: 1, stuck: false });

        // Past SESSION_STUCK_SECONDS: close (500, the server resets its record and the browser runs on), wait
        // out the server's auto-close, start. The old browser still holds the profile: the start launches nothing.
        const attempted = await advanceUntil(handle, 'the recovery attempt', (s) => s.restarts === 2, '30 seconds');
        expect(attempted).toMatchObject({ state: 'INITIALIZING', stuck: false });
        expect(rig.logs.filter((l) => l.msg === 'close-session failed')).toEqual([
          expect.objectContaining({
            level: 40,
            session: rig.session,
            answer: expect.stringMatching(/^500 \{"status":false,"message":"Error closing session"/) as string,
          }),
        ]);
        for (let i = 0; i < 100 && (await simState(rig))?.status !== 'INITIALIZING'; i += 1) await realPause(20);
        expect(await simState(rig)).toMatchObject({ status: 'INITIALIZING', browser: null, profileHeldBy: 'orphan' });

        // Still INITIALIZING a full deadline later: one alert that says what to do, and the status says it too.
        const stuck = await advanceUntil(handle, 'stuck', (s) => s.stuck, '30 seconds');
        expect(stuck).toMatchObject({ state: 'INITIALIZING', restarts: 2, stuck: true });
        expect(stuck.lastError).toContain('Restart the WPPConnect Server process (or its container)');
        await waitForAlerts(1);
        expect(alertsReceived).toEqual([
          {
            type: 'session-stuck',
            session: rig.session,
            state: 'INITIALIZING',
            since: stuck.since,
            action: expect.stringContaining('Restart the WPPConnect Server process') as string,
            at: expect.any(String) as string,
          },
        ]);
        // Sends are held back meanwhile, and the gate says why.
        const gate = createSessionGate({ client: env.client, cacheMs: 0, queryTimeoutMs: 20_000 });
        await expect(gate.assertSessionUsable(rig.session)).rejects.toThrow(/stuck: an operator must restart/);

        // No restart loop: the next attempt comes 10 minutes after the first, and no second alert.
        await env.sleep('4 minutes');
        expect((await handle.query(sessionStatusQuery)).restarts).toBe(2);
        await env.sleep('5 minutes');
        await realPause(50);
        expect(await handle.query(sessionStatusQuery)).toMatchObject({ restarts: 3, stuck: true });
        await env.sleep('5 minutes');
        await realPause(50);
        expect(await handle.query(sessionStatusQuery)).toMatchObject({ restarts: 3, stuck: true });
        expect(alertsReceived).toHaveLength(1);

        // The operator fixes the network and restarts the WPPConnect Server: it starts the stored session
        // again. Its first webhook ends the back-off at once (no keeper timer needs to fire).
        await rig.control.setFaults({ whatsappWebUnreachable: false });
        await rig.control.restartServer();
        for (let i = 0; i < 100 && !rig.sim.state.session(rig.session).client; i += 1) await realPause(20);
        await handle.signal(sessionEventSignal, { type: 'status-find', status: 'isLogged' });
        let healed: SessionKeeperStatus | undefined;
        for (let i = 0; i < 100 && healed?.state !== 'CONNECTED'; i += 1) {
          await realPause(50);
          healed = await handle.query(sessionStatusQuery);
        }
        expect(healed).toMatchObject({ state: 'CONNECTED', stuck: false });
        // Healing needs no new attempt; one start is allowed when a periodic check landed in the moment the
        // restarted server had no session record yet (it answers CLOSED): never a loop.
        expect([3, 4]).toContain(healed?.restarts);
        expect(healed?.lastError).toBeUndefined();
        await captureHistory(handle, 'sessionKeeperWorkflow', 'stuck');
      });
    } finally {
      await rig.close();
    }
  });

  it('heals a browser that failed to launch with its next attempt once the launch works again', async () => {
    const rig = await startRig({ autoConnect: true, faults: { browserLaunchFails: true } });
    alertsReceived.length = 0;
    try {
      await withWorker(env, { bundle, activities: keeperActivities(rig) }, async (taskQueue) => {
        const handle = await startKeeper(rig, taskQueue);
        await advanceUntil(handle, 'INITIALIZING', (s) => s.state === 'INITIALIZING');
        // A failed launch holds no profile: nothing to wait for, but the start launches nothing either.
        expect(await simState(rig)).toMatchObject({ status: 'INITIALIZING', browser: null, profileHeldBy: null });
        const stuck = await advanceUntil(handle, 'stuck', (s) => s.stuck, '30 seconds');
        expect(stuck).toMatchObject({ state: 'INITIALIZING', restarts: 2 });
        await waitForAlerts(1);
        expect(alertsReceived).toEqual([expect.objectContaining({ type: 'session-stuck', session: rig.session })]);

        // Chromium can be launched again (say, the disk had filled up): the attempt 10 minutes on works.
        await rig.control.setFaults({ browserLaunchFails: false });
        const healed = await advanceUntil(handle, 'CONNECTED', (s) => s.state === 'CONNECTED', '1 minute', 15);
        expect(healed).toMatchObject({ state: 'CONNECTED', stuck: false });
        // Healing needs no new attempt; one start is allowed when a periodic check landed in the moment the
        // restarted server had no session record yet (it answers CLOSED): never a loop.
        expect([3, 4]).toContain(healed?.restarts);
        expect(healed.lastError).toBeUndefined();
        expect(alertsReceived).toHaveLength(1);
      });
    } finally {
      await rig.close();
    }
  });

  it('on a restart asked during the QR phase, waits out the auto-close of the old browser before starting, and says so', async () => {
    const rig = await startRig({
      autoConnect: false,
      timing: { initializeMs: 20, qrRotateMs: 60_000, qrTimeoutMs: 8_000 },
    });
    try {
      await withWorker(env, { bundle, activities: keeperActivities(rig) }, async (taskQueue) => {
        const handle = await startKeeper(rig, taskQueue);
        await advanceUntil(handle, 'QRCODE', (s) => s.state === 'QRCODE', '1 second');

        const answer = await handle.executeUpdate(restartSessionUpdate, { args: [{ by: 'api:test' }] });
        expect(answer).toEqual({
          session: rig.session,
          close: 'failed',
          closeAnswer: expect.stringMatching(/^500 \{"status":false,"message":"Error closing session"/) as string,
          start: 'scheduled',
          startAfter: expect.any(String) as string,
          state: 'QRCODE',
        });
        expect(rig.logs.filter((l) => l.msg === 'close-session failed')).toHaveLength(1);
        const waiting = await handle.query(sessionStatusQuery);
        expect(waiting.lastError).toContain(`waits until ${answer.startAfter ?? ''}`);
        // The first browser still shows its QR, but the server forgot it: it holds the profile until its auto-close.
        expect(await simState(rig)).toMatchObject({ record: 'reset', profileHeldBy: 'orphan' });
        for (let i = 0; i < 600 && (await simState(rig))?.profileHeldBy !== null; i += 1) await realPause(20);

        // Then the start launches a new browser: a fresh QR, not a ghost INITIALIZING.
        const fresh = await advanceUntil(
          handle,
          'a new QR',
          (s) => s.restarts === 2 && s.state === 'QRCODE',
          '5 seconds',
          30,
        );
        expect(fresh).toMatchObject({ state: 'QRCODE', qrAvailable: true, stuck: false });
        expect(await simState(rig)).toMatchObject({
          record: 'live',
          status: 'QRCODE',
          browser: 'qr',
          profileHeldBy: 'record',
        });
      });
    } finally {
      await rig.close();
    }
  });

  /** Workers that hand over to one another: no sticky queue pointing at a worker that is gone. */
  const NO_STICKY = { maxCachedWorkflows: 0 };

  it('closes and starts a running session once when PUBLIC_URL or WEBHOOK_TOKEN changes, so the new URL is applied', async () => {
    const rig = await startRig({ autoConnect: true });
    const taskQueue = `keeper-webhook-${randomUUID()}`;
    const webhookOf = () => rig.sim.state.webhookUrlOf(rig.sim.state.session(rig.session));
    try {
      let handle: WorkflowHandle | undefined;
      await withWorker(env, { bundle, activities: keeperActivities(rig), taskQueue, worker: NO_STICKY }, async () => {
        handle = await startKeeper(rig, taskQueue);
        await advanceUntil(handle, 'CONNECTED', (s) => s.state === 'CONNECTED');
        expect(webhookOf()).toBe(webhookUrlFor(PUBLIC_URL, rig.session, WEBHOOK_TOKEN));
      });
      if (!handle) throw new Error('keeper not started');
      const keeper = handle;

      // The worker restarts with another PUBLIC_URL: start-session alone would be ignored by the running session.
      const moved = 'http://127.0.0.1:10';
      await withWorker(
        env,
        { bundle, activities: keeperActivities(rig, { publicUrl: moved }), taskQueue, worker: NO_STICKY },
        async () => {
          const applied = await advanceUntil(
            keeper,
            'the new URL applied',
            (s) => s.restarts === 2 && s.state === 'CONNECTED',
          );
          expect(applied).toMatchObject({ state: 'CONNECTED', restarts: 2 });
          expect(webhookOf()).toBe(webhookUrlFor(moved, rig.session, WEBHOOK_TOKEN));
          await env.sleep('5 minutes');
          expect((await keeper.query(sessionStatusQuery)).restarts).toBe(2);
        },
      );

      // Then WEBHOOK_TOKEN is rotated: once more, and only once.
      const rotated = { publicUrl: moved, webhookToken: 'rotated-webhook-token' };
      await withWorker(
        env,
        { bundle, activities: keeperActivities(rig, rotated), taskQueue, worker: NO_STICKY },
        async () => {
          await advanceUntil(keeper, 'the new token applied', (s) => s.restarts === 3 && s.state === 'CONNECTED');
          expect(webhookOf()).toBe(webhookUrlFor(moved, rig.session, 'rotated-webhook-token'));
          await env.sleep('5 minutes');
          expect((await keeper.query(sessionStatusQuery)).restarts).toBe(3);
          const history = JSON.stringify(await keeper.fetchHistory(), (key, value: unknown) =>
            key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value,
          );
          expect(history).not.toContain('rotated-webhook-token');
        },
      );
    } finally {
      await rig.close();
    }
  });

  it('logs 1004 once when WPPConnect becomes unreachable, after WPPCONNECT_MAX_RETRIES attempts of the status call', async () => {
    const rig = await startRig({ autoConnect: true });
    try {
      await withWorker(env, { bundle, activities: keeperActivities(rig) }, async (taskQueue) => {
        const handle = await startKeeper(rig, taskQueue);
        await advanceUntil(handle, 'CONNECTED', (s) => s.state === 'CONNECTED');
        await rig.sim.close();

        const down = await advanceUntil(handle, 'UNREACHABLE', (s) => s.state === 'UNREACHABLE', '30 seconds');
        expect(down.lastError).toMatch(/^status-session: status-session: ECONNREFUSED/);
        await env.sleep('5 minutes');
        expect((await handle.query(sessionStatusQuery)).state).toBe('UNREACHABLE');
        expect(rig.logs.filter((l) => l.event === LogEvent.SessionDisconnected)).toEqual([
          expect.objectContaining({ level: 40, session: rig.session, reason: 'unreachable' }),
        ]);
        const apiErrors = rig.logs.filter((l) => l.event === LogEvent.WhatsAppApiError);
        expect(apiErrors.length).toBeGreaterThan(1);
        expect(apiErrors[0]).toMatchObject({
          level: 40,
          msg: 'WhatsApp API Error',
          operation: 'status-session',
          attempts: MAX_ATTEMPTS,
        });
      });
    } finally {
      await rig.close();
    }
  });
});
