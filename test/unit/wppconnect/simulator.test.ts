/** The simulator's HTTP surface against wppconnect/CONTRACT.md and the samples, over real HTTP on 127.0.0.1. */
import { request } from 'undici';
import * as s from '../../../wppconnect/schemas';
import { createSimulator, type Simulator } from '../../../simulator/server';
import { FAST_TIMING, keys, sample, sampleAs, startReceiver, waitFor, type Receiver } from './support';

jest.setTimeout(30_000);

const SECRET = 'THISISMYSECURETOKEN';
const SESSION = 'demo-session';
const PATIENT = '5511999990001';

interface Reply {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

let sim: Simulator;
let receiver: Receiver;
let token: string;

async function call(
  method: 'GET' | 'POST',
  path: string,
  opts: { auth?: string | null; body?: unknown; contentType?: string; timeoutMs?: number } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.auth !== null) headers.authorization = opts.auth ?? `Bearer ${token}`;
  if (opts.body !== undefined || opts.contentType)
    headers['content-type'] = opts.contentType ?? 'application/json; charset=utf-8';
  const res = await request(`${sim.url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  const text = await res.body.text();
  const contentType = String(res.headers['content-type'] ?? '');
  let json: unknown;
  if (contentType.includes('json')) json = JSON.parse(text) as unknown;
  return { status: res.statusCode, contentType, text, json };
}

const api = (path: string): string => `/api/${SESSION}/${path}`;
const EXACT = { contentType: 'application/json' };

async function connectSession(): Promise<void> {
  await call('POST', api('start-session'), { body: { webhook: receiver.url } });
  await waitFor(() => sim.state.session(SESSION).status === 'QRCODE');
  sim.state.scan(SESSION);
  await waitFor(() => sim.state.session(SESSION).client);
}

function hooks(event: string): Record<string, unknown>[] {
  return receiver.received.map((r) => r.body).filter((b) => b.event === event);
}

beforeEach(async () => {
  sim = await createSimulator({ timing: FAST_TIMING, ownName: 'Demo Store' });
  receiver = await startReceiver();
  const generated = await call('POST', `/api/${SESSION}/${SECRET}/generate-token`, { auth: null });
  token = (generated.json as { token: string }).token;
});

afterEach(async () => {
  await sim.close();
  await receiver.close();
});

describe('auth', () => {
  it('mints $2b$10$ bcrypt tokens made URL-safe, and refuses a wrong secret with the 400 body', async () => {
    const ok = await call('POST', `/api/${SESSION}/${SECRET}/generate-token`, { auth: null });
    expect(ok.status).toBe(201);
    expect(s.generateTokenResponseSchema.parse(ok.json)).toEqual({
      status: 'success',
      session: SESSION,
      token: expect.stringMatching(/^\$2b\$10\$[A-Za-z0-9._]{53}$/) as string,
      full: `${SESSION}:${(ok.json as { token: string }).token}`,
    });
    const wrong = await call('POST', `/api/${SESSION}/nope/generate-token`, { auth: null });
    expect([wrong.status, wrong.json]).toEqual([400, sample('generate-token-wrong-secret.json')]);
  });

  it('accepts the token in the header (with `_` or `/`) or in the path, and answers the contract 401 bodies', async () => {
    expect((await call('GET', api('status-session'))).status).toBe(200);
    expect((await call('GET', api('status-session'), { auth: `Token ${token.replace(/_/g, '/')}` })).status).toBe(200);
    const byPath = await call('GET', `/api/${SESSION}:${token}/status-session`, { auth: 'Bearer garbage' });
    expect([byPath.status, byPath.json]).toEqual([200, sample('status-session-closed.json')]);
    const missing = await call('GET', api('status-session'), { auth: 'Bearer' });
    expect([missing.status, missing.json]).toEqual([401, sample('unauthorized-token-missing.json')]);
    const full = await call('GET', api('status-session'), { auth: `Bearer ${SESSION}:${token}` });
    expect([full.status, full.json]).toEqual([401, sample('unauthorized-token-invalid.json')]);
    const otherSession = await call('GET', '/api/other-session/status-session');
    expect(otherSession.status).toBe(401);
  });

  it('stops accepting every token once the secret changes', async () => {
    sim.state.setSecretKey('new-secret');
    const refused = await call('GET', api('status-session'));
    expect([refused.status, refused.json]).toEqual([401, sample('unauthorized-token-invalid.json')]);
  });

  it('lists stored sessions and starts them all even when start-all is given a wrong secret', async () => {
    await call('POST', api('start-session'), { body: { webhook: receiver.url } });
    await waitFor(() => sim.state.session(SESSION).status === 'QRCODE');
    // The phone unlinks: the record is forgotten, the stored config stays.
    expect(sim.state.unlink(SESSION)).toBe(true);
    const list = await call('GET', `/api/${SECRET}/show-all-sessions`, { auth: null });
    expect(list.json).toEqual({ response: [SESSION] });
    const wrongList = await call('GET', `/api/nope/show-all-sessions`, { auth: null });
    expect([wrongList.status, wrongList.json]).toEqual([400, sample('show-all-sessions-wrong-secret.json')]);
    const wrongStart = await call('POST', `/api/nope/start-all`, { auth: null });
    expect([wrongStart.status, wrongStart.json]).toEqual([400, sample('start-all-wrong-secret.json')]);
    await waitFor(() => sim.state.session(SESSION).status === 'QRCODE');
  });
});

describe('quirks of §0', () => {
  it('injects `session` only when the request Content-Type is exactly application/json', async () => {
    const fresh = await call('POST', api('start-session'), { body: { webhook: receiver.url }, ...EXACT });
    expect(fresh.json).toEqual(sample('start-session-response-fresh.json'));
    const exact = await call('GET', api('status-session'), EXACT);
    expect(exact.json).toEqual({ status: 'INITIALIZING', qrcode: null, version: '2.10.4', session: SESSION });
    const charset = await call('GET', api('status-session'), { contentType: 'application/json; charset=utf-8' });
    expect(charset.json).toEqual(sample('status-session-initializing.json'));
    const unauthorized = await call('GET', api('status-session'), { auth: 'Bearer x', ...EXACT });
    expect(unauthorized.json).toEqual(sample('unauthorized-token-invalid.json'));
  });

  it('never answers a non-JSON body under the exact Content-Type (healthz, QR PNG)', async () => {
    const healthz = await call('GET', '/healthz', { auth: null });
    expect(healthz.status).toBe(200);
    expect(keys(healthz.json)).toEqual(keys(sample('healthz.json')));
    await expect(call('GET', '/healthz', { auth: null, ...EXACT, timeoutMs: 300 })).rejects.toThrow();
  });

  it('answers unknown routes and malformed JSON with Express HTML pages', async () => {
    const unknown = await call('GET', api('nope'));
    expect([unknown.status, unknown.contentType, unknown.text]).toEqual([
      404,
      'text/html; charset=utf-8',
      expect.stringContaining(`Cannot GET /api/${SESSION}/nope`) as string,
    ]);
    const malformed = await call('POST', api('send-message'), { body: '{"phone":' });
    expect([malformed.status, malformed.contentType]).toEqual([400, 'text/html; charset=utf-8']);
  });
});

describe('session routes', () => {
  it('walks the states with the sample shapes, holds waitQrCode until the QR and keeps the stale QR', async () => {
    expect((await call('GET', api('qrcode-session'))).json).toEqual(sample('qrcode-session-not-started.json'));
    expect((await call('GET', api('check-connection-session'))).json).toEqual(
      sample('check-connection-disconnected.json'),
    );
    const waited = await call('POST', api('start-session'), { body: { webhook: receiver.url, waitQrCode: true } });
    expect(s.startSessionResponseSchema.parse(waited.json)).toMatchObject({ status: 'qrcode', session: SESSION });
    expect(keys(waited.json)).toEqual(keys(sample('start-session-response-waitqrcode.json')));
    const qr = await call('GET', api('status-session'));
    expect(keys(qr.json)).toEqual(keys(sample('status-session-qrcode.json')));
    expect((qr.json as { qrcode: string }).qrcode).toMatch(/^data:image\/png;base64,/);
    const png = await call('GET', api('qrcode-session'));
    expect([png.status, png.contentType]).toEqual([200, 'image/png']);
    expect((await call('POST', api('close-session'), { body: {} })).json).toEqual(sample('close-session-error.json'));
    sim.state.scan(SESSION);
    await waitFor(() => sim.state.session(SESSION).client);
    const connected = await call('GET', api('status-session'));
    expect(keys(connected.json)).toEqual(keys(sample('status-session-connected-after-qr-login.json')));
    expect((await call('GET', api('check-connection-session'))).json).toEqual(
      sample('check-connection-connected.json'),
    );
    expect((await call('POST', api('close-session'), { body: {} })).json).toEqual(sample('close-session.json'));
    expect((await call('GET', api('status-session'))).json).toEqual(sample('status-session-closed.json'));
    expect((await call('GET', api('qrcode-session'))).json).toEqual({
      status: null,
      message: 'QRCode is not available...',
    });
  });

  it('answers send and read routes with 404 "não está ativa" while there is no live client', async () => {
    const send = await call('POST', api('send-message'), { body: { phone: PATIENT, message: 'oi' } });
    expect([send.status, send.json]).toEqual([404, sample('session-not-active.json')]);
    const read = await call('GET', api('all-unread-messages'));
    expect([read.status, read.json]).toEqual([404, sample('session-not-active.json')]);
  });
});

describe('messages and webhooks', () => {
  beforeEach(async () => {
    await connectSession();
  });

  it('answers send-message with full messages shaped like the sample, and posts acks shaped like onack', async () => {
    const sent = await call('POST', api('send-message'), { body: sample('send-message-request.json'), ...EXACT });
    expect(sent.status).toBe(201);
    const body = s.sendMessageResponseSchema.parse(sent.json);
    const expected = sampleAs<{ response: Record<string, unknown>[] }>('send-message-response.json');
    expect(keys(body)).toEqual(keys(expected));
    expect(keys(body.response[0])).toEqual(keys(expected.response[0]));
    expect(keys(body.response[0]?.sender)).toEqual(keys(expected.response[0]?.sender));
    await waitFor(() => hooks('onack').length === 3);
    const ack = hooks('onack')[2];
    expect(keys(ack)).toEqual(keys(sample('webhook-onack.json')));
    expect(s.onAckEventSchema.parse(ack)).toMatchObject({ ack: 3, id: { _serialized: body.response[0]?.id } });
  });

  it('normalises recipients like §3.1 and reports unknown numbers with the 400 body', async () => {
    const multi = await call('POST', api('send-message'), {
      body: { phone: ['+55 (11) 99999-0001'.replace(/ /g, ''), '120363000000000001'], message: 'x' },
    });
    const ids = (multi.json as { response: { to: string }[] }).response.map((m) => m.to);
    expect(ids).toEqual(['5511999990001@c.us', '120363000000000001@lid']);
    sim.state.setFaults({ unknownNumbers: ['5511999990009'] });
    const missing = await call('POST', api('send-message'), {
      body: { phone: '5511999990009', message: 'x' },
      ...EXACT,
    });
    expect([missing.status, missing.json]).toEqual([400, sample('number-not-exists.json')]);
  });

  it('reproduces the empty-phone and bare-base64 failures', async () => {
    const exact = await call('POST', api('send-message'), { body: { message: 'x' }, ...EXACT });
    expect([exact.status, exact.json]).toEqual([201, sample('send-message-empty-phone-json.json')]);
    const charset = await call('POST', api('send-message'), { body: { message: 'x' } });
    expect([charset.status, charset.json]).toEqual([400, sample('send-message-empty-phone.json')]);
    const bare = await call('POST', api('send-file-base64'), { body: { phone: PATIENT, base64: 'JVBERi0=' } });
    expect(bare.status).toBe(500);
    expect(s.sendErrorResponseSchema.safeParse(bare.json).success).toBe(true);
    const file = await call('POST', api('send-file-base64'), {
      body: sample('send-file-base64-request.json'),
      ...EXACT,
    });
    expect(file.status).toBe(201);
    expect(keys(file.json)).toEqual(keys(sample('send-file-response.json')));
  });

  it.each([
    ['webhook-onmessage-text.json', { text: 'Olá' }],
    ['webhook-onmessage-image.json', { type: 'image', caption: 'Foto' }],
    ['webhook-onmessage-document.json', { type: 'document', caption: 'Segue', filename: 'a.pdf' }],
    ['webhook-onmessage-ptt.json', { type: 'ptt' }],
    ['webhook-onmessage-location.json', { type: 'location', address: 'Av. Paulista, 1000' }],
    ['webhook-onmessage-group-text.json', { text: 'Bom dia', group: '120363000000000001@g.us', from: '5511999990002' }],
    ['webhook-onmessage-lid.json', { text: 'Oi', from: '123456789012345@lid', savedName: undefined }],
  ] as const)('posts an injected message with the same keys as %s', async (file, input) => {
    const injected = sim.state.inject({
      session: SESSION,
      from: PATIENT,
      name: 'Alice Example',
      savedName: 'Alice Example',
      ...input,
    });
    expect(injected.webhook).toBe('posted');
    await waitFor(() => hooks('onmessage').length === 1);
    const hook = hooks('onmessage')[0];
    const expected = sample(file);
    expect(keys(hook)).toEqual(keys(expected));
    expect(keys(hook?.sender)).toEqual(keys(expected.sender));
    expect(s.parseWebhookEvent(hook)).toMatchObject({ ok: true, event: { event: 'onmessage', id: injected.id } });
  });

  it('serves injected and sent messages from the read routes with Wid objects, like the samples', async () => {
    const quoted = await call('POST', api('send-message'), { body: { phone: PATIENT, message: 'Pedido confirmado' } });
    const quotedId = (quoted.json as { response: { id: string }[] }).response[0]?.id ?? '';
    const reply = sim.state.inject({
      session: SESSION,
      from: PATIENT,
      name: 'Alice Example',
      savedName: 'Alice Example',
      text: 'Obrigada',
      quotedMsgId: quotedId,
    });
    await waitFor(() => hooks('onmessage').length === 1);
    expect(keys(hooks('onmessage')[0])).toEqual(keys(sample('webhook-onmessage-reply.json')));

    const messages = await call('GET', api(`get-messages/${PATIENT}@c.us?count=20`));
    const list = s.messageListResponseSchema.parse(messages.json).response;
    expect(list.map((m) => m.id)).toEqual([quotedId, reply.id]);
    expect(list[1]?.chatId).toEqual({ server: 'c.us', user: PATIENT, _serialized: `${PATIENT}@c.us` });
    const sampleMessage = sampleAs<{ response: Record<string, unknown>[] }>('get-messages.json').response[0];
    const { quotedMsg, quotedStanzaID, quotedParticipant, quotedRemoteJid, quotedMsgId, ...plain } = (list[1] ??
      {}) as Record<string, unknown>;
    expect(
      [quotedMsg, quotedStanzaID, quotedParticipant, quotedRemoteJid, quotedMsgId].every((v) => v !== undefined),
    ).toBe(true);
    expect(keys(plain)).toEqual(keys(sampleMessage));

    const unknownChat = await call('GET', api('get-messages/5511999990077@c.us'));
    expect(s.getMessagesErrorResponseSchema.parse(unknownChat.json).response).toBe('Error on open list');
    expect(unknownChat.status).toBe(401);

    const byId = await call('GET', api(`message-by-id/${reply.id}`));
    expect(byId.status).toBe(201);
    expect(keys((byId.json as { response: unknown }).response)).toEqual(
      keys(sampleAs<{ response: unknown }>('message-by-id.json').response),
    );

    const chats = await call('POST', api('list-chats'), { body: sample('list-chats-request.json') });
    expect(chats.json).toEqual([]); // replying marked the chat read, and the webhook 2xx did too
    sim.state.inject({
      session: SESSION,
      from: '5511999990002',
      text: 'x',
      group: '120363000000000001',
      deliverWebhook: false,
    });
    const all = s.listChatsResponseSchema.parse((await call('POST', api('list-chats'), { body: {} })).json);
    const sampleChats = sampleAs<Record<string, unknown>[]>('list-chats.json');
    expect(all.map((c) => keys(c))).toEqual([keys(sampleChats[1]), keys(sampleChats[0])]);

    const unread = await call('GET', api('unread-messages'));
    expect(s.unreadMessagesResponseSchema.parse(unread.json).response).toHaveLength(1);
    expect((await call('GET', api('all-unread-messages'))).json).toEqual({ status: 'success', response: [] });
  });

  it('answers check-number-status and contact/pn-lid in the sample shapes', async () => {
    const exists = await call('GET', api(`check-number-status/${PATIENT}`));
    expect(exists.json).toEqual(sample('check-number-status.json'));
    sim.state.setFaults({ unknownNumbers: ['5511999990009'] });
    const missing = await call('GET', api('check-number-status/5511999990009'));
    expect(missing.json).toEqual(sample('check-number-status-not-found.json'));
    sim.state.inject({ session: SESSION, from: '123456789012345@lid', phone: '5511999990003', text: 'oi' });
    const pnLid = await call('GET', api('contact/pn-lid/123456789012345@lid'));
    const expected = sampleAs<{ lid: unknown; phoneNumber: unknown }>('contact-pn-lid.json');
    expect(pnLid.json).toMatchObject({ lid: expected.lid, phoneNumber: expected.phoneNumber });
  });

  it('forgets the session when the phone unlinks, with disconnectedMobile', async () => {
    const unlink = await call('POST', '/__sim/unlink', { auth: null, body: { session: SESSION } });
    expect([unlink.status, unlink.json]).toEqual([200, { ok: true }]);
    expect((await call('GET', api('status-session'))).json).toEqual(sample('status-session-closed.json'));
    await waitFor(() => hooks('status-find').some((h) => h.status === 'disconnectedMobile'));
    expect(hooks('status-find').find((h) => h.status === 'disconnectedMobile')).toEqual(
      sample('webhook-status-find-disconnected-mobile.json'),
    );
  });
});

describe('control routes', () => {
  it('injects over HTTP, validates the body, and reports sent messages, webhooks and state', async () => {
    await connectSession();
    const bad = await call('POST', '/__sim/inject', { auth: null, body: { session: SESSION, text: 'no from' } });
    expect(bad.status).toBe(400);
    expect((bad.json as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['from']);
    const ok = await call('POST', '/__sim/inject', {
      auth: null,
      body: { session: SESSION, from: PATIENT, text: 'oi' },
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toEqual({
      id: expect.stringMatching(/^false_5511999990001@c\.us_3A/) as string,
      chatId: `${PATIENT}@c.us`,
      webhook: 'posted',
    });
    await call('POST', api('send-message'), { body: { phone: PATIENT, message: 'resposta' } });
    const sent = (await call('GET', '/__sim/sent', { auth: null })).json as { text: string }[];
    expect(sent.map((r) => r.text)).toEqual(['resposta']);
    await waitFor(() => hooks('onmessage').length === 1);
    await sim.state.webhooks.idle();
    const delivered = (await call('GET', '/__sim/webhooks?event=onmessage', { auth: null })).json as {
      outcome: string;
    }[];
    expect(delivered.map((r) => r.outcome)).toEqual(['delivered']);
    const faults = await call('POST', '/__sim/faults', { auth: null, body: { send5xxRate: 2 } });
    expect(faults.status).toBe(400);
    const state = (await call('GET', '/__sim/state', { auth: null })).json as {
      sessions: { name: string; status: string }[];
    };
    expect(state.sessions).toEqual([expect.objectContaining({ name: SESSION, status: 'CONNECTED' })]);
    expect((await call('POST', '/__sim/reset', { auth: null, body: {} })).json).toEqual({ ok: true });
    expect((await call('GET', '/__sim/sent', { auth: null })).json).toEqual([]);
  });
});

describe('sessions stuck between states', () => {
  const state = async () =>
    ((await call('GET', '/__sim/state', { auth: null })).json as { sessions: Record<string, unknown>[] }).sessions[0];
  const control = (path: string, body: unknown = {}) => call('POST', `/__sim/${path}`, { auth: null, body });

  it('resets the record on a close during the QR phase (500) and leaves the old browser holding the profile', async () => {
    await call('POST', api('start-session'), { body: { webhook: receiver.url } });
    await waitFor(() => sim.state.session(SESSION).status === 'QRCODE');
    const closed = await call('POST', api('close-session'), { body: {} });
    expect([closed.status, closed.json]).toEqual([500, sample('close-session-error.json')]);
    // The record is gone (status-session says CLOSED) but the first Chromium runs on.
    expect((await call('GET', api('status-session'))).json).toEqual(sample('status-session-closed.json'));
    expect(await state()).toMatchObject({ record: 'reset', browser: null, profileHeldBy: 'orphan' });

    // start-session answers 200 and launches nothing: "The browser is already running".
    const started = await call('POST', api('start-session'), { body: { webhook: receiver.url } });
    expect([started.status, started.json]).toEqual([200, sample('status-session-closed.json')]);
    await new Promise((r) => setTimeout(r, 100));
    expect((await call('GET', api('status-session'))).json).toMatchObject({ status: 'INITIALIZING', qrcode: null });
    expect(await state()).toMatchObject({ record: 'live', status: 'INITIALIZING', browser: null });
    expect((await call('GET', api('check-connection-session'))).json).toEqual(
      sample('check-connection-disconnected.json'),
    );
    // A later start changes nothing: the ghost is INITIALIZING, and start-session ignores running sessions.
    const again = await call('POST', api('start-session'), { body: {} });
    expect(again.json).toMatchObject({ status: 'INITIALIZING' });
  });

  it('frees the profile when the orphan auto-closes after its QR timeout: close + start then works', async () => {
    await sim.close();
    sim = await createSimulator({ timing: { ...FAST_TIMING, qrTimeoutMs: 1500, qrRotateMs: 10_000 } });
    token = ((await call('POST', `/api/${SESSION}/${SECRET}/generate-token`, { auth: null })).json as { token: string })
      .token;
    await call('POST', api('start-session'), { body: { webhook: receiver.url } });
    await waitFor(() => sim.state.session(SESSION).status === 'QRCODE');
    expect((await call('POST', api('close-session'), { body: {} })).status).toBe(500);
    await call('POST', api('start-session'), { body: {} });
    // The orphan's auto-close is still posted, named, as the old client's events.
    await waitFor(() => hooks('status-find').some((h) => h.status === 'qrReadError'));
    expect(hooks('status-find').filter((h) => h.status === 'browserClose')).toEqual([
      { event: 'status-find', session: SESSION, status: 'browserClose' },
    ]);
    expect(await state()).toMatchObject({ status: 'INITIALIZING', browser: null, profileHeldBy: null });
    // The ghost only goes with a close (500 again, record reset); the next start launches a browser.
    expect((await call('POST', api('close-session'), { body: {} })).status).toBe(500);
    await call('POST', api('start-session'), { body: {} });
    await waitFor(() => sim.state.session(SESSION).status === 'QRCODE');
    expect(await state()).toMatchObject({ status: 'QRCODE', browser: 'qr', profileHeldBy: 'record' });
  });

  it('lets a scan of the orphan log in and take the record over, as the server stores the client at login', async () => {
    await call('POST', api('start-session'), { body: { webhook: receiver.url } });
    await waitFor(() => sim.state.session(SESSION).status === 'QRCODE');
    expect((await call('POST', api('close-session'), { body: {} })).status).toBe(500);
    expect((await control('scan', { session: SESSION })).status).toBe(200);
    await waitFor(() => sim.state.session(SESSION).client);
    expect((await call('GET', api('status-session'))).json).toMatchObject({ status: 'CONNECTED' });
    expect(await state()).toMatchObject({ record: 'live', browser: 'connected', profileHeldBy: 'record' });
  });

  it('keeps a browser INITIALIZING forever while WhatsApp Web is unreachable, until the server restarts', async () => {
    expect((await control('faults', { whatsappWebUnreachable: true })).status).toBe(200);
    await call('POST', api('start-session'), { body: { webhook: receiver.url } });
    await new Promise((r) => setTimeout(r, 100));
    expect(await state()).toMatchObject({ status: 'INITIALIZING', browser: 'loading', profileHeldBy: 'record' });
    expect(hooks('status-find')).toEqual([]);
    expect((await call('POST', api('close-session'), { body: {} })).status).toBe(500);
    await call('POST', api('start-session'), { body: {} });
    await new Promise((r) => setTimeout(r, 100));
    expect(await state()).toMatchObject({ status: 'INITIALIZING', browser: null, profileHeldBy: 'orphan' });

    // The network is fixed and the server process restarted: start-all brings the stored session back.
    await control('faults', { whatsappWebUnreachable: false });
    expect((await control('restart-server')).json).toEqual({ ok: true });
    expect(await state()).toMatchObject({ record: 'none', browser: null, profileHeldBy: null });
    await waitFor(() => sim.state.session(SESSION).status === 'QRCODE');
    expect(await state()).toMatchObject({ record: 'live', browser: 'qr', profileHeldBy: 'record' });
    // Tokens survive a restart (they are bcrypt hashes of the secret).
    expect((await call('GET', api('status-session'))).status).toBe(200);
  });

  it('leaves a ghost INITIALIZING when Chromium cannot be launched, holding no profile', async () => {
    await control('faults', { browserLaunchFails: true });
    const started = await call('POST', api('start-session'), { body: { webhook: receiver.url } });
    expect([started.status, started.json]).toEqual([200, sample('status-session-closed.json')]);
    await new Promise((r) => setTimeout(r, 100));
    expect(await state()).toMatchObject({ status: 'INITIALIZING', browser: null, profileHeldBy: null });
    expect(hooks('status-find')).toEqual([]);
    expect((await call('POST', api('close-session'), { body: {} })).status).toBe(500);
    await control('faults', { browserLaunchFails: false });
    await call('POST', api('start-session'), { body: {} });
    await waitFor(() => sim.state.session(SESSION).status === 'QRCODE');
  });
});

describe('messages typed on the linked phone, and @lid senders', () => {
  beforeEach(async () => {
    await connectSession();
  });

  it('stores a phone-typed message as fromMe and posts onselfmessage only when the server has it enabled', async () => {
    const off = await call('POST', '/__sim/phone-message', {
      auth: null,
      body: { session: SESSION, to: PATIENT, text: 'Aqui é a Ana' },
    });
    expect([off.status, off.json]).toEqual([
      201,
      {
        id: expect.stringMatching(/^true_5511999990001@c\.us_3A/) as string,
        chatId: `${PATIENT}@c.us`,
        webhook: 'disabled',
      },
    ]);
    const config = await call('POST', '/__sim/config', { auth: null, body: { onSelfMessage: true } });
    expect(config.json).toEqual({ onSelfMessage: true });
    const on = await call('POST', '/__sim/phone-message', {
      auth: null,
      body: { session: SESSION, to: PATIENT, text: 'Já já' },
    });
    expect(on.json).toMatchObject({ webhook: 'posted' });
    await waitFor(() => hooks('onselfmessage').length === 1);
    const hook = hooks('onselfmessage')[0] ?? {};
    expect(hook).toMatchObject({
      event: 'onselfmessage',
      session: SESSION,
      id: (on.json as { id: string }).id,
      fromMe: true,
      body: 'Já já',
      from: '5511999990000@c.us',
      to: `${PATIENT}@c.us`,
    });
    expect(keys(hook).filter((k) => !keys(sample('webhook-onselfmessage.json')).includes(k))).toEqual([]);
    expect(hooks('onmessage')).toEqual([]);
    const read = await call('GET', api(`get-messages/${PATIENT}@c.us?count=10`));
    const messages = (read.json as { response: { id: string; fromMe: boolean; body: string }[] }).response;
    expect(messages.map((m) => [m.fromMe, m.body])).toEqual([
      [true, 'Aqui é a Ana'],
      [true, 'Já já'],
    ]);
  });

  it('posts an @lid sender as the server does and maps it to its phone through contact/pn-lid', async () => {
    const injected = sim.state.inject({
      session: SESSION,
      from: '123456789012345',
      phone: '+55 11 99999-0003',
      text: 'oi',
    });
    expect(injected).toMatchObject({ chatId: '123456789012345@lid', webhook: 'posted' });
    await waitFor(() => hooks('onmessage').length === 1);
    expect(hooks('onmessage')[0]).toMatchObject({ from: '123456789012345@lid', chatId: '123456789012345@lid' });
    const pnLid = await call('GET', api('contact/pn-lid/123456789012345@lid'));
    expect(pnLid.json).toMatchObject({ phoneNumber: { _serialized: '5511999990003@c.us' } });
    const unknown = await call('GET', api('contact/pn-lid/999999999999999@lid'));
    expect([unknown.status, unknown.json]).toEqual([
      200,
      expect.objectContaining({
        lid: expect.objectContaining({ _serialized: '999999999999999@lid' }),
        phoneNumber: null,
      }),
    ]);
  });
});
