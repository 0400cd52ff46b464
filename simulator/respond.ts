/** Express-like responses and request parsing shared by the API routes and the control routes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Json } from './payloads';

const MAX_BODY_BYTES = 50 * 1024 * 1024;

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  segments: string[];
  body: unknown;
  /** The request's Content-Type is exactly `application/json` (the §0.3 quirks apply). */
  exactJson: boolean;
  multipart: boolean;
}

/** Express-like JSON answer, with the session-key injection middleware's behaviour (§0.3). */
export function sendJson(ctx: RequestContext, status: number, body: unknown, injectSession?: string): void {
  let payload = body;
  if (ctx.exactJson) {
    if (typeof body !== 'object' || body === null) return; // the middleware never answers (§0.3)
    if (!Array.isArray(body) && injectSession !== undefined && !(body as Json).session) {
      payload = { ...(body as Json), session: injectSession };
    }
  }
  const text = JSON.stringify(payload);
  ctx.res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  ctx.res.end(text);
}

export function sendHtml(ctx: RequestContext, status: number, html: string): void {
  ctx.res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Content-Security-Policy': "default-src 'none'",
  });
  ctx.res.end(html);
}

export function htmlPage(message: string): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>${message}</pre>\n</body>\n</html>\n`;
}

export function notFound(ctx: RequestContext): void {
  sendHtml(ctx, 404, htmlPage(`Cannot ${ctx.method} ${ctx.url.pathname}`));
}

export async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** body-parser semantics: JSON (any charset) and urlencoded are parsed; anything else is `{}`. */
export function parseBody(
  contentType: string,
  raw: Buffer,
): { ok: true; body: unknown } | { ok: false; error: string } {
  if (/^application\/json/i.test(contentType)) {
    if (raw.length === 0) return { ok: true, body: {} };
    try {
      return { ok: true, body: JSON.parse(raw.toString('utf8')) as unknown };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }
  if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
    return { ok: true, body: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) };
  }
  return { ok: true, body: {} };
}
