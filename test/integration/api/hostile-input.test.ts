import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { apiKeyId } from '../../../api/middleware/auth';
import { createDevServerEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../../helpers/temporal';
import type { Json, TestResponse } from '../../unit/api/support/http';
import {
  API_KEY,
  type ApiEnv,
  describeOrNull,
  listWorkflowIds,
  SESSION,
  startApi,
  WEBHOOK_TOKEN,
} from './support/api-env';

/**
 * The hostile-input suite (issue 13): crafted requests against the running app — real HTTP, a real SQLite
 * database, a real media folder and a real Temporal dev server. Each answer is checked exactly, and so is
 * the world after it: the same workflows with the same history lengths (nothing started or signalled; the
 * API never calls WPPConnect itself, so nothing can be sent without a workflow), the same rows in every
 * table, the same files in the media folder.
 */

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

const READER = `reader-${randomBytes(8).toString('hex')}`;
const SENDER = `sender-${randomBytes(8).toString('hex')}`;
const CODEC = `codec-${randomBytes(8).toString('hex')}`;
const CHAT = '5511999990001@c.us';
const MEDIA_MAX_BYTES = 20_000;
const BODY_LIMIT = Math.ceil(MEDIA_MAX_BYTES * 1.4);
const webhook = `/api/webhook/${WEBHOOK_TOKEN}`;

let testEnv: TestWorkflowEnvironment;
let api: ApiEnv;
const logLines: Record<string, unknown>[] = [];

/** Every request speaks from its own client address (loopback is the trusted proxy), so budgets never mix. */
let nextAddress = 0;
const fresh = () => ({ 'x-forwarded-for': `203.0.113.${(nextAddress = (nextAddress % 250) + 1)}` });

interface Attempt {
  method: string;
  path: string;
  headers?: Record<string, string>;
  json?: unknown;
  raw?: string | Buffer;
}

const send = (a: Attempt): Promise<TestResponse> =>
  api.server.request(a.method, a.path, {
    headers: { ...fresh(), ...(a.headers ?? {}) },
    ...(a.json !== undefined ? { json: a.json } : {}),
    ...(a.raw !== undefined ? { raw: a.raw } : {}),
  });

/** A body of unknown length (Transfer-Encoding: chunked), which the Content-Length check cannot see. */
function sendChunked(urlPath: string, chunks: Buffer[]): Promise<{ status: number; body: Json }> {
  const url = new URL(api.server.url + urlPath);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...fresh() },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()) }),
        );
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** What a hostile request must not change. */
async function world(): Promise<Record<string, unknown>> {
  const workflows: Record<string, number> = {};
  for (const id of await listWorkflowIds(api.client)) {
    const history = await api.client.workflow.getHandle(id).fetchHistory();
    workflows[id] = history.events?.length ?? 0;
  }
  const tables: Record<string, string> = {};
  const qi = api.db.sequelize.getQueryInterface();
  for (const table of await qi.showAllTables()) {
    const [rows] = await api.db.sequelize.query(`SELECT * FROM ${qi.quoteIdentifier(table)}`);
    tables[table] = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  }
  let files: string[] = [];
  try {
    files = (readdirSync(api.config.media.storagePath, { recursive: true }) as string[]).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { workflows, tables, files };
}

const error = (code: string, message: string) => ({ error: { code, message } });
const invalid = (...details: { in: string; path: string; code?: string }[]) => ({
  error: {
    code: 'VALIDATION_FAILED',
    message: 'request is invalid',
    details: details.map((d) => ({ in: d.in, path: d.path, message: expect.any(String), code: d.code ?? 'custom' })),
  },
});

const message = {
  event: 'onmessage',
  session: SESSION,
  id: 'false_5511999990001@c.us_3A5C1F0E2B7D4A9C8E99',
  from: CHAT,
  to: '5511999990000@c.us',
  type: 'chat',
  body: 'hello',
  t: 1780300000,
};
const jpegBase64 = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]).toString('base64');
const pdfBase64 = Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n').toString('base64');
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const json = { 'content-type': 'application/json' };
const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

beforeAll(async () => {
  testEnv = await createDevServerEnv();
  const capture = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logLines.push(JSON.parse(line));
      cb();
    },
  });
  api = await startApi(
    testEnv,
    {
      API_KEYS: `${API_KEY},${READER}:read,${SENDER}:send,${CODEC}:codec`,
      TEMPORAL_PAYLOAD_KEY: randomBytes(32).toString('base64'),
      TRUSTED_PROXIES: '127.0.0.1',
      AUTH_FAILURES_PER_MINUTE: '5',
      MEDIA_MAX_BYTES: String(MEDIA_MAX_BYTES),
    },
    undefined,
    { logger: pino({ level: 'info' }, capture) },
  );
  // Something to protect: a recorded conversation and its running workflow.
  await api.db.repo.logMessage({
    session: SESSION,
    chatId: CHAT,
    messageId: 'false_5511999990001@c.us_SEEDED0001',
    timestamp: new Date('2026-06-01T10:00:00Z'),
    direction: 'inbound',
    senderType: 'patient',
    messageType: 'text',
    content: 'I have chest pain since this morning',
    deliveryStatus: 'received',
  });
  const started = await send({ method: 'POST', path: webhook, json: message });
  expect(started.status).toBe(202);
});
afterAll(async () => {
  await api?.close();
  await testEnv?.teardown();
});

interface Case extends Attempt {
  name: string;
  status: number;
  body: unknown;
}

const cases: Case[] = [
  // ---- authentication and scopes
  {
    name: 'no API key',
    method: 'GET',
    path: `/api/conversations/${CHAT}/messages`,
    status: 401,
    body: error('UNAUTHORIZED', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)'),
  },
  {
    name: 'a wrong API key',
    method: 'GET',
    path: '/api/conversations',
    headers: bearer(`${API_KEY}x`),
    status: 401,
    body: error('UNAUTHORIZED', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)'),
  },
  {
    name: 'the API key in the query string (keys never travel in URLs)',
    method: 'GET',
    path: `/api/conversations?api_key=${API_KEY}&key=${API_KEY}`,
    status: 401,
    body: error('UNAUTHORIZED', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)'),
  },
  {
    name: 'Basic authentication with the key as password',
    method: 'GET',
    path: '/api/conversations',
    headers: { authorization: `Basic ${Buffer.from(`x:${API_KEY}`).toString('base64')}` },
    status: 401,
    body: error('UNAUTHORIZED', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)'),
  },
  {
    name: 'a read key sending a message',
    method: 'POST',
    path: '/api/messages',
    headers: { ...bearer(READER), 'idempotency-key': 'scope-1' },
    json: { to: '5511999990001', type: 'text', text: 'hi' },
    status: 403,
    body: error('FORBIDDEN', 'this API key does not have the "send" scope'),
  },
  {
    name: 'a send key linking a patient record',
    method: 'PUT',
    path: `/api/conversations/${CHAT}/patient`,
    headers: bearer(SENDER),
    json: { patientId: 'p-1' },
    status: 403,
    body: error('FORBIDDEN', 'this API key does not have the "admin" scope'),
  },
  {
    name: 'a codec key reading history',
    method: 'GET',
    path: `/api/conversations/${CHAT}/messages`,
    headers: bearer(CODEC),
    status: 403,
    body: error('FORBIDDEN', 'this API key does not have the "read" scope'),
  },
  {
    name: 'a read key restarting the session',
    method: 'POST',
    path: `/api/sessions/${SESSION}/restart`,
    headers: bearer(READER),
    status: 403,
    body: error('FORBIDDEN', 'this API key does not have the "admin" scope'),
  },
  {
    name: 'a webhook without a token',
    method: 'POST',
    path: '/api/webhook',
    json: { ...message, id: 'false_5511999990001@c.us_NOTOKEN1' },
    status: 401,
    body: error('UNAUTHORIZED', 'webhook token is missing or wrong'),
  },
  {
    name: 'a webhook token in another case',
    method: 'POST',
    path: `/api/webhook/${WEBHOOK_TOKEN.toUpperCase()}`,
    json: { ...message, id: 'false_5511999990001@c.us_UPPER0001' },
    status: 401,
    body: error('UNAUTHORIZED', 'webhook token is missing or wrong'),
  },
  {
    name: 'an API key used as the webhook token',
    method: 'POST',
    path: `/api/webhook?token=${API_KEY}`,
    json: { ...message, id: 'false_5511999990001@c.us_APIKEY001' },
    status: 401,
    body: error('UNAUTHORIZED', 'webhook token is missing or wrong'),
  },
  // ---- sizes
  {
    name: 'a webhook body over MEDIA_MAX_BYTES × 1.4',
    method: 'POST',
    path: webhook,
    json: { ...message, id: 'false_5511999990001@c.us_BIG000001', body: 'x'.repeat(BODY_LIMIT) },
    status: 413,
    body: error('PAYLOAD_TOO_LARGE', `request body is over the limit of ${BODY_LIMIT} bytes`),
  },
  {
    name: 'media over MEDIA_MAX_BYTES inside a body under the limit',
    method: 'POST',
    path: webhook,
    json: {
      ...message,
      id: 'false_5511999990001@c.us_BIGMEDIA1',
      type: 'image',
      mimetype: 'image/jpeg',
      body: Buffer.alloc(MEDIA_MAX_BYTES + 3, 1).toString('base64'),
    },
    status: 413,
    body: error(
      'MEDIA_TOO_LARGE',
      `media of ${MEDIA_MAX_BYTES + 3} bytes is over the limit of ${MEDIA_MAX_BYTES} bytes`,
    ),
  },
  {
    name: 'a 64 KiB + 1 body on a small route',
    method: 'PUT',
    path: `/api/conversations/${CHAT}/patient`,
    headers: { ...bearer(API_KEY), ...json },
    raw: JSON.stringify({ patientId: 'x'.repeat(64 * 1024) }),
    status: 413,
    body: error('PAYLOAD_TOO_LARGE', 'request body is over the limit of 65536 bytes'),
  },
  {
    name: 'a codec request over 4 MB',
    method: 'POST',
    path: '/codec/decode',
    headers: { ...bearer(CODEC), ...json },
    raw: JSON.stringify({ payloads: [{ data: 'QUFB'.repeat(1024 * 1024 + 1) }] }),
    status: 413,
    body: error('PAYLOAD_TOO_LARGE', 'request body is over the limit of 4194304 bytes'),
  },
  // ---- nesting depth
  {
    name: 'a webhook nested 33 levels deep',
    method: 'POST',
    path: webhook,
    headers: json,
    raw: `{"event":"onmessage","x":${deep(33)}}`,
    status: 400,
    body: error('JSON_TOO_DEEP', 'request body nests objects or arrays deeper than 32 levels'),
  },
  {
    name: 'a send nested 1,000 levels deep inside its text field',
    method: 'POST',
    path: '/api/messages',
    headers: { ...bearer(SENDER), ...json, 'idempotency-key': 'deep-1' },
    raw: `{"to":"5511999990001","type":"text","text":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`,
    status: 400,
    body: error('JSON_TOO_DEEP', 'request body nests objects or arrays deeper than 32 levels'),
  },
  {
    name: 'a codec request nested 33 levels deep',
    method: 'POST',
    path: '/codec/decode',
    headers: { ...bearer(CODEC), ...json },
    raw: `{"payloads":${deep(33)}}`,
    status: 400,
    body: error('JSON_TOO_DEEP', 'request body nests objects or arrays deeper than 32 levels'),
  },
  // ---- encodings
  {
    name: 'a gzip-compressed webhook',
    method: 'POST',
    path: webhook,
    headers: { ...json, 'content-encoding': 'gzip' },
    raw: gzipSync(JSON.stringify({ ...message, id: 'false_5511999990001@c.us_GZIP00001' })),
    status: 415,
    body: error('UNSUPPORTED_ENCODING', 'compressed request bodies are not accepted'),
  },
  {
    name: 'a webhook sent as a form',
    method: 'POST',
    path: webhook,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    raw: 'event=onmessage&id=x',
    status: 415,
    body: error('UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json in UTF-8'),
  },
  {
    name: 'a webhook in UTF-16',
    method: 'POST',
    path: webhook,
    headers: { 'content-type': 'application/json; charset=utf-16le' },
    raw: Buffer.from(JSON.stringify({ ...message, id: 'false_5511999990001@c.us_UTF16001' }), 'utf16le'),
    status: 415,
    body: error('UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json in UTF-8'),
  },
  {
    name: 'a webhook whose bytes are not UTF-8 (overlong encoding of "/")',
    method: 'POST',
    path: webhook,
    headers: json,
    raw: Buffer.concat([
      Buffer.from(JSON.stringify({ ...message, id: 'false_5511999990001@c.us_OVERLONG1', body: 'a' }).slice(0, -2)),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from('"}'),
    ]),
    status: 400,
    body: error('INVALID_ENCODING', 'request body is not valid UTF-8'),
  },
  {
    name: 'a truncated JSON body',
    method: 'POST',
    path: webhook,
    headers: json,
    raw: JSON.stringify(message).slice(0, 40),
    status: 400,
    body: error('INVALID_JSON', 'request body is not valid JSON'),
  },
  // ---- ids and times
  {
    name: 'a message id of 300 characters',
    method: 'POST',
    path: webhook,
    json: { ...message, id: `false_5511999990001@c.us_${'A'.repeat(275)}` },
    status: 400,
    body: invalid({ in: 'body', path: 'id' }),
  },
  {
    name: 'a message id with a path and a script in it',
    method: 'POST',
    path: webhook,
    json: { ...message, id: 'false_../../<script>alert(1)</script>' },
    status: 400,
    body: invalid({ in: 'body', path: 'id' }),
  },
  {
    name: 'a chat id with a NUL',
    method: 'POST',
    path: webhook,
    json: { ...message, id: 'false_5511999990001@c.us_NUL000001', from: '5511999990001@c.us\u0000' },
    status: 400,
    body: invalid({ in: 'body', path: 'from' }),
  },
  {
    name: 'a message time of 1e300',
    method: 'POST',
    path: webhook,
    json: { ...message, id: 'false_5511999990001@c.us_T1E300001', t: 1e300 },
    status: 400,
    // Not a safe integer, and past 2100.
    body: invalid({ in: 'body', path: 't' }, { in: 'body', path: 't' }),
  },
  {
    name: 'an ack of a forged message key',
    method: 'POST',
    path: webhook,
    json: {
      event: 'onack',
      session: SESSION,
      ack: 3,
      id: { fromMe: true, remote: CHAT, id: 'X', _serialized: 'true_;DROP' },
    },
    status: 400,
    body: invalid({ in: 'body', path: 'id._serialized' }),
  },
  {
    name: 'a chat id that walks up the file system',
    method: 'GET',
    path: '/api/conversations/..%2F..%2Fetc%2Fpasswd/messages',
    headers: bearer(READER),
    status: 400,
    body: invalid({ in: 'params', path: 'chatId' }),
  },
  {
    name: 'a request id with SQL in it',
    method: 'GET',
    path: `/api/messages/${encodeURIComponent("req_1' OR '1'='1")}`,
    headers: bearer(SENDER),
    status: 400,
    body: invalid({ in: 'params', path: 'requestId', code: 'invalid_format' }),
  },
  {
    name: 'an Idempotency-Key with a space and a tab',
    method: 'POST',
    path: '/api/messages',
    headers: { ...bearer(SENDER), 'idempotency-key': 'a b\tc' },
    json: { to: '5511999990001', type: 'text', text: 'hi' },
    status: 400,
    body: invalid({ in: 'headers', path: 'idempotency-key', code: 'invalid_format' }),
  },
  {
    name: 'an event for a session not configured here',
    method: 'POST',
    path: webhook,
    json: { ...message, id: 'false_5511999990001@c.us_OTHERSES1', session: 'someone-else' },
    status: 400,
    body: error('UNKNOWN_SESSION', 'the event is for a session not configured here'),
  },
  // ---- search text
  {
    name: 'search text with a NUL',
    method: 'GET',
    path: `/api/search?q=${encodeURIComponent('chest\u0000pain')}`,
    headers: bearer(READER),
    status: 400,
    body: invalid({ in: 'query', path: 'q' }),
  },
  {
    name: 'search text with an ANSI escape',
    method: 'GET',
    path: `/api/search?q=${encodeURIComponent('\u001b[31mpain')}`,
    headers: bearer(READER),
    status: 400,
    body: invalid({ in: 'query', path: 'q' }),
  },
  {
    name: 'search text that is SQL',
    method: 'GET',
    path: `/api/search?q=${encodeURIComponent("' OR 1=1 --")}`,
    headers: bearer(READER),
    status: 200,
    body: { total: 0, limit: 20, offset: 0, items: [] },
  },
  {
    name: 'search text made of full-text operators',
    method: 'GET',
    path: `/api/search?q=${encodeURIComponent('chest* OR NEAR(pain morning) content:pain')}`,
    headers: bearer(READER),
    status: 200,
    body: { total: 0, limit: 20, offset: 0, items: [] },
  },
  {
    name: 'a page size of 100,000',
    method: 'GET',
    path: '/api/search?q=pain&limit=100000&offset=-1',
    headers: bearer(READER),
    status: 400,
    body: invalid({ in: 'query', path: 'limit', code: 'too_big' }, { in: 'query', path: 'offset', code: 'too_small' }),
  },
  // ---- media types and names
  {
    name: 'a webhook image that is an executable',
    method: 'POST',
    path: webhook,
    json: {
      ...message,
      id: 'false_5511999990001@c.us_EXE000001',
      type: 'document',
      mimetype: 'application/x-msdownload',
      body: jpegBase64,
    },
    status: 400,
    body: error('MEDIA_TYPE_NOT_ALLOWED', 'media type application/x-msdownload is not accepted'),
  },
  {
    name: 'a webhook image whose bytes are not base64',
    method: 'POST',
    path: webhook,
    json: {
      ...message,
      id: 'false_5511999990001@c.us_NOTB64001',
      type: 'image',
      mimetype: 'image/jpeg',
      body: '../../etc/passwd',
    },
    status: 400,
    body: error('MEDIA_INVALID', 'media is not valid base64'),
  },
  {
    name: 'an image message carrying a PDF',
    method: 'POST',
    path: '/api/messages',
    headers: { ...bearer(SENDER), 'idempotency-key': 'media-1' },
    json: { to: '5511999990001', type: 'image', mediaBase64: pdfBase64 },
    status: 400,
    body: error('MEDIA_TYPE_NOT_ALLOWED', 'an image message needs an image, got application/pdf'),
  },
  {
    name: 'a document declared as HTML',
    method: 'POST',
    path: '/api/messages',
    headers: { ...bearer(SENDER), 'idempotency-key': 'media-2' },
    json: { to: '5511999990001', type: 'document', mediaBase64: pdfBase64, mimetype: 'text/html' },
    status: 400,
    body: error('MEDIA_TYPE_NOT_ALLOWED', 'media type text/html is not accepted'),
  },
  {
    name: 'a document name with control characters',
    method: 'POST',
    path: '/api/messages',
    headers: { ...bearer(SENDER), 'idempotency-key': 'media-3' },
    json: { to: '5511999990001', type: 'document', mediaBase64: pdfBase64, filename: 'report\u0000.pdf\u001b[2J' },
    status: 400,
    body: invalid({ in: 'body', path: 'filename' }),
  },
  // ---- codec payloads
  {
    name: 'codec payload data that is not base64',
    method: 'POST',
    path: '/codec/decode',
    headers: bearer(CODEC),
    json: { payloads: [{ metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==' }, data: '<html>' }] },
    status: 400,
    body: invalid({ in: 'body', path: 'payloads.0.data', code: 'invalid_format' }),
  },
  {
    name: 'more than 1000 codec payloads',
    method: 'POST',
    path: '/codec/decode',
    headers: bearer(CODEC),
    json: { payloads: Array.from({ length: 1001 }, () => ({ data: 'AA==' })) },
    status: 400,
    body: invalid({ in: 'body', path: 'payloads', code: 'too_big' }),
  },
  {
    name: 'an "encrypted" payload of garbage',
    method: 'POST',
    path: '/codec/decode',
    headers: bearer(CODEC),
    json: {
      payloads: [
        {
          metadata: {
            encoding: Buffer.from('binary/encrypted').toString('base64'),
            'encryption-key-id': Buffer.from('sha256:0000000000000000').toString('base64'),
          },
          data: randomBytes(64).toString('base64'),
        },
      ],
    },
    status: 400,
    body: { error: { code: 'CODEC_FAILED', message: expect.stringContaining('sha256:0000000000000000') } },
  },
  // ---- events we do not know
  {
    name: 'an unknown event with a 300-character name',
    method: 'POST',
    path: webhook,
    json: { event: `x${'y'.repeat(299)}`, session: SESSION, id: 'whatever' },
    status: 200,
    body: { ignored: true },
  },
  {
    name: 'an event named __proto__',
    method: 'POST',
    path: webhook,
    json: { event: '__proto__', session: SESSION, fromMe: true },
    status: 200,
    body: { ignored: true },
  },
];

describe('hostile requests get their exact safe answer and change nothing', () => {
  it('has at least 30 crafted requests', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$name: $status', async (c) => {
    const before = await world();
    const res = await send(c);
    expect({ status: res.status, body: res.body }).toEqual({ status: c.status, body: c.body });
    expect(await world()).toEqual(before);
  });

  it('a chunked body over the limit is cut off at the limit: 413, nothing staged or started', async () => {
    const before = await world();
    const head = Buffer.from(
      `{"event":"onmessage","session":"${SESSION}","id":"false_5511999990001@c.us_CHUNKED01","body":"`,
    );
    const res = await sendChunked(webhook, [head, ...Array.from({ length: 8 }, () => Buffer.alloc(4096, 0x41))]);
    expect(res).toEqual({
      status: 413,
      body: error('PAYLOAD_TOO_LARGE', `request body is over the limit of ${BODY_LIMIT} bytes`),
    });
    expect(await world()).toEqual(before);
  });

  it('repeated failed authentication from one address is refused before any key is checked', async () => {
    const before = await world();
    const address = { 'x-forwarded-for': '198.51.100.77' };
    for (let i = 0; i < 5; i++) {
      const res = await api.server.request('GET', '/api/search?q=pain', {
        headers: { ...address, ...bearer(`guess-${i}`) },
      });
      expect(res.status).toBe(401);
    }
    const right = await api.server.request('GET', '/api/search?q=pain', {
      headers: { ...address, ...bearer(API_KEY) },
    });
    expect(right.status).toBe(429);
    expect(right.body).toEqual({
      error: {
        code: 'AUTH_THROTTLED',
        message: 'too many failed authentications from this address; retry in 12 s',
        details: { retryAfterSeconds: 12 },
      },
    });
    const webhookTry = await api.server.request('POST', webhook, {
      headers: address,
      json: { ...message, id: 'false_5511999990001@c.us_THROTTLE1' },
    });
    expect(webhookTry.status).toBe(429);
    expect(await describeOrNull(api.client, `inbound:${SESSION}:false_5511999990001@c.us_THROTTLE1`)).toBeNull();
    expect(await world()).toEqual(before);
  });

  it('(the world check is not vacuous: an accepted message does change it)', async () => {
    const before = await world();
    const res = await send({
      method: 'POST',
      path: webhook,
      json: { ...message, id: 'false_5511999990001@c.us_CONTROL01' },
    });
    expect(res.status).toBe(202);
    expect(await world()).not.toEqual(before);
  });

  it('unknown event names are counted under one "other" label: /metrics cannot be grown from outside', async () => {
    const metrics = await api.server.request('GET', '/metrics');
    expect(metrics.text).toContain('webhook_events_total{event="other",outcome="ignored"}');
    expect(metrics.text).not.toContain('yyyyyyyyyy');
    expect(metrics.text).not.toContain('__proto__');
  });
});

describe('what a key reads is on record', () => {
  it('reading a chat writes an audit line with the key id, the route and the chat pseudonym, no phone number', async () => {
    const res = await api.server.request('GET', `/api/conversations/${CHAT}/messages`, {
      headers: { ...bearer(READER), 'x-request-id': 'audit-check-1' },
    });
    expect(res.status).toBe(200);
    expect(res.body.messages).toHaveLength(1);
    const [line] = logLines.filter((l) => l.audit === 'data-access' && l.requestId === 'audit-check-1');
    expect(line).toMatchObject({
      msg: 'data access',
      keyId: apiKeyId(READER),
      method: 'GET',
      route: '/api/conversations/:chatId/messages',
      status: 200,
      chats: [expect.any(String)],
    });
    expect(JSON.stringify(logLines)).not.toContain('5511999990001');
    expect(JSON.stringify(logLines)).not.toContain(READER);
  });

  it('a refused read is on record too', async () => {
    await api.server.request('GET', '/api/search?q=pain', {
      headers: { ...bearer(CODEC), 'x-request-id': 'audit-check-2' },
    });
    const [line] = logLines.filter((l) => l.audit === 'data-access' && l.requestId === 'audit-check-2');
    expect(line).toMatchObject({ keyId: apiKeyId(CODEC), route: '/api/search', status: 403 });
  });
});

describe('the readiness probe', () => {
  it('tells an anonymous caller only that the API is not ready, with no error text', async () => {
    const res = await api.server.request('GET', '/health/ready');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not-ready' });
  });
});
