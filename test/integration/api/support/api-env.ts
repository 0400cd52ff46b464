import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino, { type Logger } from 'pino';
import { createApp } from '../../../../api/app';
import { loadConfig, type Config, type RawEnv } from '../../../../config/config';
import { openDatabase, type Database } from '../../../../db';
import { createMediaStore, type MediaStore } from '../../../../media/store';
import { createTemporalClient } from '../../../../temporal/connection';
import { createPayloadCodec } from '../../../../temporal/data-converter';
import { createMedicalCore } from '../../../../triage';
import { type Json, serve, type TestServer } from '../../../unit/api/support/http';

export const API_KEY = 'integration-key';
export const WEBHOOK_TOKEN = 'integration-webhook-token';
export const SESSION = 'demo-session';

export interface ApiEnv {
  config: Config;
  db: Database;
  mediaStore: MediaStore;
  client: Client;
  server: TestServer;
  dir: string;
  close(): Promise<void>;
}

/**
 * The real app over a real SQLite file (migrated by openDatabase), a real media folder and the given
 * Temporal server, through createTemporalClient exactly as api/main.ts builds it. `temporalAddress`
 * defaults to the test environment's; pass a closed port to play "Temporal down". `opts.logger` (silent by
 * default) lets a test read what the API logs; `opts.now` is the app's clock (rate limits, readiness cache).
 */
export async function startApi(
  testEnv: TestWorkflowEnvironment | undefined,
  env: RawEnv = {},
  temporalAddress?: string,
  opts: { logger?: Logger; now?: () => number } = {},
): Promise<ApiEnv> {
  const dir = mkdtempSync(path.join(tmpdir(), 'api-it-'));
  const address = temporalAddress ?? testEnv?.connection.options.address ?? '127.0.0.1:1';
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: testEnv?.namespace ?? 'default',
    TEMPORAL_TASK_QUEUE: 'api-it',
    WPPCONNECT_SESSION: SESSION,
    API_KEYS: `${API_KEY},second-key`,
    WEBHOOK_TOKEN,
    MEDIA_STORAGE_PATH: path.join(dir, 'media'),
    MEDIA_MAX_BYTES: '20000',
    RATE_LIMIT_PER_MINUTE: '1000',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const db = await openDatabase(config.databaseUrl);
  // Against a closed port, one attempt per call: the SDK's retry timers would otherwise still be pending
  // (and throw "Channel has been shut down") when the test closes the connection right after the 503.
  const client = await createTemporalClient(config, { lazy: true, ...(temporalAddress ? { rpcAttempts: 1 } : {}) });
  const mediaStore = createMediaStore({ root: config.media.storagePath, maxBytes: config.media.maxBytes });
  const app = createApp({
    config,
    logger: opts.logger ?? pino({ level: 'silent' }),
    ...(opts.now ? { now: opts.now } : {}),
    repo: db.repo,
    temporal: client,
    medicalCore: createMedicalCore({ provider: 'rules' }),
    mediaStore,
    payloadCodec: createPayloadCodec({ current: config.temporal.payloadKey }),
    temporalRpcTimeoutMs: 3000,
  });
  const server = await serve(app);
  return {
    config,
    db,
    mediaStore,
    client,
    server,
    dir,
    async close() {
      await server.close();
      await db.close();
      await client.connection.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** null when no workflow with this id exists. */
export async function describeOrNull(client: Client, workflowId: string) {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** Ids of every workflow execution the namespace knows (visibility of the dev server). */
export async function listWorkflowIds(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list()) ids.push(wf.workflowId);
  return ids.sort();
}

/** Signals the workflow received (plain JSON payloads: tests using this run without TEMPORAL_PAYLOAD_KEY). */
export async function signalsOf(client: Client, workflowId: string): Promise<{ name: string; args: unknown[] }[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const attrs = event.workflowExecutionSignaledEventAttributes;
    if (!attrs) return [];
    return [
      {
        name: attrs.signalName ?? '',
        args: (attrs.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p)),
      },
    ];
  });
}

/** The first argument the workflow was started with. */
export async function startInputOf(client: Client, workflowId: string): Promise<unknown> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const [first] = started?.input?.payloads ?? [];
  return first ? defaultPayloadConverter.fromPayload(first) : undefined;
}

/** The WPPConnect samples kept in the repository (wppconnect/CONTRACT.md §8 lists them). */
export const SAMPLES_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'wppconnect', 'samples');

export const sample = (name: string): Record<string, Json> =>
  JSON.parse(readFileSync(path.join(SAMPLES_DIR, name), 'utf8')) as Record<string, Json>;
