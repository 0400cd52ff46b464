/**
 * Pieces the whole-system test rigs share (test/helpers/pipeline.ts, test/e2e/support/system.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface LateAppServer {
  server: Server;
  url: string;
  /** The app, once its configuration (which needs `url`, e.g. PUBLIC_URL) exists; 503 until then. */
  attach(handler: RequestHandler): void;
  close(): Promise<void>;
}

/** The app's port must be known before the configuration exists: listen first, attach the app later. */
export async function listenForLateApp(): Promise<LateAppServer> {
  let handle: RequestHandler | undefined;
  const server = createServer((req, res) => {
    if (handle) void handle(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attach(handler) {
      handle = handler;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Polls `check` every 50 ms until it returns something truthy, or fails naming `what`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
