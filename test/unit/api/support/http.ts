import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

/** Parsed JSON: its shape is what the assertions check. */
export type Json = ReturnType<typeof JSON.parse>;

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON when the answer is JSON, else undefined. */
  body: Json;
}

export interface TestServer {
  url: string;
  request(
    method: string,
    path: string,
    opts?: { json?: unknown; raw?: string | Buffer; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  close(): Promise<void>;
}

/** Serves app.callback() on an ephemeral loopback port and talks to it with fetch. */
export async function serve(app: Koa): Promise<TestServer> {
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      let body: string | Buffer | undefined = opts.raw;
      if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${url}${path}`, { method, headers, body });
      const text = await res.text();
      const isJson = (res.headers.get('content-type') ?? '').includes('json');
      return {
        status: res.status,
        headers: res.headers,
        text,
        body: isJson && text !== '' ? JSON.parse(text) : undefined,
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
