/**
 * createSimulator(opts): an in-process WPPConnect Server stand-in on 127.0.0.1 (wppconnect/CONTRACT.md), for
 * tests and for `npm run simulator`. Returns its URL, the engine (`state`) and close().
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_TIMING,
  NO_FAULTS,
  SimEngine,
  type EngineOptions,
  type SimulatorFaults,
  type SimulatorTiming,
} from './engine';
import { createTokenVerifier, handleRequest, type HttpDeps } from './http';
import { htmlPage, parseBody, readBody, sendHtml, type RequestContext } from './respond';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  secretKey?: string;
  autoConnect?: boolean;
  webhookUrl?: string;
  autoDownload?: boolean;
  readMessage?: boolean;
  onSelfMessage?: boolean;
  namelessAfterReset?: boolean;
  ownNumber?: string;
  ownName?: string;
  /** Session the /__sim routes use when the body names none. */
  defaultSession?: string;
  timing?: Partial<SimulatorTiming>;
  faults?: Partial<SimulatorFaults>;
  seed?: number;
}

export interface Simulator {
  /** `http://127.0.0.1:<port>` (the API base is `${url}/api`). */
  url: string;
  port: number;
  state: SimEngine;
  close(): Promise<void>;
}

export const DEFAULT_SECRET_KEY = 'THISISMYSECURETOKEN';

export async function createSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const engineOptions: EngineOptions = {
    secretKey: opts.secretKey ?? DEFAULT_SECRET_KEY,
    autoConnect: opts.autoConnect ?? false,
    webhookUrl: opts.webhookUrl,
    autoDownload: opts.autoDownload ?? true,
    readMessage: opts.readMessage ?? true,
    onSelfMessage: opts.onSelfMessage ?? false,
    namelessAfterReset: opts.namelessAfterReset ?? true,
    ownNumber: opts.ownNumber ?? '5511999990000',
    ownName: opts.ownName ?? 'Demo Clinic',
    version: '2.10.4',
    timing: { ...DEFAULT_TIMING, ...opts.timing },
    faults: { ...NO_FAULTS, ...opts.faults },
    seed: opts.seed ?? 1,
  };
  const engine = new SimEngine(engineOptions);
  const deps: HttpDeps = {
    engine,
    verify: createTokenVerifier(engine),
    startedAt: Date.now(),
    defaultSession: opts.defaultSession ?? 'medical-assistant',
  };
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let segments: string[];
      try {
        segments = url.pathname
          .split('/')
          .filter((p) => p.length > 0)
          .map(decodeURIComponent);
      } catch {
        segments = [];
      }
      const contentType = String(req.headers['content-type'] ?? '');
      const ctx: RequestContext = {
        req,
        res,
        method: req.method ?? 'GET',
        url,
        segments,
        body: {},
        exactJson: contentType === 'application/json',
        multipart: /^multipart\/form-data/i.test(contentType),
      };
      const raw = await readBody(req);
      if (raw === null) {
        sendHtml(ctx, 413, htmlPage('PayloadTooLargeError: request entity too large'));
        return;
      }
      const parsed = parseBody(contentType, raw);
      if (!parsed.ok) {
        sendHtml(ctx, 400, htmlPage(`SyntaxError: ${parsed.error}`));
        return;
      }
      ctx.body = parsed.body;
      await handleRequest(deps, ctx);
    })().catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('simulator error');
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    state: engine,
    async close() {
      await engine.close();
      // Hanging requests (quirks and the hang fault) would keep close() waiting forever.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
