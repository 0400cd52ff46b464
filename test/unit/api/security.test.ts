import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chatsOfRequest } from '../../../api/middleware/audit';
import { throttleKey } from '../../../api/middleware/auth';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../../api/middleware/body';
import { clientAddressOf } from '../../../api/middleware/client-address';
import { describeForLog } from '../../../api/middleware/error-handler';
import { READY_CACHE_MS } from '../../../api/routes/operations';
import { openDatabase, type Database } from '../../../db';
import { DatabaseError } from 'sequelize';
import { API_KEY, unitApp, WEBHOOK_TOKEN } from './support/app';
import { serve, type TestServer } from './support/http';

const READER = 'reader-key-0123456789';
const SENDER = 'sender-key-0123456789';
const CODEC = 'codec-key-0123456789';
const OLD_TOKEN = 'old-webhook-token-1';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('jsonDepthExceeds', () => {
  it('counts nesting of objects and arrays, not brackets inside strings or escaped quotes', () => {
    expect(jsonDepthExceeds('[[[]]]', 2)).toBe(true);
    expect(jsonDepthExceeds('[[]]', 2)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":"[[[[\\"[[[["}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\\\"}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\\\","b":[[[]]]}', 3)).toBe(true);
  });

  it('reads a 22 MB body of nesting in one pass and stops at the limit', () => {
    const deep = '['.repeat(11_000_000) + ']'.repeat(11_000_000);
    expect(jsonDepthExceeds(deep, MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('clientAddressOf', () => {
  it('ignores X-Forwarded-For unless the peer is a trusted proxy', () => {
    expect(clientAddressOf([])('10.0.0.5', '1.2.3.4')).toBe('10.0.0.5');
    expect(clientAddressOf(['10.0.0.0/8'])('192.168.1.9', '1.2.3.4')).toBe('192.168.1.9');
  });

  it('walks X-Forwarded-For from the right past trusted proxies only', () => {
    const resolve = clientAddressOf(['10.0.0.0/8', '::1']);
    expect(resolve('10.0.0.5', '1.2.3.4')).toBe('1.2.3.4');
    // A client cannot hide behind a forged leftmost entry: the hop our proxy saw is the one that counts.
    expect(resolve('10.0.0.5', '6.6.6.6, 1.2.3.4')).toBe('1.2.3.4');
    expect(resolve('10.0.0.5', '1.2.3.4, 10.0.0.7')).toBe('1.2.3.4');
    expect(resolve('::ffff:10.0.0.5', '1.2.3.4')).toBe('1.2.3.4');
    expect(resolve('::1', '2001:db8::1')).toBe('2001:db8::1');
  });

  it('stops at a malformed entry, keeping the last address a trusted proxy wrote', () => {
    const resolve = clientAddressOf(['10.0.0.0/8']);
    expect(resolve('10.0.0.5', 'not-an-ip, 10.0.0.6')).toBe('10.0.0.6');
    expect(resolve('10.0.0.5', 'garbage')).toBe('10.0.0.5');
  });
});

describe('throttleKey', () => {
  it('counts IPv4 addresses one by one and IPv6 addresses by their /64 network', () => {
    expect(throttleKey('198.51.100.7')).toBe('198.51.100.7');
    expect(throttleKey('2001:db8:aa:bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
    expect(throttleKey('2001:db8:aa:bb::9')).toBe('2001:db8:aa:bb::/64');
    expect(throttleKey('2001:0DB8:00aa::')).toBe('2001:db8:aa:0::/64');
    expect(throttleKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('chatsOfRequest', () => {
  it('finds the chat of the path, the query, a send and every chat in the answer', () => {
    expect(
      chatsOfRequest(
        { params: { chatId: '5511999990001@c.us' }, query: { session: 's1', chatId: '5511999990002@c.us' } },
        { items: [{ session: 's2', chatId: '5511999990003@c.us' }], conversations: [{ chatId: '1@g.us' }] },
      ),
    ).toEqual([
      { session: 's1', chatId: '5511999990001@c.us' },
      { session: 's1', chatId: '5511999990002@c.us' },
      { session: 's2', chatId: '5511999990003@c.us' },
      { session: 's1', chatId: '1@g.us' },
    ]);
    expect(chatsOfRequest({ body: { to: '+55 11 99999-0004' } }, undefined)).toEqual([
      { session: undefined, chatId: '5511999990004@c.us' },
    ]);
    expect(chatsOfRequest(undefined, Buffer.from('png'))).toEqual([]);
  });
});

describe('describeForLog', () => {
  it('keeps only the class and driver code of a database error, never its text', () => {
    const parent = Object.assign(new Error('invalid input syntax for type integer: "chest pain since 5511999990001"'), {
      code: '22P02',
      sql: 'SELECT 1',
    });
    const described = describeForLog(new DatabaseError(parent));
    expect(described).toEqual({ errName: 'SequelizeDatabaseError', errCode: '22P02' });
  });

  it('keeps name and a clipped message of other errors', () => {
    expect(describeForLog(new Error('x'.repeat(400)))).toEqual({ errName: 'Error', errMessage: 'x'.repeat(300) });
  });
});

describe('the app under hostile requests (middleware level)', () => {
  let server: TestServer;
  let lines: Record<string, unknown>[];
  let close: () => Promise<void>;

  beforeAll(async () => {
    const built = await unitApp({
      API_KEYS: `${API_KEY},${READER}:read,${SENDER}:send,${CODEC}:codec`,
      WEBHOOK_TOKEN_PREVIOUS: OLD_TOKEN,
      AUTH_FAILURES_PER_MINUTE: '3',
      CODEC_RATE_LIMIT_PER_MINUTE: '2',
      TRUSTED_PROXIES: '127.0.0.1',
    });
    lines = built.lines;
    server = await serve(built.app);
    close = () => built.temporal.connection.close();
  });
  afterAll(async () => {
    await server.close();
    await close();
  });

  /** Each test speaks from its own client address (through the trusted loopback proxy). */
  let address = 0;
  const from = () => ({ 'x-forwarded-for': `198.51.100.${++address}` });

  describe('API key scopes', () => {
    it('lets a read key search (the request reaches validation) but not send: 403', async () => {
      const headers = { ...from(), ...bearer(READER) };
      const search = await server.request('GET', '/api/search', { headers });
      expect(search.status).toBe(400);
      expect(search.body.error.code).toBe('VALIDATION_FAILED');
      const send = await server.request('POST', '/api/messages', { headers, json: {} });
      expect(send.status).toBe(403);
      expect(send.body).toEqual({
        error: { code: 'FORBIDDEN', message: 'this API key does not have the "send" scope' },
      });
    });

    it('refuses a send key history, sessions and the codec, each with 403 naming the scope', async () => {
      const headers = { ...from(), ...bearer(SENDER) };
      const cases: [string, string, string][] = [
        ['GET', '/api/conversations', 'read'],
        ['GET', '/api/sessions/demo-session', 'admin'],
        ['POST', '/api/conversations/5511999990001/handoff', 'admin'],
        ['POST', '/codec/decode', 'codec'],
      ];
      for (const [method, url, scope] of cases) {
        const res = await server.request(method, url, { headers, json: method === 'POST' ? {} : undefined });
        expect({ url, status: res.status, body: res.body }).toEqual({
          url,
          status: 403,
          body: { error: { code: 'FORBIDDEN', message: `this API key does not have the "${scope}" scope` } },
        });
      }
    });

    it('lets a codec key use the codec server and nothing else', async () => {
      const headers = { ...from(), ...bearer(CODEC) };
      const decoded = await server.request('POST', '/codec/decode', { headers, json: { payloads: [] } });
      expect(decoded.status).toBe(200);
      expect(decoded.body).toEqual({ payloads: [] });
      expect((await server.request('GET', '/api/search?q=x', { headers })).status).toBe(403);
    });

    it('documents the scope of every API-key route in the OpenAPI document', async () => {
      const doc = (await server.request('GET', '/openapi.json')).body;
      expect(doc.paths['/api/search'].get.description).toBe('API key scope: read.');
      expect(doc.paths['/api/messages'].post.description).toContain('API key scope: send.');
      expect(doc.paths['/api/sessions/{session}/restart'].post.description).toBe('API key scope: admin.');
      expect(doc.paths['/codec/decode'].post.description).toBe('API key scope: codec.');
      expect(doc.paths['/api/search'].get.responses['403'].description).toBe('The API key lacks the read scope');
    });
  });

  describe('failed authentication is throttled per client address', () => {
    it('after AUTH_FAILURES_PER_MINUTE failures refuses even the right key with 429, other addresses unaffected', async () => {
      const attacker = from();
      for (const key of ['guess-1', 'guess-2', 'guess-3']) {
        expect(
          (await server.request('GET', '/api/search?q=x', { headers: { ...attacker, ...bearer(key) } })).status,
        ).toBe(401);
      }
      const blocked = await server.request('GET', '/api/search?q=x', { headers: { ...attacker, ...bearer(API_KEY) } });
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toBe('20');
      expect(blocked.body).toEqual({
        error: {
          code: 'AUTH_THROTTLED',
          message: 'too many failed authentications from this address; retry in 20 s',
          details: { retryAfterSeconds: 20 },
        },
      });
      // The webhook shares the throttle: token guessing from that address stops too.
      const webhook = await server.request('POST', `/api/webhook/${WEBHOOK_TOKEN}`, {
        headers: attacker,
        json: { event: 'x' },
      });
      expect(webhook.status).toBe(429);
      const other = await server.request('GET', '/api/search', { headers: { ...from(), ...bearer(API_KEY) } });
      expect(other.status).toBe(400);
    });

    it('counts an IPv6 client by its /64: changing the last bits of the address does not reset the budget', async () => {
      for (let i = 1; i <= 3; i++) {
        const headers = { 'x-forwarded-for': `2001:db8:1:2::${i}`, ...bearer(`guess-${i}`) };
        expect((await server.request('GET', '/api/search?q=x', { headers })).status).toBe(401);
      }
      const res = await server.request('GET', '/api/search?q=x', {
        headers: { 'x-forwarded-for': '2001:db8:1:2:ffff::9', ...bearer(API_KEY) },
      });
      expect(res.status).toBe(429);
      const neighbour = await server.request('GET', '/api/search', {
        headers: { 'x-forwarded-for': '2001:db8:1:3::1', ...bearer(API_KEY) },
      });
      expect(neighbour.status).toBe(400);
    });

    it('counts wrong webhook tokens the same way', async () => {
      const attacker = from();
      for (let i = 0; i < 3; i++) {
        const res = await server.request('POST', `/api/webhook/wrong-${i}`, {
          headers: attacker,
          json: { event: 'x' },
        });
        expect(res.status).toBe(401);
      }
      const res = await server.request('POST', `/api/webhook/${WEBHOOK_TOKEN}`, {
        headers: attacker,
        json: { event: 'x' },
      });
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('AUTH_THROTTLED');
    });
  });

  describe('WEBHOOK_TOKEN_PREVIOUS', () => {
    it('accepts an old token during a rotation and says so once in the log', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await server.request('POST', `/api/webhook/${OLD_TOKEN}`, {
          headers: from(),
          json: { event: 'onpresencechanged', session: 'demo-session' },
        });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ ignored: true });
      }
      const notes = lines.filter((l) => String(l.msg).includes('WEBHOOK_TOKEN_PREVIOUS'));
      expect(notes).toHaveLength(1);
      expect(JSON.stringify(notes)).not.toContain(OLD_TOKEN);
    });
  });

  describe('bodies are checked before they are parsed', () => {
    const url = `/api/webhook/${WEBHOOK_TOKEN}`;
    const event = JSON.stringify({ event: 'onpresencechanged', session: 'demo-session' });

    it('refuses a body nested deeper than 32 levels with 400 JSON_TOO_DEEP', async () => {
      const res = await server.request('POST', url, {
        headers: { ...from(), 'content-type': 'application/json' },
        raw: `{"event":"x","a":${'['.repeat(33)}${']'.repeat(33)}}`,
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: { code: 'JSON_TOO_DEEP', message: 'request body nests objects or arrays deeper than 32 levels' },
      });
    });

    it('refuses compressed bodies, non-JSON types and other charsets with 415', async () => {
      const gz = await server.request('POST', url, {
        headers: { ...from(), 'content-type': 'application/json', 'content-encoding': 'gzip' },
        raw: gzipSync(event),
      });
      expect(gz.status).toBe(415);
      expect(gz.body).toEqual({
        error: { code: 'UNSUPPORTED_ENCODING', message: 'compressed request bodies are not accepted' },
      });
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) {
        const res = await server.request('POST', url, { headers: { ...from(), 'content-type': type }, raw: event });
        expect({ type, status: res.status, body: res.body }).toEqual({
          type,
          status: 415,
          body: {
            error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the request body must be application/json in UTF-8' },
          },
        });
      }
      const utf8 = await server.request('POST', url, {
        headers: { ...from(), 'content-type': 'application/json; charset=UTF-8' },
        raw: event,
      });
      expect(utf8.status).toBe(200);
    });

    it('refuses bytes that are not UTF-8 with 400 INVALID_ENCODING', async () => {
      const res = await server.request('POST', url, {
        headers: { ...from(), 'content-type': 'application/json' },
        raw: Buffer.concat([Buffer.from('{"event":"x","a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'INVALID_ENCODING', message: 'request body is not valid UTF-8' } });
    });
  });

  describe('the codec server', () => {
    it('caps bodies at 4 MB: 413 before reading them', async () => {
      const res = await server.request('POST', '/codec/decode', {
        headers: { ...from(), ...bearer(CODEC), 'content-type': 'application/json' },
        raw: JSON.stringify({ payloads: [{ data: 'A'.repeat(4 * 1024 * 1024) }] }),
      });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({
        error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is over the limit of 4194304 bytes' },
      });
    });

    it('is rate limited on its own budget (CODEC_RATE_LIMIT_PER_MINUTE)', async () => {
      const headers = { ...from(), ...bearer(CODEC) };
      for (let i = 0; i < 2; i++) {
        expect((await server.request('POST', '/codec/encode', { headers, json: { payloads: [] } })).status).toBe(200);
      }
      const res = await server.request('POST', '/codec/encode', { headers, json: { payloads: [] } });
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('RATE_LIMITED');
    });
  });

  describe('search text and webhook fields', () => {
    it.each(['\u0000', '\u0007', '\u001b[2J', 'a\tb', '\u007f', '\u0085'])(
      'answers 400 for a control character in search text (%j)',
      async (control) => {
        const res = await server.request('GET', `/api/search?q=${encodeURIComponent(`pain${control}`)}`, {
          headers: { ...from(), ...bearer(READER) },
        });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({
          error: {
            code: 'VALIDATION_FAILED',
            message: 'request is invalid',
            details: [{ in: 'query', path: 'q', message: 'must not contain control characters', code: 'custom' }],
          },
        });
      },
    );

    const message = {
      event: 'onmessage',
      session: 'demo-session',
      id: 'false_5511999990001@c.us_3A5C1F0E2B7D4A9C8E11',
      from: '5511999990001@c.us',
      to: '5511999990000@c.us',
      type: 'chat',
      body: 'hello',
      t: 1780300000,
    };

    it.each([
      ['t', { t: 1e300 }],
      ['t', { t: -5 }],
      ['t', { t: 1780300000000 }],
      ['timestamp', { timestamp: 1.5 }],
      ['id', { id: `false_5511999990001@c.us_${'A'.repeat(300)}` }],
      ['id', { id: 'false_5511999990001@c.us_<script>' }],
      ['from', { from: `${'9'.repeat(101)}@c.us` }],
      ['chatId', { chatId: '5511999990001@c.us\u0000' }],
      ['sender.id', { sender: { id: '../../etc/passwd' } }],
    ])('answers 400 for an onmessage with an out-of-bounds %s', async (field, patch) => {
      const res = await server.request('POST', `/api/webhook/${WEBHOOK_TOKEN}`, {
        headers: from(),
        json: { ...message, ...patch },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ in: 'body', path: expect.stringMatching(new RegExp(`^${field}`)) }),
        ]),
      );
      expect(JSON.stringify(res.body)).not.toContain('AAAAAAAAAA');
    });
  });
});

describe('/health/ready', () => {
  let dir: string;
  let db: Database;
  let server: TestServer;
  let lines: Record<string, unknown>[];
  let close: () => Promise<void>;
  let pings = 0;
  let now = 1_000_000;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ready-'));
    db = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
    const repo = {
      ...db.repo,
      ping: () => {
        pings += 1;
        return db.repo.ping();
      },
    };
    const built = await unitApp({ API_KEYS: `${API_KEY},${READER}:read` }, { repo, now: () => now });
    lines = built.lines;
    server = await serve(built.app);
    close = () => built.temporal.connection.close();
  });
  afterAll(async () => {
    await server.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers anonymous callers only up or down, and a non-admin key the same', async () => {
    const anonymous = await server.request('GET', '/health/ready');
    expect(anonymous.status).toBe(503);
    expect(anonymous.body).toEqual({ status: 'not-ready' });
    const reader = await server.request('GET', '/health/ready', { headers: bearer(READER) });
    expect(reader.body).toEqual({ status: 'not-ready' });
  });

  it('runs the checks at most once per READY_CACHE_MS however often it is polled', async () => {
    now += READY_CACHE_MS;
    const before = pings;
    await Promise.all(Array.from({ length: 5 }, () => server.request('GET', '/health/ready')));
    expect(pings - before).toBe(1);
    now += READY_CACHE_MS - 1;
    await server.request('GET', '/health/ready');
    expect(pings - before).toBe(1);
    now += 1;
    await server.request('GET', '/health/ready');
    expect(pings - before).toBe(2);
  });

  it('shows an admin key each check with a reason code, never the error text, which goes to the log', async () => {
    now += READY_CACHE_MS;
    await db.close();
    const res = await server.request('GET', '/health/ready', { headers: bearer(API_KEY) });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'not-ready',
      checks: {
        database: { status: 'down', reason: 'error' },
        temporal: { status: 'down', reason: 'error' },
        wppconnect: {
          status: 'down',
          reason: 'session',
          sessions: { 'demo-session': { status: 'down', reason: 'error', state: 'UNKNOWN' } },
        },
      },
    });
    const logged = lines.filter((l) => l.msg === 'readiness check down').map((l) => l.component);
    expect(logged).toEqual(expect.arrayContaining(['database', 'temporal', 'wppconnect:demo-session']));
  });

  it('answers 401 to a wrong key rather than ignoring it', async () => {
    const res = await server.request('GET', '/health/ready', { headers: bearer('wrong') });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });
});
