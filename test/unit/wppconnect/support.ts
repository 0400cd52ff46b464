/** Shared helpers for the wppconnect tests: samples, a webhook receiver, fast simulator timing. */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { SimulatorOptions } from '../../../simulator/server';

export const SAMPLES_DIR = path.join(__dirname, '../../../wppconnect/samples');

export function sampleFiles(): string[] {
  return readdirSync(SAMPLES_DIR).sort();
}

export function sampleAs<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(SAMPLES_DIR, name), 'utf8')) as T;
}

export function sample(name: string): Record<string, unknown> {
  return sampleAs<Record<string, unknown>>(name);
}

export const FAST_TIMING: SimulatorOptions['timing'] = {
  initializeMs: 10,
  qrTimeoutMs: 5000,
  qrRotateMs: 4000,
  scanSyncMs: 10,
  connectAfterInChatMs: 10,
  ackDelaysMs: [10, 30, 50],
  logoutMs: 10,
  lookupCacheMs: 300,
};

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** Status the receiver answers with. */
  status: number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const receiver = { received, status: 200 } as Receiver;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      res.writeHead(receiver.status);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** Polls until the check passes (bounded); timing is never asserted, only the eventual state. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  // Roomy: rendering a QR PNG alone can take seconds on a loaded 2-core machine. A wait, not a timing check.
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function keys(value: unknown): string[] {
  return Object.keys(value as Record<string, unknown>).sort();
}
