import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { deriveRequestId } from '../../../api/outbound';
import { apiKeyId } from '../../../api/middleware/auth';
import type { LogMessageInput } from '../../../db/types';
import { createDevServerEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../../helpers/temporal';
import { API_KEY, type ApiEnv, describeOrNull, SESSION, signalsOf, startApi } from './support/api-env';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

let testEnv: TestWorkflowEnvironment;
let api: ApiEnv;
const auth = { authorization: `Bearer ${API_KEY}` };
const CHAT = '5511999990001@c.us';
const conversationId = (chatId: string, session = SESSION) => `conversation:${session}:${chatId}`;
const paths = (details: { path: string }[]) => details.map((d) => d.path);
const ids = (messages: { messageId: string }[]) => messages.map((m) => m.messageId);
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 7)]).toString('base64');

beforeAll(async () => {
  testEnv = await createDevServerEnv();
  api = await startApi(testEnv, { WPPCONNECT_SESSION: `${SESSION},second-session` });
});
afterAll(async () => {
  await api?.close();
  await testEnv?.teardown();
});

const send = (key: string, body: unknown, headers: Record<string, string> = auth) =>
  api.server.request('POST', '/api/messages', { json: body, headers: { ...headers, 'idempotency-key': key } });

describe('POST /api/messages', () => {
  it('accepts a text: 202 {requestId, workflowId}, signals the conversation, then records the request', async () => {
    const res = await send('order-1', { to: '+55 11 99999-0001', type: 'text', text: 'Sua consulta é amanhã' });
    const requestId = deriveRequestId(apiKeyId(API_KEY), 'order-1');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ requestId, workflowId: conversationId(CHAT) });
    expect(await signalsOf(api.client, conversationId(CHAT))).toEqual([
      {
        name: 'sendMessage',
        args: [
          {
            request: {
              requestId,
              session: SESSION,
              chatId: CHAT,
              type: 'text',
              text: 'Sua consulta é amanhã',
              requestedBy: `api:${apiKeyId(API_KEY)}`,
              senderType: 'system',
            },
          },
        ],
      },
    ]);
    expect((await describeOrNull(api.client, conversationId(CHAT)))?.type).toBe('conversationWorkflow');
    expect(await api.db.repo.getOutboundRequest(requestId)).toMatchObject({
      requestId,
      session: SESSION,
      chatId: CHAT,
      workflowId: conversationId(CHAT),
      status: 'pending',
    });
  });

  it('a replay with the same key and body answers 200 with the same requestId and signals nothing new', async () => {
    const body = { to: '5511999990001', type: 'text', text: 'Sua consulta é amanhã' };
    const first = await send('order-2', body);
    const signals = (await signalsOf(api.client, conversationId(CHAT))).length;
    const again = await send('order-2', { text: body.text, type: 'text', to: body.to });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, duplicate: true });
    expect((await signalsOf(api.client, conversationId(CHAT))).length).toBe(signals);
  });

  it('the same key with a different body: 409, nothing signalled or changed', async () => {
    await send('order-3', { to: '5511999990001', type: 'text', text: 'first' });
    const signals = (await signalsOf(api.client, conversationId(CHAT))).length;
    const res = await send('order-3', { to: '5511999990001', type: 'text', text: 'second' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: {
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: 'this Idempotency-Key was already used with a different request',
      },
    });
    expect((await signalsOf(api.client, conversationId(CHAT))).length).toBe(signals);
  });

  it('scopes Idempotency-Keys per API key: another key gets its own request', async () => {
    const mine = await send('shared-key', { to: '5511999990001', type: 'text', text: 'x' });
    const theirs = await send(
      'shared-key',
      { to: '5511999990001', type: 'text', text: 'x' },
      { 'x-api-key': 'second-key' },
    );
    expect(theirs.status).toBe(202);
    expect(theirs.body.requestId).not.toBe(mine.body.requestId);
  });

  it('sends an image: the bytes go to the media store, only the file name to the workflow', async () => {
    const res = await send('image-1', {
      to: '5511999990002',
      type: 'image',
      caption: 'Resultado',
      mediaBase64: `data:image/png;base64,${PNG}`,
    });
    expect(res.status).toBe(202);
    const [signal] = await signalsOf(api.client, conversationId('5511999990002@c.us'));
    const request = (signal!.args[0] as { request: Record<string, string> }).request;
    expect(request).toMatchObject({
      type: 'image',
      caption: 'Resultado',
      mimetype: 'image/png',
      mediaFile: expect.stringMatching(/\.png$/),
    });
    expect(JSON.stringify(request)).not.toContain(PNG.slice(0, 40));
    expect((await api.mediaStore.readOutbound(request.mediaFile!)).equals(Buffer.from(PNG, 'base64'))).toBe(true);
  });

  it.each([
    ['no Idempotency-Key', { to: '5511999990001', type: 'text', text: 'x' }, {}, 'headers', 'idempotency-key'],
    ['an invalid phone number', { to: '12ab', type: 'text', text: 'x' }, { 'idempotency-key': 'v1' }, 'body', 'to'],
    ['a text without text', { to: '5511999990001', type: 'text' }, { 'idempotency-key': 'v2' }, 'body', 'text'],
    [
      'an image without media',
      { to: '5511999990001', type: 'image' },
      { 'idempotency-key': 'v3' },
      'body',
      'mediaBase64',
    ],
    [
      'an unknown field',
      { to: '5511999990001', type: 'text', text: 'x', priority: 1 },
      { 'idempotency-key': 'v4' },
      'body',
      '',
    ],
    ['a wrong type', { to: '5511999990001', type: 'video', text: 'x' }, { 'idempotency-key': 'v5' }, 'body', 'type'],
  ])('with %s: 400 with details, nothing signalled or stored', async (_name, body, headers, where, field) => {
    const res = await api.server.request('POST', '/api/messages', { json: body, headers: { ...auth, ...headers } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: where, path: field })]),
    );
    const key = (headers as Record<string, string>)['idempotency-key'];
    if (key) expect(await api.db.repo.getOutboundRequest(deriveRequestId(apiKeyId(API_KEY), key))).toBeNull();
    expect(await describeOrNull(api.client, conversationId('12ab@c.us'))).toBeNull();
  });

  it('a session that is not configured: 400 UNKNOWN_SESSION', async () => {
    const res = await send('bad-session', { to: '5511999990001', type: 'text', text: 'x', session: 'elsewhere' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { code: 'UNKNOWN_SESSION', message: 'session is not one of the configured WhatsApp sessions' },
    });
  });

  it('media over MEDIA_MAX_BYTES: 413 and nothing stored', async () => {
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(api.config.media.maxBytes, 1)]).toString(
      'base64',
    );
    const res = await send('big-pdf', { to: '5511999990001', type: 'document', mediaBase64: big, filename: 'r.pdf' });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('MEDIA_TOO_LARGE');
    expect(await api.db.repo.getOutboundRequest(deriveRequestId(apiKeyId(API_KEY), 'big-pdf'))).toBeNull();
    const outbound = path.join(api.config.media.storagePath, 'outbound');
    const files = (() => {
      try {
        return readdirSync(outbound);
      } catch {
        return [];
      }
    })();
    expect(files.filter((f) => f.endsWith('.pdf'))).toEqual([]);
  });

  it('without an API key: 401 and nothing stored', async () => {
    const res = await send('no-auth', { to: '5511999990001', type: 'text', text: 'x' }, {});
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect(await api.db.repo.getOutboundRequest(deriveRequestId(apiKeyId(API_KEY), 'no-auth'))).toBeNull();
  });
});

describe('GET /api/messages/:requestId', () => {
  it('returns the status of a request', async () => {
    const sent = await send('status-1', { to: '5511999990001', type: 'text', text: 'x' });
    const res = await api.server.request('GET', `/api/messages/${sent.body.requestId}`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      requestId: sent.body.requestId,
      session: SESSION,
      chatId: CHAT,
      workflowId: sent.body.workflowId,
      status: 'pending',
      reason: null,
      messageId: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it('404 for an unknown request, 400 for a malformed id, 401 without a key', async () => {
    const missing = await api.server.request('GET', '/api/messages/req_unknown', { headers: auth });
    expect([missing.status, missing.body]).toEqual([
      404,
      { error: { code: 'NOT_FOUND', message: 'no outbound request with this id' } },
    ]);
    const bad = await api.server.request('GET', '/api/messages/a%20b', { headers: auth });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ in: 'params', path: 'requestId' });
    expect((await api.server.request('GET', '/api/messages/req_unknown')).status).toBe(401);
  });
});

describe('conversations, search and stats', () => {
  const PATIENT_CHAT = '5511988880001@c.us';
  const t0 = new Date('2026-03-01T10:00:00Z').getTime();
  const message = (i: number, extra: Partial<LogMessageInput> = {}): LogMessageInput => ({
    session: SESSION,
    chatId: PATIENT_CHAT,
    messageId: `false_${PATIENT_CHAT}_MSG${i}`,
    timestamp: new Date(t0 + i * 60_000),
    direction: i % 2 === 0 ? 'inbound' : 'outbound',
    senderType: i % 2 === 0 ? 'patient' : 'assistant',
    messageType: 'text',
    content: i % 2 === 0 ? `estou com febre alta ${i}` : `resposta ${i}`,
    deliveryStatus: i % 2 === 0 ? 'received' : 'sent',
    ...extra,
  });

  beforeAll(async () => {
    for (let i = 0; i < 4; i++) await api.db.repo.logMessage(message(i));
    // The same chat id in a second session makes writes ambiguous without ?session=.
    await api.db.repo.logMessage({
      ...message(10),
      session: 'second-session',
      chatId: '5511977770001@c.us',
      messageId: 'x1',
    });
    await api.db.repo.logMessage({ ...message(11), chatId: '5511977770001@c.us', messageId: 'x2' });
  });

  it('GET /api/conversations lists recent chats', async () => {
    const res = await api.server.request('GET', '/api/conversations?limit=10', { headers: auth });
    expect(res.status).toBe(200);
    const chats = res.body.conversations as { chatId: string; session: string; totalMessages: number }[];
    expect(chats.find((c) => c.chatId === PATIENT_CHAT)).toMatchObject({ session: SESSION, totalMessages: 4 });
    const future = await api.server.request('GET', '/api/conversations?since=2099-01-01T00:00:00Z', { headers: auth });
    expect(future.body).toEqual({ conversations: [] });
  });

  it('GET /api/conversations rejects a bad since/limit with 400 details', async () => {
    const res = await api.server.request('GET', '/api/conversations?since=yesterday&limit=0', { headers: auth });
    expect(res.status).toBe(400);
    expect(paths(res.body.error.details).sort()).toEqual(['limit', 'since']);
  });

  it('GET .../messages returns the history newest last, paged with before', async () => {
    const res = await api.server.request('GET', `/api/conversations/${PATIENT_CHAT}/messages?limit=3`, {
      headers: auth,
    });
    expect(res.status).toBe(200);
    expect(res.body.chatId).toBe(PATIENT_CHAT);
    expect(ids(res.body.messages)).toEqual([1, 2, 3].map((i) => `false_${PATIENT_CHAT}_MSG${i}`));
    const before = new Date(t0 + 2 * 60_000).toISOString();
    const older = await api.server.request('GET', `/api/conversations/5511988880001/messages?before=${before}`, {
      headers: auth,
    });
    expect(ids(older.body.messages)).toEqual([0, 1].map((i) => `false_${PATIENT_CHAT}_MSG${i}`));
  });

  it('GET .../messages: 404 for an unknown chat or a chat unknown in the given session', async () => {
    const unknown = await api.server.request('GET', '/api/conversations/5511900000000@c.us/messages', {
      headers: auth,
    });
    expect([unknown.status, unknown.body]).toEqual([404, { error: { code: 'NOT_FOUND', message: 'chat unknown' } }]);
    const other = await api.server.request(
      'GET',
      `/api/conversations/${PATIENT_CHAT}/messages?session=second-session`,
      {
        headers: auth,
      },
    );
    expect(other.status).toBe(404);
    const bad = await api.server.request('GET', '/api/conversations/not-a-chat/messages', { headers: auth });
    expect(bad.status).toBe(400);
  });

  it('GET .../stats counts by direction, type and status', async () => {
    const res = await api.server.request('GET', `/api/conversations/${PATIENT_CHAT}/stats`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      chatId: PATIENT_CHAT,
      total: 4,
      byDirection: { inbound: 2, outbound: 2 },
      byType: { text: 4 },
      byStatus: { received: 2, sent: 2 },
      responseTimeMs: { count: 2, median: 60_000 },
    });
    expect(
      (await api.server.request('GET', '/api/conversations/5511900000000@c.us/stats', { headers: auth })).status,
    ).toBe(404);
  });

  it('GET /api/search finds message content, filtered and paged', async () => {
    const res = await api.server.request(
      'GET',
      `/api/search?q=febre&chatId=${PATIENT_CHAT}&senderType=patient&limit=1`,
      {
        headers: auth,
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
    expect(res.body.limit).toBe(1);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0].content).toContain('febre');
    const bad = await api.server.request('GET', '/api/search?q=&senderType=robot', { headers: auth });
    expect(bad.status).toBe(400);
    expect(paths(bad.body.error.details).sort()).toEqual(['q', 'senderType']);
  });

  it('PUT .../patient links the chat and tells the conversation workflow', async () => {
    const res = await api.server.request('PUT', `/api/conversations/${PATIENT_CHAT}/patient`, {
      json: { patientId: 'patient-42' },
      headers: auth,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ session: SESSION, chatId: PATIENT_CHAT, patientId: 'patient-42' });
    expect((await api.db.repo.getChatSession(SESSION, PATIENT_CHAT))?.patientId).toBe('patient-42');
    expect(await signalsOf(api.client, conversationId(PATIENT_CHAT))).toEqual([
      { name: 'patientLinked', args: [{ patientId: 'patient-42', attribute: 'patient-42' }] },
    ]);
  });

  it('PUT .../patient: 400 for a missing patientId, 404 for an unknown chat, 409 when the chat is in several sessions', async () => {
    const invalid = await api.server.request('PUT', `/api/conversations/${PATIENT_CHAT}/patient`, {
      json: {},
      headers: auth,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details[0]).toMatchObject({ in: 'body', path: 'patientId' });
    const unknown = await api.server.request('PUT', '/api/conversations/5511900000000@c.us/patient', {
      json: { patientId: 'p' },
      headers: auth,
    });
    expect(unknown.status).toBe(404);
    const ambiguous = await api.server.request('PUT', '/api/conversations/5511977770001@c.us/patient', {
      json: { patientId: 'p' },
      headers: auth,
    });
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.error).toEqual({
      code: 'AMBIGUOUS_CHAT',
      message: 'the chat exists in several sessions: pass ?session=',
      details: { sessions: expect.arrayContaining([SESSION, 'second-session']) },
    });
    expect(await describeOrNull(api.client, conversationId('5511977770001@c.us'))).toBeNull();
    const chosen = await api.server.request(
      'PUT',
      '/api/conversations/5511977770001@c.us/patient?session=second-session',
      {
        json: { patientId: 'p' },
        headers: auth,
      },
    );
    expect(chosen.status).toBe(200);
    expect((await api.db.repo.getChatSession('second-session', '5511977770001@c.us'))?.patientId).toBe('p');
    expect((await api.db.repo.getChatSession(SESSION, '5511977770001@c.us'))?.patientId).toBeNull();
  });

  it('POST .../handoff then .../resume change the chat status and signal the conversation', async () => {
    const handoff = await api.server.request('POST', `/api/conversations/${PATIENT_CHAT}/handoff`, {
      json: { by: 'dr-silva' },
      headers: auth,
    });
    expect(handoff.status).toBe(200);
    expect(handoff.body).toEqual({
      session: SESSION,
      chatId: PATIENT_CHAT,
      status: 'handoff',
      workflowId: conversationId(PATIENT_CHAT),
    });
    expect((await api.db.repo.getChatSession(SESSION, PATIENT_CHAT))?.status).toBe('handoff');
    const resume = await api.server.request('POST', `/api/conversations/${PATIENT_CHAT}/resume`, { headers: auth });
    expect(resume.status).toBe(200);
    expect(resume.body.status).toBe('active');
    expect((await api.db.repo.getChatSession(SESSION, PATIENT_CHAT))?.status).toBe('active');
    const handoffSignals = (await signalsOf(api.client, conversationId(PATIENT_CHAT))).filter(
      (s) => s.name === 'handoff',
    );
    expect(handoffSignals).toEqual([
      { name: 'handoff', args: [{ action: 'handoff', by: 'dr-silva' }] },
      { name: 'handoff', args: [{ action: 'resume', by: `api:${apiKeyId(API_KEY)}` }] },
    ]);
  });

  it('POST .../handoff: 404 for an unknown chat, 400 for an unknown field, 401 without a key', async () => {
    const unknown = await api.server.request('POST', '/api/conversations/5511900000000@c.us/handoff', {
      headers: auth,
    });
    expect(unknown.status).toBe(404);
    const invalid = await api.server.request('POST', `/api/conversations/${PATIENT_CHAT}/handoff`, {
      json: { by: 'x', reason: 1 },
      headers: auth,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
    expect((await api.server.request('POST', `/api/conversations/${PATIENT_CHAT}/resume`)).status).toBe(401);
    expect((await api.db.repo.getChatSession(SESSION, PATIENT_CHAT))?.status).toBe('active');
  });
});

describe('POST /api/triage', () => {
  it("returns the assistant's assessment and sends or stores nothing", async () => {
    const before = await api.server.request('GET', '/api/conversations?limit=200', { headers: auth });
    const res = await api.server.request('POST', '/api/triage', {
      json: { text: 'Estou com dor forte no peito e falta de ar', history: [{ role: 'patient', text: 'Olá' }] },
      headers: auth,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ triageLevel: 'emergency', provider: 'rules' });
    expect(res.body.redFlags.length).toBeGreaterThan(0);
    expect(typeof res.body.reply).toBe('string');
    const after = await api.server.request('GET', '/api/conversations?limit=200', { headers: auth });
    expect(after.body).toEqual(before.body);
  });

  it('400 without text, 401 without a key', async () => {
    const invalid = await api.server.request('POST', '/api/triage', { json: { history: [] }, headers: auth });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details[0]).toMatchObject({ in: 'body', path: 'text' });
    expect((await api.server.request('POST', '/api/triage', { json: { text: 'x' } })).status).toBe(401);
  });
});

describe('rate limiting and Temporal down', () => {
  it('answers 429 with Retry-After past RATE_LIMIT_PER_MINUTE', async () => {
    const limited = await startApi(testEnv, { RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await limited.server.request('GET', '/api/conversations', { headers: auth })).status);
      const res = await limited.server.request('GET', '/api/conversations', { headers: auth });
      expect(statuses).toEqual([200, 200, 429]);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.body.error.code).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });

  it('POST /api/messages answers 503 and writes nothing when Temporal is unreachable', async () => {
    const down = await startApi(testEnv, {}, '127.0.0.1:1');
    try {
      const res = await down.server.request('POST', '/api/messages', {
        json: { to: '5511999990009', type: 'text', text: 'x' },
        headers: { ...auth, 'idempotency-key': 'down-1' },
      });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error: { code: 'TEMPORAL_UNAVAILABLE', message: 'the workflow service is unreachable; try again later' },
      });
      expect(await down.db.repo.getOutboundRequest(deriveRequestId(apiKeyId(API_KEY), 'down-1'))).toBeNull();
      expect(await describeOrNull(api.client, conversationId('5511999990009@c.us'))).toBeNull();

      await down.db.repo.logMessage({
        session: SESSION,
        chatId: CHAT,
        messageId: 'm-down',
        timestamp: new Date(),
        direction: 'inbound',
        senderType: 'patient',
        messageType: 'text',
        deliveryStatus: 'received',
      });
      const handoff = await down.server.request('POST', `/api/conversations/${CHAT}/handoff`, { headers: auth });
      expect(handoff.status).toBe(503);
      expect((await down.db.repo.getChatSession(SESSION, CHAT))?.status).toBe('active');
    } finally {
      await down.close();
    }
  });
});
