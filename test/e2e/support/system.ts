/**
 * The whole system in one process, for the console's browser test and `npm run console:shots`: the
 * WPPConnect simulator (QR login, not auto-connected), the real app with the console on a loopback port, a
 * SQLite database, the rules medical core, the two production workers and a real session keeper, on a
 * Temporal server the caller provides (the dev server).
 *
 *   chromium ──HTTP──▶ createApp() (/console) ──signals/queries──▶ Temporal ◀── workers (real activities)
 *   simulator ──webhooks──▶ createApp() (/api/webhook)                              │
 *       ▲──────────────────────────── undici client ◀──────────────────────────────┘
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pino from 'pino';
import { createActivities, createSendQueueActivities, type ActivityDeps } from '../../../activities';
import { createApp } from '../../../api/app';
import { loadConfig, type Config, type RawEnv } from '../../../config/config';
import { SA_WHATSAPP_SESSION, sessionKeeperWorkflowId } from '../../../contracts';
import { openDatabase, type Database } from '../../../db';
import { createMediaStore, type MediaStore } from '../../../media/store';
import { createMedicalCore } from '../../../triage';
import { createWppConnectClient } from '../../../wppconnect/client';
import { Client } from '@temporalio/client';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../../simulator/server';
import type { InjectInput } from '../../../simulator/engine';
import { createWorkers, type PipelineWorkers } from '../../../worker/worker';
import type { SessionKeeperWorkflowInput } from '../../../workflows/session-keeper';
import { listenForLateApp, waitFor } from '../../helpers/late-app';

export const SESSION = 'medical-assistant';
export const SECRET = 'THISISMYSECURETOKEN';
export const WEBHOOK_TOKEN = 'e2e-webhook-token';
export const OPERATOR = { username: 'operator', password: 'dev-operator-password', displayName: 'Dr. Ana Souza' };

export interface SystemOptions {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  /** Extra configuration (QUIET_WINDOW_MS, CLINICIAN_ALERT_URL...). */
  configEnv?: RawEnv;
  simulator?: SimulatorOptions;
}

export interface ConsoleSystem {
  /** `http://127.0.0.1:<port>`: the API, with the console at /console. */
  url: string;
  config: Config;
  db: Database;
  simulator: Simulator;
  mediaStore: MediaStore;
  /** A patient writes: the simulator posts the webhook to the app. */
  patientSays(from: string, text: string, extra?: Partial<InjectInput>): { id: string; chatId: string };
  /** What the simulator was asked to send to a chat, oldest first. */
  sentTo(chatId: string): { messageId: string; text?: string }[];
  waitFor<T>(
    check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
    what: string,
    timeoutMs?: number,
  ): Promise<T>;
  close(): Promise<void>;
}

let queueCounter = 0;

export async function startConsoleSystem(opts: SystemOptions): Promise<ConsoleSystem> {
  const dir = mkdtempSync(path.join(tmpdir(), 'console-e2e-'));
  const taskQueue = `console-e2e-${process.pid}-${++queueCounter}`;

  // The app's port must be known before the configuration (PUBLIC_URL) exists: listen first, attach later.
  const app = await listenForLateApp();
  const url = app.url;

  const simulator = await createSimulator({
    secretKey: SECRET,
    autoConnect: false,
    defaultSession: SESSION,
    ownName: 'Clínica Exemplo',
    timing: {
      initializeMs: 50,
      scanSyncMs: 200,
      connectAfterInChatMs: 50,
      ackDelaysMs: [100, 300, 600],
      qrTimeoutMs: 600_000,
    },
    ...opts.simulator,
  });

  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
    TEMPORAL_ADDRESS: opts.env.connection.options.address,
    TEMPORAL_NAMESPACE: opts.env.namespace ?? 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    WPPCONNECT_URL: `${simulator.url}/api`,
    WPPCONNECT_SESSION: SESSION,
    WPPCONNECT_SECRET_KEY: SECRET,
    WPPCONNECT_TIMEOUT_SECONDS: '5',
    WPPCONNECT_SENDS_PER_SECOND: '20',
    WEBHOOK_TOKEN,
    PUBLIC_URL: url,
    MEDIA_STORAGE_PATH: path.join(dir, 'media'),
    QUIET_WINDOW_MS: '300',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '100000',
    ...opts.configEnv,
  });
  const logger = pino({ level: 'silent' });
  const db = await openDatabase(config.databaseUrl);
  await db.operators.save(OPERATOR);
  const mediaStore = createMediaStore({ root: config.media.storagePath, maxBytes: config.media.maxBytes });
  const wpp = createWppConnectClient({
    baseUrl: config.wppconnect.url,
    secretKey: config.wppconnect.secretKey,
    timeoutMs: config.wppconnect.timeoutMs,
  });
  const medicalCore = createMedicalCore({ provider: 'rules' });

  app.attach(
    createApp({
      config,
      logger,
      repo: db.repo,
      temporal: opts.env.client,
      medicalCore,
      mediaStore,
      operators: db.operators,
    }).callback(),
  );

  const deps: ActivityDeps = {
    config,
    repo: db.repo,
    patients: db.patients,
    mediaStore,
    wpp,
    medicalCore,
    // As worker/main.ts builds it: on the workers' native connection (eager starts of message workflows).
    client: new Client({ connection: opts.env.nativeConnection, namespace: opts.env.namespace ?? 'default' }),
    logger,
  };
  let workers: { pipeline: PipelineWorkers; running: Promise<unknown> } | undefined;

  const close = async () => {
    if (workers) {
      workers.pipeline.shutdown();
      await workers.running;
    }
    await simulator.close();
    await app.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
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
      shutdownGraceMs: 1000,
    });
    workers = { pipeline, running: pipeline.run().catch(() => undefined) };
    // As worker/main.ts does, with quick checks: the keeper starts the session, publishes the QR, sees the scan.
    await opts.env.client.workflow.start('sessionKeeperWorkflow', {
      workflowId: sessionKeeperWorkflowId(SESSION),
      taskQueue,
      args: [
        {
          session: SESSION,
          timings: { healthyCheckMs: 2000, startingCheckMs: 300, catchUpEveryMs: 60_000, deliveryWatchEveryMs: 60_000 },
        } satisfies SessionKeeperWorkflowInput,
      ],
      typedSearchAttributes: [{ key: SA_WHATSAPP_SESSION, value: SESSION }],
    });
  } catch (err) {
    await close();
    throw err;
  }

  return {
    url,
    config,
    db,
    simulator,
    mediaStore,
    patientSays(from, text, extra) {
      const result = simulator.state.inject({ session: SESSION, from, text, type: 'chat', ...extra });
      return { id: result.id, chatId: result.chatId };
    },
    sentTo(chatId) {
      return simulator.state.sent
        .filter((s) => s.chatId === chatId)
        .map((s) => ({ messageId: s.messageId, text: s.text }));
    },
    waitFor,
    async close() {
      await opts.env.client.workflow
        .getHandle(sessionKeeperWorkflowId(SESSION))
        .terminate('test over')
        .catch(() => undefined);
      await close();
    },
  };
}
