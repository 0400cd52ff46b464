import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createApp } from '../../../../api/app';
import { loadConfig, type Config, type RawEnv } from '../../../../config/config';
import { openDatabase, type Database } from '../../../../db';
import { createMediaStore, type MediaStore } from '../../../../media/store';
import { createTemporalClient } from '../../../../temporal/connection';
import { createMedicalCore } from '../../../../triage';
import { serve, type TestServer } from '../../../unit/api/support/http';

export const SESSION = 'clinic-main';
export const OPERATOR = { username: 'ana', password: 'ana-console-password', displayName: 'Dr. Ana Souza' };

export interface ConsoleEnv {
  config: Config;
  db: Database;
  mediaStore: MediaStore;
  client: Client;
  server: TestServer;
  close(): Promise<void>;
}

/**
 * The real app (createApp, with the operator repository: the console is mounted) over a real SQLite file and
 * media folder, talking to the given Temporal server the way api/main.ts does. `temporalAddress` defaults to
 * the test environment's; a closed port plays "Temporal down".
 */
export async function startConsole(
  testEnv: TestWorkflowEnvironment | undefined,
  env: RawEnv = {},
  opts: { temporalAddress?: string; now?: () => number } = {},
): Promise<ConsoleEnv> {
  const dir = mkdtempSync(path.join(tmpdir(), 'console-it-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
    TEMPORAL_ADDRESS: opts.temporalAddress ?? testEnv?.connection.options.address ?? '127.0.0.1:1',
    TEMPORAL_NAMESPACE: testEnv?.namespace ?? 'default',
    TEMPORAL_TASK_QUEUE: `console-it-${process.pid}`,
    WPPCONNECT_SESSION: SESSION,
    MEDIA_STORAGE_PATH: path.join(dir, 'media'),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const db = await openDatabase(config.databaseUrl);
  await db.operators.save(OPERATOR);
  const client = await createTemporalClient(config, {
    lazy: true,
    ...(opts.temporalAddress ? { rpcAttempts: 1 } : {}),
  });
  const mediaStore = createMediaStore({ root: config.media.storagePath, maxBytes: config.media.maxBytes });
  const app = createApp({
    config,
    logger: pino({ level: 'silent' }),
    repo: db.repo,
    temporal: client,
    medicalCore: createMedicalCore({ provider: 'rules' }),
    mediaStore,
    operators: db.operators,
    temporalRpcTimeoutMs: 2000,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const server = await serve(app);
  return {
    config,
    db,
    mediaStore,
    client,
    server,
    async close() {
      await server.close();
      await db.close();
      await client.connection.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
