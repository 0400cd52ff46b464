/**
 * `npm run simulator` — the WPPConnect simulator on port 21465 (docs/simulator.md).
 * Flags override environment variables: --port (PORT), --host (SIM_HOST), --secret (SECRET_KEY),
 * --webhook (WEBHOOK_URL), --auto-connect (SIM_AUTO_CONNECT=true), --on-self-message (SIM_ON_SELF_MESSAGE=true),
 * --seed (SIM_SEED),
 * --initialize-ms, --qr-timeout-ms, --qr-rotate-ms, --scan-sync-ms, --ack-delays=300,1000,2500
 * (SIM_INITIALIZE_MS, SIM_QR_TIMEOUT_MS, SIM_QR_ROTATE_MS, SIM_SCAN_SYNC_MS, SIM_ACK_DELAYS_MS),
 * --session (SIM_DEFAULT_SESSION, the session /__sim routes use by default).
 */
import { parseArgs } from 'node:util';
import type { SimulatorTiming } from './engine';
import { createSimulator, DEFAULT_SECRET_KEY } from './server';

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      secret: { type: 'string' },
      webhook: { type: 'string' },
      'auto-connect': { type: 'boolean' },
      'on-self-message': { type: 'boolean' },
      seed: { type: 'string' },
      session: { type: 'string' },
      'initialize-ms': { type: 'string' },
      'qr-timeout-ms': { type: 'string' },
      'qr-rotate-ms': { type: 'string' },
      'scan-sync-ms': { type: 'string' },
      'ack-delays': { type: 'string' },
    },
  });
  const env = process.env;
  const timing: Partial<SimulatorTiming> = {};
  const initializeMs = num(values['initialize-ms'] ?? env.SIM_INITIALIZE_MS, 'initialize-ms');
  if (initializeMs !== undefined) timing.initializeMs = initializeMs;
  const qrTimeoutMs = num(values['qr-timeout-ms'] ?? env.SIM_QR_TIMEOUT_MS, 'qr-timeout-ms');
  if (qrTimeoutMs !== undefined) timing.qrTimeoutMs = qrTimeoutMs;
  const qrRotateMs = num(values['qr-rotate-ms'] ?? env.SIM_QR_ROTATE_MS, 'qr-rotate-ms');
  if (qrRotateMs !== undefined) timing.qrRotateMs = qrRotateMs;
  const scanSyncMs = num(values['scan-sync-ms'] ?? env.SIM_SCAN_SYNC_MS, 'scan-sync-ms');
  if (scanSyncMs !== undefined) timing.scanSyncMs = scanSyncMs;
  const ackDelays = values['ack-delays'] ?? env.SIM_ACK_DELAYS_MS;
  if (ackDelays) {
    const parts = ackDelays.split(',').map((p) => num(p.trim(), 'ack-delays') ?? 0);
    if (parts.length !== 3) throw new Error('ack-delays must be three comma-separated numbers');
    timing.ackDelaysMs = [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
  }

  const sim = await createSimulator({
    port: num(values.port ?? env.PORT, 'port') ?? 21465,
    host: values.host ?? env.SIM_HOST ?? '127.0.0.1',
    secretKey: values.secret ?? env.SECRET_KEY ?? DEFAULT_SECRET_KEY,
    webhookUrl: values.webhook ?? env.WEBHOOK_URL,
    autoConnect: values['auto-connect'] ?? env.SIM_AUTO_CONNECT === 'true',
    onSelfMessage: values['on-self-message'] ?? env.SIM_ON_SELF_MESSAGE === 'true',
    seed: num(values.seed ?? env.SIM_SEED, 'seed'),
    defaultSession: values.session ?? env.SIM_DEFAULT_SESSION,
    timing,
  });
  process.stdout.write(`WPPConnect simulator listening on ${sim.url} (API base ${sim.url}/api)\n`);

  const shutdown = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
