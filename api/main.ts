/**
 * The API process's composition root: the only place that reads process.env, opens connections and
 * listens. SIGTERM/SIGINT stop accepting requests, let in-flight ones finish, then close the database
 * and the Temporal connection.
 */
import type { Server } from 'node:http';
import { loadConfigOrExit } from '../config/config';
import { openDatabase } from '../db';
import { createMediaStore } from '../media/store';
import { createLogger } from '../observability/logger';
import { createTemporalClient } from '../temporal/connection';
import { createPayloadCodec } from '../temporal/data-converter';
import { createMedicalCore } from '../triage';
import { createWppConnectClient } from '../wppconnect/client';
import { createLidResolver } from '../wppconnect/contacts';
import { createWorkflowIds } from '../contracts/pseudonyms';
import { createApp } from './app';

const SHUTDOWN_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger({ level: config.logLevel, name: 'api' });
  const previousPayloadKeys = config.temporal.previousPayloadKeys;

  const db = await openDatabase(config.databaseUrl);
  // Lazy: the API comes up (and /health/ready says why it is not ready) while Temporal is still starting.
  const temporal = await createTemporalClient(config, { lazy: true, previousPayloadKeys });
  const medicalCore = createMedicalCore({
    provider: config.ai.provider,
    openai: config.ai.baseUrl
      ? { baseUrl: config.ai.baseUrl, apiKey: config.ai.apiKey, model: config.ai.model, timeoutMs: config.ai.timeoutMs }
      : undefined,
    logger,
  });
  const mediaStore = createMediaStore({ root: config.media.storagePath, maxBytes: config.media.maxBytes });
  // Only for @lid senders of webhooks (contact/pn-lid): one quick try, so a webhook answer is never held long.
  const wpp = createWppConnectClient({
    baseUrl: config.wppconnect.url,
    secretKey: config.wppconnect.secretKey,
    timeoutMs: Math.min(config.wppconnect.timeoutMs, 5_000),
    maxAttempts: 1,
    logger,
  });
  const contacts = createLidResolver({ wpp, deadlineMs: 2_000 });

  // Aborted at shutdown: the console's event streams end, so server.close() is not held open by them.
  const shutdownSignal = new AbortController();
  const app = createApp({
    config,
    logger,
    repo: db.repo,
    temporal,
    medicalCore,
    mediaStore,
    payloadCodec: createPayloadCodec({ current: config.temporal.payloadKey, previous: previousPayloadKeys }),
    codecCorsOrigins: config.api.codecCorsOrigins,
    // Keyed pseudonyms in ids and search attributes whenever payloads are encrypted (docs/product.md §5).
    ids: createWorkflowIds({ payloadKey: config.temporal.payloadKey }),
    operators: db.operators,
    stopping: shutdownSignal.signal,
    contacts,
  });

  const server: Server = app.listen(config.api.port, () => {
    logger.info({ port: config.api.port, sessions: config.wppconnect.sessions }, 'api listening');
  });
  // Webhooks carry media of up to MEDIA_MAX_BYTES × 1.4 over slow links: keep Node's defaults generous.
  server.requestTimeout = 120_000;

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    shutdownSignal.abort();
    logger.info({ signal }, 'api shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    server.close(() => {
      void Promise.allSettled([db.close(), temporal.connection.close()]).then(() => {
        logger.info('api stopped');
        process.exit(0);
      });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('api failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
