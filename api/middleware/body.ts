import type { Middleware } from 'koa';
import getRawBody from 'raw-body';
import { AppError, badRequest } from '../errors';
import { stateOf } from '../route';

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
/**
 * Deepest nesting of objects and arrays a body may have. WPPConnect's events are 4 levels deep, codec
 * requests 4: 32 leaves room for growth and none for a body built to make the parser work for seconds.
 */
export const MAX_JSON_DEPTH = 32;

const tooLarge = (limitBytes: number) =>
  new AppError(413, 'PAYLOAD_TOO_LARGE', `request body is over the limit of ${limitBytes} bytes`);

/**
 * True when the JSON text nests objects/arrays deeper than `maxDepth`. One pass over the text without
 * building anything (brackets inside strings do not count), so a hostile body costs a linear scan rather
 * than seconds of JSON.parse on the event loop. Invalid JSON is left to JSON.parse.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  const tokens = /["[\]{}]/g;
  let depth = 0;
  for (let match = tokens.exec(text); match !== null; match = tokens.exec(text)) {
    const c = match[0];
    if (c === '"') {
      // Skip to the closing quote: one not preceded by an odd number of backslashes.
      let end = match.index;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end === -1) return false;
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 92) slashes += 1;
        if (slashes % 2 === 0) break;
      }
      tokens.lastIndex = end + 1;
    } else if (c === '{' || c === '[') {
      depth += 1;
      if (depth > maxDepth) return true;
    } else {
      depth -= 1;
    }
  }
  return false;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** `application/json`, `application/<x>+json`, with at most a UTF-8 charset. */
function acceptableContentType(header: string): boolean {
  const [type = '', ...params] = header.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) return false;
  return params.every((p) => !p.startsWith('charset=') || /^charset="?utf-?8"?$/.test(p));
}

/**
 * Reads a JSON body up to `limitBytes` into ctx.state.body (handlers get it only through validate()).
 * In order, before any parsing: a compressed body → 415; a Content-Type that is not JSON in UTF-8 → 415
 * (no Content-Type is read as JSON); over the limit → 413; bytes that are not UTF-8 → 400; nesting deeper
 * than `maxDepth` → 400; then not JSON → 400. (A `__proto__` key stays an own property of the parsed
 * object; zod, which reads every body, never copies it.)
 */
export function jsonBody(limitBytes: number = DEFAULT_BODY_LIMIT_BYTES, maxDepth: number = MAX_JSON_DEPTH): Middleware {
  return async (ctx, next) => {
    const encoding = ctx.get('Content-Encoding').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity') {
      throw new AppError(415, 'UNSUPPORTED_ENCODING', 'compressed request bodies are not accepted');
    }
    const contentType = ctx.get('Content-Type');
    if (contentType !== '' && !acceptableContentType(contentType)) {
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json in UTF-8');
    }
    const declared = Number(ctx.get('Content-Length') || NaN);
    if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
    let raw: Buffer;
    try {
      raw = await getRawBody(ctx.req, { limit: limitBytes });
    } catch (err) {
      if ((err as { type?: string }).type === 'entity.too.large') throw tooLarge(limitBytes);
      throw err;
    }
    let text: string;
    try {
      text = strictUtf8.decode(raw);
    } catch {
      throw badRequest('INVALID_ENCODING', 'request body is not valid UTF-8');
    }
    if (text.trim() === '') {
      stateOf(ctx).body = undefined;
    } else {
      if (jsonDepthExceeds(text, maxDepth)) {
        throw badRequest('JSON_TOO_DEEP', `request body nests objects or arrays deeper than ${maxDepth} levels`);
      }
      try {
        stateOf(ctx).body = JSON.parse(text) as unknown;
      } catch {
        throw badRequest('INVALID_JSON', 'request body is not valid JSON');
      }
    }
    await next();
  };
}
