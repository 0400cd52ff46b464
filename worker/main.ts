/**
 * The worker process's composition root: loads configuration, builds every dependency, runs the two
 * workers (main queue and rate-limited send queue), makes sure a session keeper runs for each configured
 * WhatsApp session, and closes everything on SIGTERM/SIGINT after in-flight activities finish.
 */
import { Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { createActivities, createSendQueueActivities } from '../activities';
import { loadConfigOrExit } from '../config/config';
import { openDatabase } from '../db';
import { startMediaHousekeeping } from '../media/housekeeping';
import { createMediaStore } from '../media/store';
import { createLogger, LogEvent } from '../observability/logger';
import { connectionOptionsFor } from '../temporal/connection';
import { createDataConverter } from '../temporal/data-converter';
import { createMedicalCore } from '../triage';
import { createWppConnectClient } from '../wppconnect/client';
import { SA_WHATSAPP_SESSION, sessionKeeperWorkflowId } from '../contracts';
import { createWorkflowIds } from '../contracts/pseudonyms';
import type { SessionKeeperWorkflowInput } from '../workflows/session-keeper';
import { unpatchedSdkFiles } from './sdk-patch';
import { createWorkers, loadWorkflowBundle } from './worker';

const SDK_LOG_LEVELS: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger({ level: config.logLevel, name: 'worker' });

  // Runtime first: it owns the SDK's logging and the Prometheus exporter of Temporal's own metrics.
  Runtime.install({
    logger: new DefaultLogger(SDK_LOG_LEVELS[config.logLevel] ?? 'INFO', (entry) => {
      const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      logger[level]({ sdk: true, ...(entry.meta ?? {}) }, entry.message);
    }),
    telemetryOptions:
      config.worker.metricsPort > 0
        ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${config.worker.metricsPort}` } } }
        : undefined,
  });

  const unpatched = unpatchedSdkFiles();
  if (unpatched.length > 0) {
    logger.warn(
      { unpatched },
      'the Temporal SDK is not patched (npm ci runs scripts/patch-temporal-sdk.cjs): workflows run with ' +
        "Node's per-call watchdog and the stack-trace promise hook, which cost about a quarter of the worker's CPU",
    );
  }

  const db = await openDatabase(config.databaseUrl);
  // An escalation must reach a person: the alert webhook, or the console inbox (which needs an operator).
  if (config.nodeEnv === 'production' && config.clinicianAlertUrl === undefined && (await db.operators.count()) === 0) {
    logger.warn(
      { clinicianAlertUrl: false, operators: 0 },
      'no CLINICIAN_ALERT_URL and no operator account: escalated chats would reach nobody. ' +
        'Set CLINICIAN_ALERT_URL or create an operator (OPERATOR_PASSWORD=... npm run operator:add -- <username>)',
    );
  }
  const mediaStore = createMediaStore({ root: config.media.storagePath, maxBytes: config.media.maxBytes });
  const wpp = createWppConnectClient({
    baseUrl: config.wppconnect.url,
    secretKey: config.wppconnect.secretKey,
    timeoutMs: config.wppconnect.timeoutMs,
    maxAttempts: config.wppconnect.maxRetries,
    logger,
  });
  const medicalCore = createMedicalCore({
    provider: config.ai.provider,
    openai: config.ai.baseUrl
      ? { baseUrl: config.ai.baseUrl, apiKey: config.ai.apiKey, model: config.ai.model, timeoutMs: config.ai.timeoutMs }
      : undefined,
    logger,
  });
  // One native connection for the workers and the activities' client: its calls run in the SDK's Rust core
  // rather than in JavaScript on the activities' thread, and the message workflows the activities start are
  // handed to this worker in the start's answer (eager start) instead of through the task queue.
  const { address, tls } = connectionOptionsFor(config);
  const connection = await NativeConnection.connect({ address, tls, apiKey: config.temporal.apiKey });
  const dataConverter = createDataConverter({
    current: config.temporal.payloadKey,
    previous: config.temporal.previousPayloadKeys,
  });
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });

  // Keyed pseudonyms in ids and search attributes whenever payloads are encrypted (docs/product.md §5).
  const ids = createWorkflowIds({ payloadKey: config.temporal.payloadKey });
  const deps = { config, repo: db.repo, patients: db.patients, mediaStore, wpp, medicalCore, client, logger, ids };
  const workers = await createWorkers({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    sendTaskQueue: config.temporal.sendTaskQueue,
    sendsPerSecond: config.wppconnect.sendsPerSecond,
    quietWindowMs: config.quietWindowMs,
    workflowBundle: await loadWorkflowBundle(),
    activities: createActivities(deps),
    sendActivities: createSendQueueActivities(deps),
    dataConverter,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    maxConcurrentActivities: config.worker.maxConcurrentActivities,
    shutdownGraceMs: config.worker.shutdownGraceMs,
  });

  const running = workers.run();
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      sendTaskQueue: config.temporal.sendTaskQueue,
      sessions: config.wppconnect.sessions,
    },
    'worker running',
  );

  // One keeper per session; USE_EXISTING makes a restart of the worker attach to the running one (which
  // keeps the timings it was started with).
  for (const session of config.wppconnect.sessions) {
    try {
      await client.workflow.start('sessionKeeperWorkflow', {
        workflowId: sessionKeeperWorkflowId(session),
        taskQueue: config.temporal.taskQueue,
        args: [
          {
            session,
            timings: { healthyCheckMs: config.sessionKeeper.checkMs, catchUpEveryMs: config.sessionKeeper.catchUpMs },
          } satisfies SessionKeeperWorkflowInput,
        ],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        typedSearchAttributes: [{ key: SA_WHATSAPP_SESSION, value: session }],
      });
      logger.info({ session, workflowId: sessionKeeperWorkflowId(session) }, 'session keeper running');
    } catch (err) {
      logger.error({ eventId: LogEvent.ApiError, session, err }, 'could not start the session keeper');
    }
  }

  // Sweeps orphaned staging files and applies MEDIA_RETENTION_DAYS (see media/housekeeping.ts for why here).
  const housekeeping = startMediaHousekeeping({
    repo: db.repo,
    mediaStore,
    retentionDays: config.media.retentionDays,
    logger,
  });

  try {
    await running;
    logger.info('worker stopped');
  } finally {
    housekeeping.stop();
    await housekeeping.idle();
    await Promise.allSettled([db.close(), connection.close()]);
  }
}

main().catch((err: unknown) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
