/** The undici client against the simulator over real HTTP on 127.0.0.1. */
import { Agent, type Dispatcher } from 'undici';
import pino from 'pino';
import { createWppConnectClient, webhookUrlFor, type WppConnectClientOptions } from '../../../wppconnect/client';
import {
  WppAuthError,
  WppOperationFailedError,
  WppRecipientNotFoundError,
  WppResponseTooLargeError,
  WppSecretRejectedError,
  WppSessionUnavailableError,
  WppTransientError,
} from '../../../wppconnect/errors';
import { createSimulator, type Simulator } from '../../../simulator/server';
import type { IWhatsAppService, MediaDownloadOptions } from '../../../wppconnect/types';
import { FAST_TIMING, startReceiver, waitFor, type Receiver } from './support';

// Real bcrypt and QR rendering on a shared machine: generous per-test budget (never asserted).
jest.setTimeout(30_000);

const SESSION = 'clinic-a';
const PATIENT = '5511999990001';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

let sim: Simulator;
let receiver: Receiver;
let requests: string[];
let agent: Agent;
let dispatcher: Dispatcher;
let secret: string;
let client: IWhatsAppService;

function makeClient(timeoutMs = 10_000, extra: Partial<WppConnectClientOptions> = {}): IWhatsAppService {
  return createWppConnectClient({
    baseUrl: `${sim.url}/api`,
    getSecretKey: () => secret,
    timeoutMs,
    dispatcher,
    retryDelayMs: 10,
    ...extra,
  });
}

/** A media sink that keeps what it is given, and how many writes it took. */
function collector() {
  const chunks: Buffer[] = [];
  return {
    options: (maxBytes: number): MediaDownloadOptions => ({ maxBytes, write: (chunk) => void chunks.push(chunk) }),
    bytes: () => Buffer.concat(chunks),
    writes: () => chunks.length,
  };
}

const tokenRequests = (): string[] => requests.filter((r) => r.endsWith('/generate-token'));

async function connect(session = SESSION): Promise<void> {
  await client.startSession(session, { webhookUrl: receiver.url });
  await waitFor(async () => (await client.getSessionStatus(session)).state === 'QRCODE');
  expect(sim.state.scan(session).ok).toBe(true);
  await waitFor(async () => (await client.getSessionStatus(session)).state === 'CONNECTED');
}

function events(name: string, filter: (b: Record<string, unknown>) => boolean = () => true): Record<string, unknown>[] {
  return receiver.received.map((r) => r.body).filter((b) => b.event === name && filter(b));
}

beforeEach(async () => {
  sim = await createSimulator({ timing: FAST_TIMING, seed: 7 });
  receiver = await startReceiver();
  requests = [];
  agent = new Agent();
  dispatcher = agent.compose((dispatch) => (opts, handler) => {
    requests.push(`${opts.method} ${opts.path.split('?')[0] ?? ''}`);
    return dispatch(opts, handler);
  });
  secret = 'THISISMYSECURETOKEN';
  client = makeClient();
});

afterEach(async () => {
  await sim.close();
  await receiver.close();
  await agent.close();
});

describe('tokens', () => {
  it('generates one token per session and reuses it for every later call', async () => {
    await client.getSessionStatus(SESSION);
    await client.getSessionStatus(SESSION);
    await client.checkConnection(SESSION);
    expect(tokenRequests()).toHaveLength(1);
    expect(await client.validateToken(SESSION)).toBe(true);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('shares one generation between concurrent first calls', async () => {
    await Promise.all([
      client.getSessionStatus(SESSION),
      client.getSessionStatus(SESSION),
      client.checkConnection(SESSION),
    ]);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('regenerates the token once when the server secret changed, then succeeds', async () => {
    await client.getSessionStatus(SESSION);
    sim.state.setSecretKey('rotated-secret');
    secret = 'rotated-secret';
    const status = await client.getSessionStatus(SESSION);
    expect(status).toEqual({ state: 'CLOSED', qrAvailable: false, version: undefined });
    expect(tokenRequests()).toHaveLength(2);
  });

  it('reports a rejected secret when the server secret changed and ours is stale', async () => {
    await client.getSessionStatus(SESSION);
    sim.state.setSecretKey('rotated-secret');
    const error = await client.getSessionStatus(SESSION).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppSecretRejectedError);
    expect(error).toMatchObject({ type: 'WppSecretRejected', retryable: false, status: 400 });
    expect((error as Error).message).not.toContain('THISISMYSECURETOKEN');
    expect(await client.validateToken(SESSION)).toBe(false);
  });

  it('fails with WppAuthError after one regeneration when every token is refused', async () => {
    // A proxy that mangles the Authorization header: each token, old or fresh, is refused.
    dispatcher = agent.compose((dispatch) => (opts, handler) => {
      requests.push(`${opts.method} ${opts.path}`);
      const headers = { ...(opts.headers as Record<string, string>), authorization: 'Bearer garbage' };
      return dispatch({ ...opts, headers }, handler);
    });
    const mangled = makeClient();
    const error = await mangled.getSessionStatus(SESSION).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppAuthError);
    expect(error).toMatchObject({ type: 'WppAuth', status: 401, retryable: false });
    expect(tokenRequests()).toHaveLength(2);
    expect(requests.filter((r) => r.endsWith('/status-session'))).toHaveLength(2);
  });
});

describe('session lifecycle', () => {
  it('goes CLOSED → INITIALIZING → QRCODE → CONNECTED with a scannable PNG and status-find webhooks', async () => {
    expect(await client.getSessionStatus(SESSION)).toMatchObject({ state: 'CLOSED', qrAvailable: false });
    expect(await client.getQrCode(SESSION)).toBeNull();
    const first = await client.startSession(SESSION, { webhookUrl: receiver.url });
    expect(first).toMatchObject({ state: 'CLOSED', qrAvailable: false });
    expect(await client.getSessionStatus(SESSION)).toMatchObject({ state: 'INITIALIZING', qrAvailable: false });
    await waitFor(async () => (await client.getSessionStatus(SESSION)).state === 'QRCODE');
    expect(await client.getSessionStatus(SESSION)).toEqual({ state: 'QRCODE', qrAvailable: true, version: '2.10.4' });
    const png = await client.getQrCode(SESSION);
    expect(png?.subarray(0, 4)).toEqual(PNG_SIGNATURE);
    expect(await client.checkConnection(SESSION)).toBe(false);
    sim.state.scan(SESSION);
    await waitFor(async () => (await client.getSessionStatus(SESSION)).state === 'CONNECTED');
    // The stale QR survives the login, but it is not offered as scannable.
    expect(await client.getSessionStatus(SESSION)).toEqual({
      state: 'CONNECTED',
      qrAvailable: false,
      version: '2.10.4',
    });
    expect(await client.checkConnection(SESSION)).toBe(true);
    await waitFor(() => events('status-find').length >= 3);
    expect(events('status-find').map((e) => e.status)).toEqual(['notLogged', 'qrReadSuccess', 'inChat']);
    expect(events('qrcode')).toHaveLength(1);
    expect(events('qrcode')[0]).toMatchObject({ session: SESSION, urlcode: expect.stringMatching(/^2@/) as string });
  });

  it('closes the session when the QR is not scanned in time, keeping the stale QR', async () => {
    await sim.close();
    sim = await createSimulator({ timing: { ...FAST_TIMING, qrTimeoutMs: 800 } });
    client = makeClient();
    await client.startSession(SESSION, { webhookUrl: receiver.url });
    await waitFor(() => events('status-find').length === 1);
    await waitFor(async () => (await client.getSessionStatus(SESSION)).state === 'CLOSED');
    expect(await client.getSessionStatus(SESSION)).toEqual({ state: 'CLOSED', qrAvailable: false, version: '2.10.4' });
    expect((await client.getQrCode(SESSION))?.subarray(0, 4)).toEqual(PNG_SIGNATURE);
    await waitFor(() => events('status-find').length >= 3);
    expect(events('status-find').map((e) => e.status)).toEqual(['notLogged', 'browserClose', 'qrReadError']);
  });

  it('restores a closed session without a QR and forgets it after the phone unlinks', async () => {
    await connect();
    await client.closeSession(SESSION);
    expect(await client.getSessionStatus(SESSION)).toMatchObject({ state: 'CLOSED' });
    await client.startSession(SESSION, { webhookUrl: receiver.url });
    await waitFor(async () => (await client.getSessionStatus(SESSION)).state === 'CONNECTED');
    await waitFor(() => events('status-find', (e) => e.status === 'isLogged').length === 1);
    expect(events('closesession')).toEqual([
      { event: 'closesession', session: SESSION, message: `Session: ${SESSION} disconnected`, connected: false },
    ]);

    expect(sim.state.unlink(SESSION)).toBe(true);
    expect(await client.getSessionStatus(SESSION)).toEqual({ state: 'CLOSED', qrAvailable: false, version: undefined });
    await waitFor(() => events('status-find', (e) => e.status === 'disconnectedMobile').length === 1);
    await client.startSession(SESSION, { webhookUrl: receiver.url });
    await waitFor(async () => (await client.getSessionStatus(SESSION)).state === 'QRCODE');
  });

  it('treats close-session on a never-started session as a failed operation', async () => {
    const error = await client.closeSession(SESSION).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppOperationFailedError);
    expect(error).toMatchObject({ status: 500, retryable: false });
  });

  it('logs out: answers, posts logoutsession and forgets the session', async () => {
    await connect();
    await client.logoutSession(SESSION);
    await waitFor(() => events('logoutsession').length === 1);
    expect(await client.getSessionStatus(SESSION)).toMatchObject({ state: 'CLOSED' });
  });
});

describe('sending', () => {
  beforeEach(async () => {
    await connect();
  });

  it('sends a text and reports the message id, the chat and the server ack', async () => {
    const sent = await client.sendText(SESSION, { to: `+${PATIENT}`, text: 'Olá, como posso ajudar?' });
    expect(sent).toEqual({
      messageId: expect.stringMatching(new RegExp(`^true_${PATIENT}@c\\.us_3EB0[0-9A-F]{16}$`)) as string,
      chatId: `${PATIENT}@c.us`,
      ack: 1,
    });
    expect(sim.state.sent).toEqual([
      expect.objectContaining({
        messageId: sent.messageId,
        route: 'send-message',
        type: 'chat',
        text: 'Olá, como posso ajudar?',
      }),
    ]);
  });

  it('posts onack 1 → 2 → 3 for a sent message, correlated by id._serialized', async () => {
    const sent = await client.sendText(SESSION, { to: PATIENT, text: 'ok' });
    const acksOf = () => events('onack', (e) => (e.id as { _serialized: string })._serialized === sent.messageId);
    await waitFor(() => acksOf().length === 3);
    expect(acksOf().map((e) => e.ack)).toEqual([1, 2, 3]);
    expect(acksOf()[0]?.id).toEqual({
      fromMe: true,
      remote: `${PATIENT}@c.us`,
      id: sent.messageId.split('_')[2],
      _serialized: sent.messageId,
    });
  });

  it('sends images and documents as data URIs', async () => {
    const image = await client.sendImage(SESSION, {
      to: PATIENT,
      base64: 'AAEC',
      mimetype: 'image/png',
      caption: 'receita',
    });
    const doc = await client.sendDocument(SESSION, {
      to: PATIENT,
      base64: 'JVBERi0=',
      mimetype: 'application/pdf',
      filename: 'orientacoes.pdf',
    });
    expect(image).toMatchObject({ chatId: `${PATIENT}@c.us`, ack: 1 });
    expect(doc).toMatchObject({ chatId: `${PATIENT}@c.us`, ack: 1 });
    expect(sim.state.sent.map((r) => [r.route, r.type, r.mimetype, r.caption, r.filename, r.mediaBytes])).toEqual([
      ['send-image', 'image', 'image/png', 'receita', undefined, 3],
      ['send-file-base64', 'document', 'application/pdf', undefined, 'orientacoes.pdf', 5],
    ]);
  });

  it('sends to groups and LIDs with the right flag so the server keeps the id', async () => {
    const group = await client.sendText(SESSION, { to: '120363000000000001@g.us', text: 'grupo' });
    const lid = await client.sendText(SESSION, { to: '123456789012345@lid', text: 'lid' });
    expect([group.chatId, lid.chatId]).toEqual(['120363000000000001@g.us', '123456789012345@lid']);
  });

  it('reports a number that is not on WhatsApp as a permanent WppRecipientNotFoundError', async () => {
    sim.state.setFaults({ unknownNumbers: ['5511999990009'] });
    const error = await client.sendText(SESSION, { to: '5511999990009', text: 'oi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppRecipientNotFoundError);
    expect(error).toMatchObject({
      status: 400,
      retryable: false,
      bodyExcerpt: expect.stringContaining('não existe') as string,
    });
    expect(sim.state.sent).toEqual([]);
  });

  it('reports a session without a live browser as WppSessionUnavailableError, even when status says CONNECTED', async () => {
    sim.state.crash(SESSION);
    expect(await client.getSessionStatus(SESSION)).toMatchObject({ state: 'CONNECTED' });
    expect(await client.checkConnection(SESSION)).toBe(false);
    const error = await client.sendText(SESSION, { to: PATIENT, text: 'oi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppSessionUnavailableError);
    expect(error).toMatchObject({ status: 404, retryable: true, type: 'WppSessionUnavailable' });
  });

  it('reports 5xx, hangs and refused connections as WppTransientError', async () => {
    sim.state.setFaults({ send5xxRate: 1 });
    const e500 = await client.sendText(SESSION, { to: PATIENT, text: 'oi' }).catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(WppTransientError);
    expect(e500).toMatchObject({ status: 500, retryable: true });

    sim.state.setFaults({ send5xxRate: 0, hangRate: 1 });
    const quick = makeClient(200);
    const hang = await quick.getSessionStatus(SESSION).catch((e: unknown) => e);
    expect(hang).toBeInstanceOf(WppTransientError);
    expect(hang).toMatchObject({ status: 0, retryable: true });

    const nowhere = createWppConnectClient({ baseUrl: 'http://127.0.0.1:9/api', secretKey: secret, timeoutMs: 1000 });
    const refused = await nowhere.getSessionStatus(SESSION).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WppTransientError);
    expect(refused).toMatchObject({ status: 0, bodyExcerpt: 'ECONNREFUSED' });
  });

  it('answers 400 "não existe" while wa-js keeps a failed look-up cached, then sends (flakyLookupNumbers)', async () => {
    sim.state.setFaults({ flakyLookupNumbers: ['5511999990008'] });
    const first = await client.sendText(SESSION, { to: '5511999990008', text: 'oi' }).catch((e: unknown) => e);
    const cached = await client.sendText(SESSION, { to: '5511999990008', text: 'oi' }).catch((e: unknown) => e);
    expect([first, cached]).toEqual([expect.any(WppRecipientNotFoundError), expect.any(WppRecipientNotFoundError)]);
    expect(sim.state.faults.flakyLookupNumbers).toEqual([]);
    await new Promise((r) => setTimeout(r, FAST_TIMING?.lookupCacheMs ?? 0));
    const sent = await client.sendText(SESSION, { to: '5511999990008', text: 'oi' });
    expect(sent.chatId).toBe('5511999990008@c.us');
    expect(sim.state.sent.map((r) => r.messageId)).toEqual([sent.messageId]);
  });

  it('answers 500 to every send that throws inside the server, a permanent error included (failingNumbers)', async () => {
    sim.state.setFaults({ failingNumbers: ['5511999990007'] });
    for (let i = 0; i < 2; i++) {
      const error = await client.sendText(SESSION, { to: '5511999990007', text: 'oi' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WppTransientError);
      expect(error).toMatchObject({ status: 500, bodyExcerpt: expect.stringContaining('Erro ao enviar') as string });
    }
    expect(sim.state.sent).toEqual([]);
  });

  it('refuses an unusable recipient without calling the server', async () => {
    const before = requests.length;
    const error = await client.sendText(SESSION, { to: 'not a phone', text: 'oi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppRecipientNotFoundError);
    expect(requests.length).toBe(before);
  });
});

describe('reading back (catch-up)', () => {
  beforeEach(async () => {
    await connect();
  });

  it('returns injected and sent messages oldest first with string ids', async () => {
    const injected = sim.state.inject({ session: SESSION, from: PATIENT, text: 'estou com febre', name: 'Alice' });
    const sent = await client.sendText(SESSION, { to: PATIENT, text: 'Há quanto tempo?' });
    const messages = await client.getMessages(SESSION, `${PATIENT}@c.us`, { count: 10 });
    expect(messages.map((m) => [m.id, m.fromMe, m.chatId, m.body])).toEqual([
      [injected.id, false, `${PATIENT}@c.us`, 'estou com febre'],
      [sent.messageId, true, `${PATIENT}@c.us`, 'Há quanto tempo?'],
    ]);
    expect(messages[0]).toMatchObject({
      from: `${PATIENT}@c.us`,
      notifyName: 'Alice',
      type: 'chat',
      isGroupMsg: false,
    });
    const older = await client.getMessages(SESSION, `${PATIENT}@c.us`, { beforeMessageId: sent.messageId });
    expect(older.map((m) => m.id)).toEqual([injected.id]);
  });

  it('lists chats and unread messages, including a message whose webhook was lost', async () => {
    const lost = sim.state.inject({
      session: SESSION,
      from: '5511999990002',
      text: 'alguém aí?',
      deliverWebhook: false,
    });
    expect(lost.webhook).toBe('skipped');
    const chats = await client.listChats(SESSION, { count: 10 });
    expect(chats).toEqual([
      {
        id: '5511999990002@c.us',
        t: expect.any(Number) as number,
        unreadCount: 1,
        isGroup: false,
        name: 'Paciente Exemplo',
      },
    ]);
    const unread = await client.getUnreadMessages(SESSION);
    expect(unread.map((m) => m.id)).toEqual([lost.id]);
    expect(events('onmessage')).toEqual([]);
  });

  it('fetches media of an injected image and keeps its bytes out of the message list', async () => {
    const injected = sim.state.inject({
      session: SESSION,
      from: PATIENT,
      type: 'image',
      base64: 'iVBORw0K',
      mimetype: 'image/png',
    });
    const media = collector();
    expect(await client.getMediaByMessage(SESSION, injected.id, media.options(1000))).toEqual({
      mimetype: 'image/png',
      bytes: 6,
    });
    expect(media.bytes().toString('base64')).toBe('iVBORw0K');
    const [message] = await client.getMessages(SESSION, `${PATIENT}@c.us`);
    expect(message).toMatchObject({ id: injected.id, type: 'image', mimetype: 'image/png', size: 6 });
    expect(message?.body).toBeUndefined();
  });

  it('streams a large file to the writer in pieces as it arrives, never as one buffer', async () => {
    const file = Buffer.alloc(300_000, 7);
    const injected = sim.state.inject({
      session: SESSION,
      from: PATIENT,
      type: 'document',
      base64: file.toString('base64'),
      mimetype: 'application/pdf',
    });
    sim.state.setFaults({ mediaBodyChunked: true });
    const media = collector();
    const result = await client.getMediaByMessage(SESSION, injected.id, media.options(300_000));
    expect(result).toEqual({ mimetype: 'application/pdf', bytes: 300_000 });
    expect(media.bytes().equals(file)).toBe(true);
    expect(media.writes()).toBeGreaterThan(1);
  });

  it('answers an unknown message with WppOperationFailedError 400, and a failed download with WppTransientError 500', async () => {
    const missing = await client
      .getMediaByMessage(SESSION, 'false_x@c.us_NOPE', collector().options(1000))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(WppOperationFailedError);
    expect(missing).toMatchObject({ status: 400, retryable: false });

    const injected = sim.state.inject({ session: SESSION, from: PATIENT, type: 'image' });
    sim.state.setFaults({ mediaDownloadError: 400 });
    const unknown = await client
      .getMediaByMessage(SESSION, injected.id, collector().options(1000))
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ type: 'WppOperationFailed', status: 400 });
    sim.state.setFaults({ mediaDownloadError: 500 });
    const media = collector();
    const failed = await client.getMediaByMessage(SESSION, injected.id, media.options(1000)).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(WppTransientError);
    expect(failed).toMatchObject({ status: 500, retryable: true });
    expect(media.writes()).toBe(0);
  });

  it('refuses media whose Content-Length is over the limit before reading any of it', async () => {
    const injected = sim.state.inject({ session: SESSION, from: PATIENT, type: 'image' });
    sim.state.setFaults({ mediaBodyBytes: 5_000_000 });
    const media = collector();
    const error = await client.getMediaByMessage(SESSION, injected.id, media.options(100_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppResponseTooLargeError);
    expect(error).toMatchObject({ type: 'WppResponseTooLarge', retryable: false, seen: expect.any(Number) as number });
    expect((error as WppResponseTooLargeError).seen).toBeGreaterThan(5_000_000);
    expect(media.writes()).toBe(0);
  });

  it('counts the bytes of media sent without Content-Length and stops at the limit', async () => {
    const injected = sim.state.inject({ session: SESSION, from: PATIENT, type: 'image' });
    sim.state.setFaults({ mediaBodyBytes: 50_000_000, mediaBodyChunked: true });
    const media = collector();
    const error = await client.getMediaByMessage(SESSION, injected.id, media.options(100_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppResponseTooLargeError);
    expect(error).toMatchObject({ limit: 100_000 });
    expect(media.bytes().length).toBeLessThanOrEqual(100_000);
  });

  it('caps every other response body too (maxResponseBytes)', async () => {
    for (let i = 0; i < 30; i++) sim.state.inject({ session: SESSION, from: `55119999900${10 + i}`, text: 'oi' });
    const small = createWppConnectClient({
      baseUrl: `${sim.url}/api`,
      getSecretKey: () => secret,
      timeoutMs: 10_000,
      maxResponseBytes: 2_000,
      dispatcher,
    });
    const error = await small.listChats(SESSION, { count: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppResponseTooLargeError);
    expect(error).toMatchObject({ operation: 'list-chats', limit: 2_000, retryable: false });
    expect(await client.listChats(SESSION, { count: 50 })).toHaveLength(30);
  });

  it('treats get-messages 401 "Error on open list" as a failed read, not an auth problem', async () => {
    const error = await client.getMessages(SESSION, '5511999990077@c.us').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppOperationFailedError);
    expect(error).toMatchObject({ status: 401, type: 'WppOperationFailed' });
    expect(tokenRequests()).toHaveLength(1);
  });
});

describe('webhooks', () => {
  beforeEach(async () => {
    await connect();
  });

  it('posts an injected patient message like WPPConnect: axios headers, no auth, media as bare base64', async () => {
    const text = sim.state.inject({ session: SESSION, from: PATIENT, text: 'dor de cabeça' });
    const image = sim.state.inject({
      session: SESSION,
      from: PATIENT,
      type: 'image',
      base64: 'iVBORw0K',
      mimetype: 'image/png',
    });
    await waitFor(() => events('onmessage').length === 2);
    const byId = (id: string) => receiver.received.find((r) => r.body.id === id);
    expect(byId(text.id)?.body).toMatchObject({
      event: 'onmessage',
      session: SESSION,
      body: 'dor de cabeça',
      chatId: `${PATIENT}@c.us`,
    });
    expect(byId(image.id)?.body).toMatchObject({
      type: 'image',
      body: 'iVBORw0K',
      mimetype: 'image/png',
      isMedia: true,
    });
    const headers = byId(text.id)?.headers ?? {};
    expect([headers['content-type'], headers['user-agent'], headers.authorization]).toEqual([
      'application/json',
      'axios/1.21.1',
      undefined,
    ]);
  });

  it('applies dropped, duplicated and out-of-order webhook faults', async () => {
    sim.state.setFaults({ dropWebhookRate: 1 });
    const dropped = sim.state.inject({ session: SESSION, from: PATIENT, text: 'perdida' });
    sim.state.setFaults({ dropWebhookRate: 0, duplicateWebhookRate: 1 });
    const doubled = sim.state.inject({ session: SESSION, from: PATIENT, text: 'dobrada' });
    await waitFor(() => events('onmessage').length === 2);
    expect(events('onmessage').map((e) => e.id)).toEqual([doubled.id, doubled.id]);
    expect(sim.state.webhooks.records().find((r) => r.body.id === dropped.id)?.outcome).toBe('dropped');

    sim.state.setFaults({ duplicateWebhookRate: 0, outOfOrderAcks: true });
    const sent = await client.sendText(SESSION, { to: PATIENT, text: 'ok' });
    const acks = () => events('onack', (e) => (e.id as { _serialized: string })._serialized === sent.messageId);
    await waitFor(() => acks().length === 3);
    expect(acks().map((e) => e.ack)).toEqual([3, 2, 1]);
  });

  it('builds the webhook URL with the session and the token in the path', () => {
    expect(webhookUrlFor('http://api:3000/', 'clinic-a', 'tok en')).toBe(
      'http://api:3000/api/webhook/clinic-a/tok%20en',
    );
  });
});

describe('bounded attempts (WPPCONNECT_MAX_RETRIES) and event 2001', () => {
  const logged: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const hits = (route: string) => requests.filter((r) => r === route).length;

  beforeEach(() => {
    logged.length = 0;
  });

  it('tries an idempotent non-send call maxAttempts times while it times out, then fails it and logs 2001 once', async () => {
    client = makeClient(300, { maxAttempts: 4, logger });
    await client.getSessionStatus(SESSION); // the token exists before the server stops answering
    sim.state.setFaults({ hangRate: 1 });
    const error = await client.getSessionStatus(SESSION).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppTransientError);
    expect(hits(`GET /api/${SESSION}/status-session`)).toBe(1 + 4);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 40,
        event: 2001,
        msg: 'WhatsApp API Error',
        operation: 'status-session',
        session: SESSION,
        type: 'WppTransient',
        status: 0,
        attempts: 4,
      }),
    ]);
  });

  it('tries a send once: a send that timed out is for the send activity to look for and retry', async () => {
    await connect();
    client = makeClient(300, { maxAttempts: 4, logger });
    await client.getSessionStatus(SESSION);
    sim.state.setFaults({ hangRate: 1 });
    const error = await client.sendText(SESSION, { to: PATIENT, text: 'oi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppTransientError);
    expect(hits(`POST /api/${SESSION}/send-message`)).toBe(1);
    expect(logged).toEqual([expect.objectContaining({ event: 2001, operation: 'send-message', attempts: 1 })]);
  });

  it('does not repeat a close-session the server refuses while the session starts, and keeps its answer', async () => {
    client = makeClient(10_000, { maxAttempts: 4, logger });
    await client.startSession(SESSION, { webhookUrl: receiver.url });
    const error = await client.closeSession(SESSION).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WppOperationFailedError);
    expect(error).toMatchObject({
      status: 500,
      bodyExcerpt: expect.stringContaining('Error closing session') as string,
    });
    expect(hits(`POST /api/${SESSION}/close-session`)).toBe(1);
    expect(logged).toEqual([
      expect.objectContaining({
        event: 2001,
        operation: 'close-session',
        attempts: 1,
        answer: expect.stringContaining('"message":"Error closing session"') as string,
      }),
    ]);
  });
});

describe('reads for catch-up and @lid senders', () => {
  it('asks list-chats for person chats only (onlyUsers), leaving groups out on the server', async () => {
    await connect();
    sim.state.inject({ session: SESSION, from: PATIENT, text: 'oi' });
    sim.state.inject({ session: SESSION, from: '5511999990002', group: '120363000000000001', text: 'grupo' });
    expect((await client.listChats(SESSION)).map((c) => c.id).sort()).toEqual(
      [`${PATIENT}@c.us`, '120363000000000001@g.us'].sort(),
    );
    expect((await client.listChats(SESSION, { onlyUsers: true })).map((c) => c.id)).toEqual([`${PATIENT}@c.us`]);
  });

  it('maps an @lid id to the digits of its phone number through contact/pn-lid, or null when WhatsApp does not tell', async () => {
    await connect();
    sim.state.inject({ session: SESSION, from: '123456789012345@lid', phone: '5511999990003', text: 'oi' });
    expect(await client.getPhoneForLid(SESSION, '123456789012345@lid')).toBe('5511999990003');
    expect(await client.getPhoneForLid(SESSION, '999999999999999@lid')).toBeNull();
    expect(requests).toContain(`GET /api/${SESSION}/contact/pn-lid/123456789012345%40lid`);
    sim.state.crash(SESSION);
    await expect(client.getPhoneForLid(SESSION, '123456789012345@lid')).rejects.toBeInstanceOf(
      WppSessionUnavailableError,
    );
  });
});
