import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../../helpers/temporal';
import {
  type ApiEnv,
  describeOrNull,
  listWorkflowIds,
  sample,
  SAMPLES_DIR,
  SESSION,
  signalsOf,
  startApi,
  WEBHOOK_TOKEN,
} from './support/api-env';
import type { Json } from '../../unit/api/support/http';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

let testEnv: TestWorkflowEnvironment;
let api: ApiEnv;
const webhook = `/api/webhook/${WEBHOOK_TOKEN}`;
const KEEPER = `session-keeper:${SESSION}`;
const inboundId = (messageId: string) => `inbound:${SESSION}:${messageId}`;
const conversationId = (chatId: string) => `conversation:${SESSION}:${chatId}`;
/** The message a conversation was handed last (its newest inboundMessage signal). */
const lastInbound = async (chatId: string) => {
  const signals = await signalsOf(api.client, conversationId(chatId));
  const last = signals.filter((s) => s.name === 'inboundMessage').at(-1);
  return last?.args[0] as { message: Json; receivedVia: string } | undefined;
};
const stagedFiles = () => {
  try {
    return readdirSync(path.join(api.config.media.storagePath, 'staging'));
  } catch {
    return [];
  }
};

beforeAll(async () => {
  testEnv = await createDevServerEnv();
  api = await startApi(testEnv);
});
afterAll(async () => {
  await api?.close();
  await testEnv?.teardown();
});

describe('every WPPConnect webhook sample gets its documented answer', () => {
  const messageSamples = [
    'webhook-onmessage-text.json',
    'webhook-onmessage-group-text.json',
    'webhook-onmessage-reply.json',
    'webhook-onmessage-lid.json',
    'webhook-onmessage-image-no-autodownload.json',
    'webhook-onmessage-ptt.json',
    'webhook-onmessage-location.json',
  ];

  it.each(messageSamples)(
    "%s hands the message to its chat's conversation (one signal-with-start): 202, duplicate: false",
    async (file) => {
      const event = sample(file);
      const chatId = String(event.chatId ?? event.from);
      const res = await api.server.request('POST', webhook, { json: event });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        workflowId: conversationId(chatId),
        messageWorkflowId: inboundId(event.id),
        duplicate: false,
      });
      const description = await describeOrNull(api.client, conversationId(chatId));
      expect(description?.type).toBe('conversationWorkflow');
      expect(description?.taskQueue).toBe('api-it');
      const handed = await lastInbound(chatId);
      expect(handed?.receivedVia).toBe('webhook');
      expect(handed?.message).toMatchObject({ session: SESSION, messageId: event.id, chatId });
    },
  );

  it('a message already recorded, posted again (or as unreadmessages), is a duplicate: 200 and nothing is signalled', async () => {
    const text = sample('webhook-onmessage-text.json');
    await api.db.repo.logMessage({
      session: SESSION,
      chatId: String(text.from),
      messageId: text.id,
      timestamp: new Date(),
      direction: 'inbound',
      senderType: 'patient',
      messageType: 'text',
      deliveryStatus: 'received',
    });
    const before = await signalsOf(api.client, conversationId(String(text.from)));
    for (const file of ['webhook-onmessage-text.json', 'webhook-unreadmessages.json']) {
      const event = sample(file);
      const res = await api.server.request('POST', webhook, { json: event });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        workflowId: conversationId(String(text.from)),
        messageWorkflowId: inboundId(event.id),
        duplicate: true,
      });
    }
    expect(await signalsOf(api.client, conversationId(String(text.from)))).toEqual(before);
  });

  it.each(['webhook-onmessage-image.json', 'webhook-onmessage-document.json'])(
    '%s (media as base64) stages the bytes and passes only the staging name to the workflow',
    async (file) => {
      // The no-autodownload sample carries the same message id: this one must be new.
      const event: Record<string, Json> = { ...sample(file), id: `false_5511999990001@c.us_STAGED${file.length}` };
      const res = await api.server.request('POST', webhook, { json: event });
      expect(res.status).toBe(202);
      const input = (await lastInbound(String(event.from)))!;
      expect(input.message.messageId).toBe(event.id);
      expect(input.message.media).toEqual({ source: 'staged', stagingName: expect.stringMatching(/\.b64$/) });
      const staged = await api.mediaStore.readStaged(input.message.media.stagingName);
      expect(staged.equals(Buffer.from(event.body, 'base64'))).toBe(true);
      expect(JSON.stringify(input)).not.toContain(event.body);
    },
  );

  it('webhook-onselfmessage.json, typed on the clinic phone, goes to the conversation as a staff message', async () => {
    const event = sample('webhook-onselfmessage.json');
    const res = await api.server.request('POST', webhook, { json: event });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ workflowId: conversationId(String(event.to)), duplicate: false });
    expect((await lastInbound(String(event.to)))?.message).toMatchObject({ messageId: event.id, fromMe: true });
  });

  it('one of our own sends echoed back as onselfmessage is recognised: 200 duplicate, nothing signalled', async () => {
    const event: Record<string, Json> = {
      ...sample('webhook-onselfmessage.json'),
      id: 'true_5511999990001@c.us_OURSEND0001',
    };
    await api.db.repo.logMessage({
      session: SESSION,
      chatId: String(event.to),
      messageId: event.id,
      timestamp: new Date(),
      direction: 'outbound',
      senderType: 'assistant',
      messageType: 'text',
      deliveryStatus: 'sent',
    });
    const before = await signalsOf(api.client, conversationId(String(event.to)));
    const res = await api.server.request('POST', webhook, { json: event });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ duplicate: true });
    expect(await signalsOf(api.client, conversationId(String(event.to)))).toEqual(before);
  });

  it.each([
    ['webhook-status-find.json', { type: 'status-find', status: 'inChat' }],
    ['webhook-status-find-disconnected-mobile.json', { type: 'status-find', status: 'disconnectedMobile' }],
    ['webhook-status-find-no-session.json', { type: 'status-find', status: 'notLogged' }],
    ['webhook-qrcode.json', { type: 'qrcode' }],
    ['webhook-phonecode.json', { type: 'phone-code' }],
    ['webhook-closesession.json', { type: 'closed', event: 'closesession' }],
    ['webhook-logoutsession.json', { type: 'closed', event: 'logoutsession' }],
  ])('%s signals the session keeper (signal-with-start): 200', async (file, signal) => {
    const res = await api.server.request('POST', webhook, { json: sample(file) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ workflowId: KEEPER, signalled: true });
    const signals = await signalsOf(api.client, KEEPER);
    expect(signals.at(-1)).toEqual({ name: 'sessionEvent', args: [signal] });
    expect((await describeOrNull(api.client, KEEPER))?.type).toBe('sessionKeeperWorkflow');
  });

  it.each([
    'webhook-incomingcall.json',
    'webhook-location.json',
    'webhook-onparticipantschanged.json',
    'webhook-onpollresponse.json',
    'webhook-onpresencechanged.json',
    'webhook-onpresencechanged-group.json',
    'webhook-onreactionmessage.json',
    'webhook-onrevokedmessage.json',
    'webhook-onupdatelabel.json',
  ])('%s is an event we do not act on: 200 {ignored: true}', async (file) => {
    const before = await listWorkflowIds(api.client);
    const res = await api.server.request('POST', webhook, { json: sample(file) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ignored: true });
    expect(await listWorkflowIds(api.client)).toEqual(before);
  });

  it('covers every webhook sample file (the request-headers file is not a body)', () => {
    const files = readdirSync(SAMPLES_DIR).filter(
      (f) => f.startsWith('webhook-') && f !== 'webhook-request-headers.json',
    );
    const source = readFileSync(__filename, 'utf8');
    expect(files.filter((f) => !source.includes(`'${f}'`))).toEqual([]);
  });
});

describe('onack', () => {
  const ACKED = 'true_5511999990001@c.us_3EB0C4F1A2B3D4E5F6A7';

  it('records receipts of a message not stored yet; they apply when it is stored (forward only)', async () => {
    const answers = [];
    for (const file of ['webhook-onack.json', 'webhook-onack-delivered.json', 'webhook-onack-failed.json']) {
      const res = await api.server.request('POST', webhook, { json: sample(file) });
      answers.push([res.status, res.body]);
    }
    expect(answers).toEqual([
      [200, { recorded: true, status: 'read', signalled: false }],
      [200, { recorded: true, status: 'delivered', signalled: false }],
      [200, { recorded: true, status: 'failed', signalled: false }],
    ]);
    await api.db.repo.logMessage({
      session: SESSION,
      chatId: '5511999990001@c.us',
      messageId: ACKED,
      timestamp: new Date(),
      direction: 'outbound',
      senderType: 'assistant',
      messageType: 'text',
      content: 'reply',
      deliveryStatus: 'sent',
    });
    expect((await api.db.repo.getMessage(SESSION, ACKED))?.deliveryStatus).toBe('read');
  });

  it('records a delivered ack without bothering the conversation, and signals it a failed one', async () => {
    const chatId = '5511999990077@c.us';
    await api.client.workflow.start('conversationWorkflow', {
      workflowId: conversationId(chatId),
      taskQueue: 'nobody-polls-this',
      args: [{ session: SESSION, chatId }],
    });
    const record = (messageId: string) =>
      api.db.repo.logMessage({
        session: SESSION,
        chatId,
        messageId,
        timestamp: new Date(),
        direction: 'outbound',
        senderType: 'assistant',
        messageType: 'text',
        deliveryStatus: 'sent',
      });
    const delivered = 'true_5511999990077@c.us_3EB0AAAABBBBCCCC0001';
    const failed = 'true_5511999990077@c.us_3EB0AAAABBBBCCCC0002';
    await record(delivered);
    await record(failed);
    const ack = (file: string, messageId: string) => {
      const event = sample(file);
      event.id = { ...event.id, _serialized: messageId };
      return api.server.request('POST', webhook, { json: event });
    };
    const first = await ack('webhook-onack-delivered.json', delivered);
    expect([first.status, first.body]).toEqual([200, { recorded: true, status: 'delivered', signalled: false }]);
    const second = await ack('webhook-onack-failed.json', failed);
    expect([second.status, second.body]).toEqual([200, { recorded: true, status: 'failed', signalled: true }]);
    expect(await signalsOf(api.client, conversationId(chatId))).toEqual([
      { name: 'messageAck', args: [{ messageId: failed, ack: -1, status: 'failed' }] },
    ]);
    expect((await api.db.repo.getMessage(SESSION, delivered))?.deliveryStatus).toBe('delivered');
    expect((await api.db.repo.getMessage(SESSION, failed))?.deliveryStatus).toBe('failed');
  });

  it('ignores acks of messages we did not send', async () => {
    const event = sample('webhook-onack.json');
    event.id = { ...event.id, fromMe: false, _serialized: 'false_5511999990001@c.us_PATIENTMSG' };
    const res = await api.server.request('POST', webhook, { json: event });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ignored: true });
    expect(await api.db.repo.getMessage(SESSION, 'false_5511999990001@c.us_PATIENTMSG')).toBeNull();
  });
});

describe('rejected webhooks start nothing', () => {
  const fresh = (suffix: string) => ({
    ...sample('webhook-onmessage-text.json'),
    id: `false_5511999990001@c.us_${suffix}`,
  });

  it.each([
    ['no token', '/api/webhook', {}],
    ['a wrong path token', '/api/webhook/not-the-token', {}],
    ['a wrong ?token=', '/api/webhook?token=nope', {}],
    ['a wrong Bearer token', '/api/webhook', { authorization: 'Bearer nope' }],
  ])('with %s: 401 and no workflow', async (_name, url, headers) => {
    const event = fresh('REJECTED401');
    const before = await listWorkflowIds(api.client);
    const res = await api.server.request('POST', url, { json: event, headers });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'UNAUTHORIZED', message: 'webhook token is missing or wrong' } });
    expect(await listWorkflowIds(api.client)).toEqual(before);
  });

  it('accepts the token as ?token= and as a Bearer header too', async () => {
    const viaQuery = fresh('TOKENQUERY');
    const viaBearer = fresh('TOKENBEARER');
    expect((await api.server.request('POST', `/api/webhook?token=${WEBHOOK_TOKEN}`, { json: viaQuery })).status).toBe(
      202,
    );
    const res = await api.server.request('POST', '/api/webhook', {
      json: viaBearer,
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` },
    });
    expect(res.status).toBe(202);
  });

  it('an onmessage missing its id: 400 with zod details, nothing started', async () => {
    const before = await listWorkflowIds(api.client);
    const { id: _id, ...event } = fresh('NOID');
    const res = await api.server.request('POST', webhook, { json: event });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'request is invalid',
      details: [{ in: 'body', path: 'id', message: expect.any(String), code: 'custom' }],
    });
    expect(await listWorkflowIds(api.client)).toEqual(before);
  });

  it('a body that is not JSON: 400, nothing started', async () => {
    const before = await listWorkflowIds(api.client);
    const res = await api.server.request('POST', webhook, {
      raw: 'event=onmessage',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'INVALID_JSON', message: 'request body is not valid JSON' } });
    expect(await listWorkflowIds(api.client)).toEqual(before);
  });

  it('media over MEDIA_MAX_BYTES: 413 MEDIA_TOO_LARGE, nothing staged or started', async () => {
    // Just over the media limit but under the body limit: only the media check can refuse it.
    const bytes = Buffer.alloc(api.config.media.maxBytes + 1, 1);
    const event = {
      event: 'onmessage',
      session: SESSION,
      id: 'false_5511999990001@c.us_TOOLARGE',
      from: '5511999990001@c.us',
      to: '5511999990000@c.us',
      type: 'image',
      mimetype: 'image/jpeg',
      t: 1780300000,
      body: bytes.toString('base64'),
      size: bytes.length,
    };
    const stagedBefore = stagedFiles();
    const before = await listWorkflowIds(api.client);
    const res = await api.server.request('POST', webhook, { json: event });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      error: {
        code: 'MEDIA_TOO_LARGE',
        message: `media of ${bytes.length} bytes is over the limit of ${api.config.media.maxBytes} bytes`,
      },
    });
    expect(stagedFiles()).toEqual(stagedBefore);
    expect(await listWorkflowIds(api.client)).toEqual(before);
  });

  it('a body over MEDIA_MAX_BYTES × 1.4: 413 PAYLOAD_TOO_LARGE', async () => {
    const event = { ...fresh('HUGEBODY'), padding: 'x'.repeat(Math.ceil(api.config.media.maxBytes * 1.4)) };
    const before = await listWorkflowIds(api.client);
    const res = await api.server.request('POST', webhook, { json: event });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await listWorkflowIds(api.client)).toEqual(before);
  });
});

describe('with Temporal unreachable', () => {
  let down: ApiEnv;
  beforeAll(async () => {
    down = await startApi(testEnv, {}, '127.0.0.1:1');
  });
  afterAll(() => down?.close());

  it('an incoming message gets 503, its staged media is discarded and no workflow exists', async () => {
    const event: Record<string, Json> = {
      ...sample('webhook-onmessage-image.json'),
      id: 'false_5511999990001@c.us_TEMPORALDOWN',
    };
    const res = await down.server.request('POST', webhook, { json: event });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: { code: 'TEMPORAL_UNAVAILABLE', message: 'the workflow service is unreachable; try again later' },
    });
    expect(readdirSync(path.join(down.config.media.storagePath, 'staging'))).toEqual([]);
    const handed = (await signalsOf(api.client, conversationId(String(event.from)))).map(
      (s) => (s.args[0] as { message?: { messageId?: string } }).message?.messageId,
    );
    expect(handed).not.toContain(event.id);
  });

  it('a session event gets 503 too', async () => {
    const res = await down.server.request('POST', webhook, { json: sample('webhook-status-find.json') });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('TEMPORAL_UNAVAILABLE');
  });
});
