/**
 * The whole pipeline in one test process, with real parts talking real HTTP: the WPPConnect simulator,
 * the Koa app (webhook receiver) on a loopback port, a SQLite database, the rules medical core, and the
 * two workers on a Temporal test environment (time-skipping or dev server), built by the production
 * createWorkers.
 *
 *   simulator ──webhook──▶ createApp() ──start/signal──▶ Temporal ◀── workers (real activities)
 *       ▲                                                               │
 *       └──────────────────── undici client ◀──────────────────────────┘
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, createSendQueueActivities, type ActivityDeps } from '../../activities';
import type { SessionGate } from '../../activities/send-activities';
import { createApp } from '../../api/app';
import { loadConfig, type Config, type RawEnv } from '../../config/config';
import { openDatabase, type Database } from '../../db';
import { createMediaStore, type MediaStore } from '../../media/store';
import { createLogger } from '../../observability/logger';
import { createMedicalCore } from '../../triage';
import type { MedicalCore } from '../../triage/types';
import { createWppConnectClient, webhookUrlFor } from '../../wppconnect/client';
import { createLidResolver } from '../../wppconnect/contacts';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server';
import type { InjectInput } from '../../simulator/engine';
import type { IWhatsAppService } from '../../wppconnect/types';
import { Client } from '@temporalio/client';
import type { InboundWorkflowResult, WorkflowIds } from '../../contracts';
import { createWorkflowIds } from '../../contracts/pseudonyms';
import { createDataConverter } from '../../temporal/data-converter';
import { createWorkers, type PipelineWorkers } from '../../worker/worker';
import { listenForLateApp, waitFor } from './late-app';

export const SESSION = 'medical-assistant';
export const SECRET = 'THISISMYSECURETOKEN';
export const WEBHOOK_TOKEN = 'test-webhook-token';
export const API_KEY = 'test-api-key';

export interface PipelineOptions {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  /** Extra configuration variables (QUIET_WINDOW_MS, DELIVERY_TIMEOUT, CLINICIAN_ALERT_URL...). */
  configEnv?: RawEnv;
  simulator?: SimulatorOptions;
  /** Replace the medical core (e.g. to answer out of order); defaults to the rules provider. */
  medicalCore?: (real: MedicalCore) => MedicalCore;
  /** Connect the session on the simulator at start (default true). */
  connect?: boolean;
  sessionGate?: SessionGate;
  /** Wraps the WPPConnect client the activities use (e.g. to count or disturb sends). */
  wrapWpp?: (wpp: IWhatsAppService, simulator: Simulator) => IWhatsAppService;
}

export interface Pipeline {
  config: Config;
  /** Workflow ids as the API and workers build them (pseudonymous with TEMPORAL_PAYLOAD_KEY). */
  ids: WorkflowIds;
  /** A client with the pipeline's data converter (decrypts payloads when a key is set). */
  client: Client;
  db: Database;
  simulator: Simulator;
  wpp: IWhatsAppService;
  mediaStore: MediaStore;
  apiUrl: string;
  taskQueue: string;
  env: TestWorkflowEnvironment;
  /** A patient writes: the simulator posts the webhook to the app (unless deliverWebhook is false). */
  patientSays(from: string, text: string, extra?: Partial<InjectInput>): { id: string; chatId: string };
  /**
   * The result of a message's inboundMessageWorkflow. Waits (in real time) for the webhook to have
   * started it first: asking the test server for the result of a workflow that does not exist yet hangs.
   */
  inboundResult(messageId: string): Promise<InboundWorkflowResult>;
  /** What the simulator was asked to send to a chat, oldest first. */
  sentTo(chatId: string): { messageId: string; text?: string; at: string }[];
  /** Polls until `check` returns a truthy value (real time; time skipping stays locked meanwhile). */
  waitFor<T>(
    check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
    what: string,
    timeoutMs?: number,
  ): Promise<T>;
  /** Stops the workers and everything else; restarts are possible with startWorkers(). */
  stopWorkers(): Promise<void>;
  startWorkers(): Promise<void>;
  close(): Promise<void>;
}

let queueCounter = 0;

export async function startPipeline(opts: PipelineOptions): Promise<Pipeline> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pipeline-'));
  const taskQueue = `pipeline-${process.pid}-${++queueCounter}`;

  // The app's port must be known before the configuration (PUBLIC_URL) exists: listen first, attach later.
  const app = await listenForLateApp();
  const apiUrl = app.url;

  const simulator = await createSimulator({
    secretKey: SECRET,
    // A restored login: start-session connects without a QR (the keeper's tests cover the QR path).
    autoConnect: true,
    defaultSession: SESSION,
    timing: {
      initializeMs: 20,
      scanSyncMs: 20,
      connectAfterInChatMs: 10,
      ackDelaysMs: [20, 60, 120],
      logoutMs: 10,
    },
    ...opts.simulator,
  });

  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WPPCONNECT_URL: `${simulator.url}/api`,
    WPPCONNECT_SESSION: SESSION,
    WPPCONNECT_SECRET_KEY: SECRET,
    WPPCONNECT_TIMEOUT_SECONDS: '5',
    WPPCONNECT_SENDS_PER_SECOND: '50',
    WEBHOOK_TOKEN,
    API_KEYS: API_KEY,
    PUBLIC_URL: apiUrl,
    MEDIA_STORAGE_PATH: path.join(dir, 'media'),
    QUIET_WINDOW_MS: '500',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '100000',
    ...opts.configEnv,
  });

  const logger = createLogger({ level: 'silent', name: 'test' });
  const db = await openDatabase(config.databaseUrl);
  const mediaStore = createMediaStore({ root: config.media.storagePath, maxBytes: config.media.maxBytes });
  const wpp = createWppConnectClient({
    baseUrl: config.wppconnect.url,
    secretKey: config.wppconnect.secretKey,
    timeoutMs: config.wppconnect.timeoutMs,
  });
  const activityWpp = opts.wrapWpp ? opts.wrapWpp(wpp, simulator) : wpp;
  const realCore = createMedicalCore({ provider: 'rules' });
  const medicalCore = opts.medicalCore ? opts.medicalCore(realCore) : realCore;

  // With TEMPORAL_PAYLOAD_KEY, the API and the workers encrypt payloads and use keyed pseudonyms, as in production.
  const ids = createWorkflowIds({ payloadKey: config.temporal.payloadKey });
  // One data converter for the API's client, the activities' client and the workers, as in production.
  const dataConverter = createDataConverter({ current: config.temporal.payloadKey });
  const client =
    config.temporal.payloadKey === undefined
      ? opts.env.client
      : new Client({
          connection: opts.env.connection,
          namespace: opts.env.namespace ?? 'default',
          dataConverter,
        });

  app.attach(
    createApp({
      config,
      logger,
      repo: db.repo,
      temporal: client,
      ids,
      medicalCore,
      mediaStore,
      // @lid senders get their phone number from contact/pn-lid, as api/main.ts does.
      contacts: createLidResolver({ wpp }),
    }).callback(),
  );

  const deps: ActivityDeps = {
    config,
    repo: db.repo,
    patients: db.patients,
    mediaStore,
    wpp: activityWpp,
    medicalCore,
    // As worker/main.ts builds it: on the workers' native connection (eager starts of message workflows).
    client: new Client({
      connection: opts.env.nativeConnection,
      namespace: opts.env.namespace ?? 'default',
      dataConverter,
    }),
    ids,
    logger,
    // The keeper is not part of these tests: sends go straight to the simulator unless a test gives a gate.
    sessionGate: opts.sessionGate ?? { assertSessionUsable: () => Promise.resolve() },
  };

  let workers: { pipeline: PipelineWorkers; running: Promise<unknown> } | undefined;
  const startWorkers = async () => {
    const pipeline = await createWorkers({
      connection: opts.env.nativeConnection,
      namespace: opts.env.namespace ?? 'default',
      taskQueue,
      sendTaskQueue: config.temporal.sendTaskQueue,
      sendsPerSecond: config.wppconnect.sendsPerSecond,
      quietWindowMs: config.quietWindowMs,
      workflowBundle: opts.bundle,
      activities: createActivities(deps),
      sendActivities: createSendQueueActivities(deps),
      dataConverter,
      shutdownGraceMs: 1000,
    });
    workers = { pipeline, running: pipeline.run().catch(() => undefined) };
  };
  const stopWorkers = async () => {
    if (!workers) return;
    const w = workers;
    workers = undefined;
    w.pipeline.shutdown();
    await w.running;
  };

  const close = async () => {
    await stopWorkers();
    await simulator.close();
    await app.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await startWorkers();
    if (opts.connect !== false) {
      await wpp.startSession(SESSION, { webhookUrl: webhookUrlFor(apiUrl, SESSION, WEBHOOK_TOKEN) });
      await waitFor(async () => (await wpp.getSessionStatus(SESSION)).state === 'CONNECTED', 'session CONNECTED');
    }
  } catch (err) {
    // Leave nothing running: workers holding the connection would keep the test environment alive.
    await close();
    throw err;
  }

  return {
    config,
    ids,
    client,
    db,
    simulator,
    wpp,
    mediaStore,
    apiUrl,
    taskQueue,
    env: opts.env,
    patientSays(from, text, extra) {
      const result = simulator.state.inject({ session: SESSION, from, text, type: 'chat', ...extra });
      return { id: result.id, chatId: result.chatId };
    },
    async inboundResult(messageId) {
      const handle = client.workflow.getHandle(ids.inbound(SESSION, messageId));
      await waitFor(
        () =>
          handle.describe().then(
            () => true,
            () => false,
          ),
        `workflow of message ${messageId}`,
      );
      return (await handle.result()) as InboundWorkflowResult;
    },
    sentTo(chatId) {
      return simulator.state.sent
        .filter((s) => s.chatId === chatId)
        .map((s) => ({ messageId: s.messageId, text: s.text, at: s.at }));
    },
    waitFor,
    stopWorkers,
    startWorkers,
    close,
  };
}
