/**
 * Composition root of the benchmark's direct (non-durable) receiver, run as its own process beside the
 * real API: DIRECT_PORT, DIRECT_SESSION, DATABASE_URL, WPPCONNECT_URL, WPPCONNECT_SECRET_KEY,
 * WEBHOOK_TOKEN, QUIET_WINDOW_MS. It starts its WhatsApp session on the simulator with its own webhook
 * URL, so the simulator posts that session's events here and the pipeline's to the API.
 */
import type { Server } from 'node:http';
import { openDatabase } from '../../db';
import { createMedicalCore } from '../../triage';
import { createWppConnectClient } from '../../wppconnect/client';
import { createDirectReceiver } from './receiver';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const port = Number(required('DIRECT_PORT'));
  const session = required('DIRECT_SESSION');
  const webhookToken = required('WEBHOOK_TOKEN');
  const db = await openDatabase(required('DATABASE_URL'));
  const wpp = createWppConnectClient({
    baseUrl: required('WPPCONNECT_URL'),
    secretKey: required('WPPCONNECT_SECRET_KEY'),
    timeoutMs: 10_000,
  });
  let errors = 0;
  const app = createDirectReceiver({
    repo: db.repo,
    medicalCore: createMedicalCore({ provider: 'rules' }),
    wpp,
    webhookToken,
    quietWindowMs: Number(process.env.QUIET_WINDOW_MS ?? '2000'),
    onError: (err) => {
      errors += 1;
      if (errors <= 20) process.stderr.write(`direct turn failed: ${(err as Error).message}\n`);
    },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  await wpp.startSession(session, {
    webhookUrl: `http://127.0.0.1:${port}/webhook/${encodeURIComponent(webhookToken)}`,
  });
  for (let i = 0; i < 300; i += 1) {
    if ((await wpp.getSessionStatus(session)).state === 'CONNECTED') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.stdout.write(`direct receiver on ${port}, session ${session} connected\n`);
  const stop = () => server.close(() => void db.close().then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`direct receiver failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
