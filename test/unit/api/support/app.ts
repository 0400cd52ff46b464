import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig, type RawEnv } from '../../../../config/config';
import { createApp } from '../../../../api/app';
import type { AppDeps } from '../../../../api/deps';
import type { IConversationRepository } from '../../../../db/types';
import type { MediaStore } from '../../../../media/store';
import type { MedicalCore } from '../../../../triage/types';
import { createTemporalClient } from '../../../../temporal/connection';

export const API_KEY = 'unit-test-key';
export const WEBHOOK_TOKEN = 'unit-webhook-token';

/** Log lines written by the app, for assertions on what is (not) logged. */
export function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** A collaborator the tested path must not reach: any use fails the request loudly. */
function unreachable<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_t, prop) => () => {
      throw new Error(`${name}.${String(prop)} must not be called in this test`);
    },
  });
}

/**
 * The real app for middleware-level unit tests. Temporal points at a closed port (lazy connection) and
 * the repository/media/medical core are not reachable: tests here stop before handlers need them.
 */
export async function unitApp(env: RawEnv = {}, overrides: Partial<AppDeps> = {}) {
  const config = loadConfig({
    NODE_ENV: 'test',
    API_KEYS: API_KEY,
    WEBHOOK_TOKEN,
    WPPCONNECT_SESSION: 'demo-session',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    MEDIA_MAX_BYTES: '1000',
    ...env,
  });
  const temporal = await createTemporalClient(config, { lazy: true });
  const { logger, lines } = captureLogger();
  const app = createApp({
    config,
    logger,
    temporal,
    repo: unreachable<IConversationRepository>('repo'),
    mediaStore: unreachable<MediaStore>('mediaStore'),
    medicalCore: unreachable<MedicalCore>('medicalCore'),
    temporalRpcTimeoutMs: 1000,
    ...overrides,
  });
  return { app, config, lines, temporal };
}
