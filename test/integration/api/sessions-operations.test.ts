import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { READY_CACHE_MS } from '../../../api/routes/operations';
import { bundleWorkflows, createDevServerEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../../helpers/temporal';
import { API_KEY, type ApiEnv, sample, SESSION, signalsOf, startApi, WEBHOOK_TOKEN } from './support/api-env';
import type { Json } from '../../unit/api/support/http';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

let testEnv: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let api: ApiEnv;
let worker: Worker;
let running: Promise<void>;
const auth = { authorization: `Bearer ${API_KEY}` };
const KEEPER = `session-keeper:${SESSION}`;
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(32, 3)]);
/** The app's clock: readiness is computed at most once per READY_CACHE_MS, so tests move it past that. */
let clock = Date.now();
const nextReadiness = () => {
  clock += READY_CACHE_MS;
};

beforeAll(async () => {
  [testEnv, bundle] = await Promise.all([
    createDevServerEnv(),
    bundleWorkflows(path.join(__dirname, 'support', 'keeper-workflow.ts')),
  ]);
  api = await startApi(testEnv, {}, undefined, { now: () => clock });
  worker = await Worker.create({
    connection: testEnv.nativeConnection,
    namespace: testEnv.namespace ?? 'default',
    taskQueue: api.config.temporal.taskQueue,
    workflowBundle: bundle,
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await api?.close();
  await testEnv?.teardown();
});

describe('sessions', () => {
  it('GET /api/sessions/:session is 503 KEEPER_NOT_RUNNING before any keeper exists', async () => {
    const res = await api.server.request('GET', `/api/sessions/${SESSION}`, { headers: auth });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: { code: 'KEEPER_NOT_RUNNING', message: 'the session keeper workflow is not running' },
    });
  });

  it('POST .../restart with no keeper running signal-with-starts one with restart-requested: 202', async () => {
    const res = await api.server.request('POST', `/api/sessions/${SESSION}/restart`, { headers: auth });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ session: SESSION, workflowId: KEEPER, requested: true, outcome: 'keeper-started' });
    expect(await signalsOf(api.client, KEEPER)).toEqual([
      { name: 'sessionEvent', args: [{ type: 'restart-requested', by: expect.stringMatching(/^api:[0-9a-f]{12}$/) }] },
    ]);
  });

  it('GET /api/sessions/:session returns the keeper status (query)', async () => {
    const res = await api.server.request('GET', `/api/sessions/${SESSION}`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      session: SESSION,
      state: 'QRCODE',
      since: '2026-01-01T00:00:00.000Z',
      restarts: 1,
      qrAvailable: true,
      catchUpStarted: 0,
      continuedAsNew: 0,
      stuck: false,
    });
  });

  it('POST .../restart to a running keeper reports what it did (its restartSession update): 200', async () => {
    const res = await api.server.request('POST', `/api/sessions/${SESSION}/restart`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      session: SESSION,
      workflowId: KEEPER,
      requested: true,
      outcome: 'restarted',
      close: 'closed',
      start: 'requested',
      state: 'QRCODE',
    });
    const status = await api.server.request('GET', `/api/sessions/${SESSION}`, { headers: auth });
    expect(status.body).toMatchObject({ restarts: 2 });
  });

  it('GET .../qr serves the stored QR as image/png while the keeper says one is available', async () => {
    const none = await api.server.request('GET', `/api/sessions/${SESSION}/qr`, { headers: auth });
    expect(none.status).toBe(404);
    expect(none.body).toEqual({
      error: { code: 'NO_QR_CODE', message: 'no QR code is available for this session now' },
    });
    await api.mediaStore.saveQr(SESSION, PNG);
    const res = await fetch(`${api.server.url}/api/sessions/${SESSION}/qr`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('/health/ready is 503 while the session is not CONNECTED; only an admin key learns why', async () => {
    nextReadiness();
    const anonymous = await api.server.request('GET', '/health/ready');
    expect(anonymous.status).toBe(503);
    expect(anonymous.body).toEqual({ status: 'not-ready' });
    const res = await api.server.request('GET', '/health/ready', { headers: auth });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'not-ready',
      checks: {
        database: { status: 'up' },
        temporal: { status: 'up' },
        wppconnect: {
          status: 'down',
          reason: 'session',
          sessions: { [SESSION]: { status: 'down', reason: 'state', state: 'QRCODE' } },
        },
      },
    });
  });

  it('after status-find inChat (webhook), the session is CONNECTED: /health/ready 200 and no QR any more', async () => {
    const hook = await api.server.request('POST', `/api/webhook/${WEBHOOK_TOKEN}`, {
      json: sample('webhook-status-find.json'),
    });
    expect(hook.status).toBe(200);
    nextReadiness();
    const ready = await api.server.request('GET', '/health/ready', { headers: auth });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: {
        database: { status: 'up' },
        temporal: { status: 'up' },
        wppconnect: { status: 'up', sessions: { [SESSION]: { status: 'up', state: 'CONNECTED' } } },
      },
    });
    const qr = await api.server.request('GET', `/api/sessions/${SESSION}/qr`, { headers: auth });
    expect(qr.status).toBe(404);
  });

  it('a session that is not configured: 404 on every session route; 401 without a key', async () => {
    for (const [method, suffix] of [
      ['GET', ''],
      ['GET', '/qr'],
      ['POST', '/restart'],
    ] as const) {
      const res = await api.server.request(method, `/api/sessions/other-session${suffix}`, { headers: auth });
      expect([res.status, res.body]).toEqual([
        404,
        { error: { code: 'NOT_FOUND', message: 'session is not configured' } },
      ]);
      expect((await api.server.request(method, `/api/sessions/${SESSION}${suffix}`)).status).toBe(401);
    }
    const bad = await api.server.request('GET', '/api/sessions/bad%20name', { headers: auth });
    expect(bad.status).toBe(400);
  });

  it('with Temporal unreachable: session routes and readiness answer 503', async () => {
    const down = await startApi(undefined, {}, '127.0.0.1:1');
    try {
      const status = await down.server.request('GET', `/api/sessions/${SESSION}`, { headers: auth });
      expect([status.status, status.body.error.code]).toEqual([503, 'TEMPORAL_UNAVAILABLE']);
      const restart = await down.server.request('POST', `/api/sessions/${SESSION}/restart`, { headers: auth });
      expect(restart.status).toBe(503);
      const ready = await down.server.request('GET', '/health/ready', { headers: auth });
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database).toEqual({ status: 'up' });
      expect(ready.body.checks.temporal).toEqual({
        status: 'down',
        reason: expect.stringMatching(/^(error|timeout)$/),
      });
      expect((await down.server.request('GET', '/health/live')).status).toBe(200);
    } finally {
      await down.close();
    }
  });
});

describe('payload encryption (TEMPORAL_PAYLOAD_KEY)', () => {
  let secure: ApiEnv;
  beforeAll(async () => {
    secure = await startApi(testEnv, { TEMPORAL_PAYLOAD_KEY: randomBytes(32).toString('base64') });
  });
  afterAll(() => secure?.close());

  it('keeps message text out of the raw history, and /codec/decode gives it back to an API key holder', async () => {
    const event: Record<string, Json> = {
      ...sample('webhook-onmessage-text.json'),
      id: 'false_5511999990001@c.us_ENCRYPTED01',
    };
    const res = await secure.server.request('POST', `/api/webhook/${WEBHOOK_TOKEN}`, { json: event });
    expect(res.status).toBe(202);

    const raw = await secure.client.workflowService.getWorkflowExecutionHistory({
      namespace: secure.config.temporal.namespace,
      execution: { workflowId: res.body.workflowId },
    });
    // The message travels in the inboundMessage signal that signal-with-start delivered.
    const signalled = raw.history!.events!.find((e) => e.workflowExecutionSignaledEventAttributes)!;
    const payload = signalled.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!;
    expect(Buffer.from(payload.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(payload.data!).includes(Buffer.from('Gostaria de agendar'))).toBe(false);
    expect(Buffer.from(payload.data!).includes(Buffer.from('agendar'))).toBe(false);

    const body = {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(payload.data!).toString('base64'),
        },
      ],
    };
    const anonymous = await secure.server.request('POST', '/codec/decode', { json: body });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED');

    const decoded = await secure.server.request('POST', '/codec/decode', {
      json: body,
      headers: { ...auth, 'x-namespace': secure.config.temporal.namespace },
    });
    expect(decoded.status).toBe(200);
    const [plain] = decoded.body.payloads as { metadata: Record<string, string>; data: string }[];
    expect(Buffer.from(plain!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    const input = JSON.parse(Buffer.from(plain!.data, 'base64').toString('utf8'));
    expect(input.message.text).toBe(event.body);
  });
});
