import { defaultPayloadConverter } from '@temporalio/common';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleWorkflows, createDevServerEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../../helpers/temporal';
import { describeOrNull, signalsOf } from '../api/support/api-env';
import { ConsoleClient, visibleText } from './support/browser';
import { OPERATOR, SESSION, startConsole, type ConsoleEnv } from './support/console-env';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

let testEnv: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let env: ConsoleEnv;
let worker: Worker;
let running: Promise<void>;

const CHAT = '5511988887777@c.us';
const CHAT_PATH = `/console/chats/${SESSION}/${encodeURIComponent(CHAT)}`;
const conversationId = (chatId: string) => `conversation:${SESSION}:${chatId}`;
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 7)]);

async function patientWrites(chatId: string, messageId: string, content: string, at = new Date()) {
  return env.db.repo.logMessage({
    session: SESSION,
    chatId,
    messageId,
    timestamp: at,
    direction: 'inbound',
    senderType: 'patient',
    messageType: 'text',
    content,
    deliveryStatus: 'received',
    contactName: 'Bruno Lima',
    contactPhone: chatId.split('@')[0],
  });
}

async function escalate(chatId: string, redFlags: string[]) {
  await env.db.repo.recordEscalation({ session: SESSION, chatId, triageLevel: 'emergency', redFlags, at: new Date() });
  await env.db.repo.setChatStatus(SESSION, chatId, 'escalated');
}

const sessionRows = async (): Promise<number> => {
  const [row] = await env.db.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM "OperatorSessions"', {
    type: QueryTypes.SELECT,
  });
  return Number(row?.n ?? 0);
};

async function signedIn(): Promise<ConsoleClient> {
  const browser = new ConsoleClient(env.server.url);
  const res = await browser.signIn(OPERATOR.username, OPERATOR.password);
  expect([res.status, res.location]).toEqual([303, '/console/inbox']);
  return browser;
}

beforeAll(async () => {
  [testEnv, bundle] = await Promise.all([
    createDevServerEnv(),
    bundleWorkflows(path.join(__dirname, 'support', 'keeper-workflow.ts')),
  ]);
  env = await startConsole(testEnv);
  // Answers the keeper's status query (the stand-in keeper); conversations have no worker: signals are checked.
  worker = await Worker.create({
    connection: testEnv.nativeConnection,
    namespace: testEnv.namespace ?? 'default',
    taskQueue: env.config.temporal.taskQueue,
    workflowBundle: bundle,
  });
  running = worker.run();
  await patientWrites(CHAT, 'p-1', 'I have crushing chest pain <script>alert(1)</script>');
  await escalate(CHAT, ['chest-pain-warning', 'breathing-difficulty']);
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.close();
  await testEnv?.teardown();
});

describe('signing in', () => {
  it('sends a signed-out visitor of a page to the sign-in form, remembering where to go back', async () => {
    const browser = new ConsoleClient(env.server.url);
    const res = await browser.get('/console/inbox');
    expect([res.status, res.location]).toEqual([303, '/console/login?next=%2Fconsole%2Finbox']);
    const form = await browser.get('/console/login?next=%2Fconsole%2Finbox');
    expect(form.status).toBe(200);
    expect(form.text).toContain('<input type="hidden" name="next" value="/console/inbox"');
  });

  it('with a wrong password answers 401, sets no session cookie and creates no session', async () => {
    const before = await sessionRows();
    const browser = new ConsoleClient(env.server.url);
    const res = await browser.signIn(OPERATOR.username, 'not the password');
    expect(res.status).toBe(401);
    expect(visibleText(res.text)).toContain('Wrong username or password.');
    expect(res.setCookies.filter((c) => c.startsWith('ma_console='))).toEqual([]);
    expect(await sessionRows()).toBe(before);
    expect((await browser.get('/console/inbox')).status).toBe(303);
  });

  it('without the sign-in form token answers 403 and creates no session, even with the right password', async () => {
    const before = await sessionRows();
    const browser = new ConsoleClient(env.server.url);
    await browser.get('/console/login');
    const res = await browser.post(
      '/console/login',
      { username: OPERATOR.username, password: OPERATOR.password },
      null,
    );
    expect(res.status).toBe(403);
    expect(visibleText(res.text)).toContain('This form has expired or did not come from the console.');
    expect(await sessionRows()).toBe(before);
  });

  it('with the right password sets an HttpOnly SameSite=Strict session cookie and goes to the page asked for', async () => {
    const browser = new ConsoleClient(env.server.url);
    await browser.get('/console/login?next=%2Fconsole%2Fsessions');
    const res = await browser.post('/console/login', {
      username: OPERATOR.username,
      password: OPERATOR.password,
      next: '/console/sessions',
    });
    expect([res.status, res.location]).toEqual([303, '/console/sessions']);
    const cookie = res.setCookies.find((c) => c.startsWith('ma_console='));
    expect(cookie).toMatch(/^ma_console=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    const inbox = await browser.get('/console/inbox');
    expect(inbox.status).toBe(200);
    expect(visibleText(inbox.text)).toContain(`Signed in as ${OPERATOR.displayName}`);
  });

  it('never redirects outside the console after signing in', async () => {
    const browser = new ConsoleClient(env.server.url);
    await browser.get('/console/login');
    const res = await browser.post('/console/login', {
      username: OPERATOR.username,
      password: OPERATOR.password,
      next: '//evil.example/console',
    });
    expect([res.status, res.location]).toEqual([303, '/console/inbox']);
  });

  it('locks an account after five failures in a row: the right password is refused with 429 meanwhile', async () => {
    await env.db.operators.save({ username: 'locked-out', password: 'locked-out-password' });
    const browser = new ConsoleClient(env.server.url);
    for (let i = 0; i < 5; i++) expect((await browser.signIn('locked-out', `guess-${i}`)).status).toBe(401);
    const res = await browser.signIn('locked-out', 'locked-out-password');
    expect(res.status).toBe(429);
    expect(visibleText(res.text)).toContain('Too many failed attempts for this account: try again in 1 min.');
    expect(res.setCookies.filter((c) => c.startsWith('ma_console='))).toEqual([]);
  });

  it('refuses an address after ten failed sign-ins in a minute, whatever the username, until the minute passed', async () => {
    let clock = Date.now();
    const own = await startConsole(testEnv, {}, { now: () => clock });
    try {
      const browser = new ConsoleClient(own.server.url);
      for (let i = 0; i < 10; i++) expect((await browser.signIn(`nobody-${i}`, 'wrong password')).status).toBe(401);
      const blocked = await browser.signIn(OPERATOR.username, OPERATOR.password);
      expect(blocked.status).toBe(429);
      expect(visibleText(blocked.text)).toContain('Too many sign-in attempts from this address');
      expect(blocked.setCookies.filter((c) => c.startsWith('ma_console='))).toEqual([]);
      clock += 60_000;
      const res = await browser.signIn(OPERATOR.username, OPERATOR.password);
      expect([res.status, res.location]).toEqual([303, '/console/inbox']);
    } finally {
      await own.close();
    }
  });

  it('signs out: the session is deleted and its cookie no longer opens pages', async () => {
    const browser = await signedIn();
    const cookie = browser.cookies.get('ma_console');
    await browser.get('/console/inbox');
    const res = await browser.post('/console/logout');
    expect([res.status, res.location]).toEqual([303, '/console/login?signed-out=1']);
    const replay = new ConsoleClient(env.server.url);
    replay.cookies.set('ma_console', cookie ?? '');
    expect((await replay.get('/console/inbox')).status).toBe(303);
  });
});

describe('pages', () => {
  it('the inbox shows the escalated chat first, with its red flags, alert state and acknowledgement', async () => {
    await patientWrites('5511900000001@c.us', 'quiet-1', 'hello');
    const browser = await signedIn();
    const res = await browser.get('/console/inbox');
    expect(res.status).toBe(200);
    const text = visibleText(res.text);
    expect(text).toMatch(
      /Waiting for a person \(1\) Bruno Lima Emergency Red flags chest pain warning signs, difficulty breathing Emergency escalation Escalated just now Clinician alert being sent Not acknowledged yet Last message just now · 1 message Recent chats/,
    );
    expect(text).toMatch(/Recent chats Bruno Lima Assistant answering/);
    expect(res.text).toContain('id="emergency-count"');
  });

  it('the chat page escapes what the patient wrote', async () => {
    const browser = await signedIn();
    const res = await browser.get(CHAT_PATH);
    expect(res.status).toBe(200);
    expect(res.text).toContain('I have crushing chest pain &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('<script src="/console/assets/console.js" defer></script>');
  });

  it('serves every page with a strict Content-Security-Policy and no caching', async () => {
    const browser = await signedIn();
    const res = await fetch(`${env.server.url}/console/inbox`, {
      headers: { cookie: `ma_console=${browser.cookies.get('ma_console')}` },
    });
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('search finds messages with the REST API filters', async () => {
    const browser = await signedIn();
    const res = await browser.get(`/console/search?q=crushing&senderType=patient&chatId=${encodeURIComponent(CHAT)}`);
    expect(res.status).toBe(200);
    expect(visibleText(res.text)).toContain('1 message found');
    expect(res.text).toContain(`href="${CHAT_PATH}#m`);
    const none = await browser.get('/console/search?q=crushing&senderType=assistant');
    expect(visibleText(none.text)).toContain('No message matches.');
  });

  it("search dates are the reader's local time (the page sends its UTC offset), UTC without it", async () => {
    await patientWrites('5511900000006@c.us', 'dated-1', 'palpitations at noon', new Date('2026-01-15T12:00:00Z'));
    const browser = await signedIn();
    const found = async (query: string) =>
      visibleText((await browser.get(`/console/search?q=palpitations&${query}`)).text).includes('1 message found');
    expect(await found('from=2026-01-15T11:30&to=2026-01-15T12:30')).toBe(true);
    // 10:30 in a zone 2 hours behind UTC is 12:30 UTC: after the message.
    expect(await found('from=2026-01-15T10:30&tz=-120')).toBe(false);
    expect(await found('from=2026-01-15T09:30&tz=-120')).toBe(true);
  });

  it('answers an unknown chat or page with the console 404 page', async () => {
    const browser = await signedIn();
    const chat = await browser.get(`/console/chats/${SESSION}/${encodeURIComponent('5511000000000@c.us')}`);
    expect(chat.status).toBe(404);
    expect(visibleText(chat.text)).toContain('This chat is unknown.');
    const page = await browser.get('/console/nowhere');
    expect(page.status).toBe(404);
    expect(visibleText(page.text)).toContain('This page does not exist.');
  });

  it('serves the browser script and the style sheet from the repository, with ETags', async () => {
    const js = await fetch(`${env.server.url}/console/assets/console.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toContain('EventSource');
    const css = await fetch(`${env.server.url}/console/assets/console.css`);
    const etag = css.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(
      (
        await fetch(`${env.server.url}/console/assets/console.css`, {
          // fetch() adds Cache-Control: no-cache to a conditional request unless the caller sets one (as browsers do).
          headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' },
        })
      ).status,
    ).toBe(304);
  });
});

describe('actions', () => {
  it('a reply without the CSRF token is refused with 403 and nothing is sent or recorded', async () => {
    const browser = await signedIn();
    await browser.get(CHAT_PATH);
    const res = await browser.post(
      `${CHAT_PATH}/reply`,
      { text: 'Call an ambulance now', requestKey: browser.requestKey },
      null,
    );
    expect(res.status).toBe(403);
    const wrong = await browser.post(
      `${CHAT_PATH}/reply`,
      { text: 'Call an ambulance now', requestKey: browser.requestKey },
      'x'.repeat(43),
    );
    expect(wrong.status).toBe(403);
    expect(await describeOrNull(env.client, conversationId(CHAT))).toBeNull();
    const [row] = await env.db.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM "OutboundRequests"', {
      type: QueryTypes.SELECT,
    });
    expect(Number(row?.n)).toBe(0);
  });

  it('after the session expired, a reply with a valid token is refused with 401 and nothing happens', async () => {
    const browser = await signedIn();
    await browser.get(CHAT_PATH);
    await env.db.sequelize.query('UPDATE "OperatorSessions" SET "ExpiresAt" = :past', {
      replacements: { past: new Date(Date.now() - 1000) },
    });
    const res = await browser.post(`${CHAT_PATH}/reply`, {
      text: 'Call an ambulance now',
      requestKey: browser.requestKey,
    });
    expect(res.status).toBe(401);
    expect(visibleText(res.text)).toContain('Your session has ended: sign in again.');
    const ack = await browser.post(`${CHAT_PATH}/acknowledge`, {});
    expect(ack.status).toBe(401);
    expect(await describeOrNull(env.client, conversationId(CHAT))).toBeNull();
    const [open] = await env.db.repo.getEscalations(SESSION, CHAT, 1);
    expect(open?.acknowledgedAt).toBeNull();
    expect((await browser.get(CHAT_PATH)).status).toBe(303);
  });

  it('acknowledging records who and when, with the note; a second acknowledgement keeps the first', async () => {
    const browser = await signedIn();
    await browser.get(CHAT_PATH);
    const res = await browser.post(`${CHAT_PATH}/acknowledge`, { note: 'Calling the patient now' });
    expect([res.status, res.location]).toEqual([303, `${CHAT_PATH}?done=acknowledged`]);
    await env.db.operators.save({ username: 'bruno', password: 'bruno-console-pass', displayName: 'Bruno' });
    const other = new ConsoleClient(env.server.url);
    await other.signIn('bruno', 'bruno-console-pass');
    await other.get(CHAT_PATH);
    await other.post(`${CHAT_PATH}/acknowledge`, {});
    const [open] = await env.db.repo.getEscalations(SESSION, CHAT, 1);
    expect(open).toMatchObject({ acknowledgedBy: 'console:ana', note: 'Calling the patient now' });
    const page = await browser.get(`${CHAT_PATH}?done=acknowledged`);
    expect(visibleText(page.text)).toContain('Acknowledged: your name and the time are recorded.');
    expect(visibleText(page.text)).toMatch(/Acknowledged by Dr\. Ana Souza just now/);
  });

  it('a reply goes to the conversation as a human message under the operator name, once per form', async () => {
    const browser = await signedIn();
    await browser.get(CHAT_PATH);
    const key = browser.requestKey;
    const res = await browser.post(`${CHAT_PATH}/reply`, { text: 'An ambulance is on its way.', requestKey: key });
    expect([res.status, res.location]).toEqual([303, `${CHAT_PATH}?done=replied#composer`]);
    const again = await browser.post(`${CHAT_PATH}/reply`, { text: 'An ambulance is on its way.', requestKey: key });
    expect(again.status).toBe(303);
    const signals = await signalsOf(env.client, conversationId(CHAT));
    expect(signals).toEqual([
      {
        name: 'sendMessage',
        args: [
          {
            request: {
              requestId: expect.stringMatching(/^req_[0-9a-f]{32}$/),
              session: SESSION,
              chatId: CHAT,
              type: 'text',
              text: 'An ambulance is on its way.',
              requestedBy: 'console:ana',
              senderType: 'human',
              senderName: OPERATOR.displayName,
            },
          },
        ],
      },
    ]);
    const requestId = (signals[0]?.args[0] as { request: { requestId: string } }).request.requestId;
    expect(await env.db.repo.getOutboundRequest(requestId)).toMatchObject({
      session: SESSION,
      chatId: CHAT,
      workflowId: conversationId(CHAT),
      status: 'pending',
    });
  });

  it('take over and hand back signal the conversation and keep the chat status and escalation in step', async () => {
    const browser = await signedIn();
    await browser.get(CHAT_PATH);
    const take = await browser.post(`${CHAT_PATH}/takeover`);
    expect([take.status, take.location]).toEqual([303, `${CHAT_PATH}?done=takeover`]);
    expect((await env.db.repo.getChatSession(SESSION, CHAT))?.status).toBe('escalated');

    const back = await browser.post(`${CHAT_PATH}/handback`);
    expect([back.status, back.location]).toEqual([303, `${CHAT_PATH}?done=handback`]);
    expect((await env.db.repo.getChatSession(SESSION, CHAT))?.status).toBe('active');
    const [resolved] = await env.db.repo.getEscalations(SESSION, CHAT, 1);
    expect(resolved).toMatchObject({ resolvedBy: 'console:ana', resolvedAt: expect.any(Date) });

    const handoffs = (await signalsOf(env.client, conversationId(CHAT))).filter((s) => s.name === 'handoff');
    expect(handoffs.map((s) => s.args[0])).toEqual([
      { action: 'handoff', by: 'console:ana' },
      { action: 'resume', by: 'console:ana' },
    ]);
    const other = '5511900000002@c.us';
    await patientWrites(other, 'o-1', 'hi');
    await browser.post(`/console/chats/${SESSION}/${encodeURIComponent(other)}/takeover`);
    expect((await env.db.repo.getChatSession(SESSION, other))?.status).toBe('handoff');
  });

  it('a chat resumed through the REST API leaves the inbox: its escalation is resolved by the API caller', async () => {
    const chatId = '5511900000005@c.us';
    await patientWrites(chatId, 'rest-1', 'I feel faint');
    await escalate(chatId, ['loss-of-consciousness']);
    const res = await fetch(`${env.server.url}/api/conversations/${encodeURIComponent(chatId)}/resume`, {
      method: 'POST',
      headers: { 'x-api-key': 'dev-api-key' },
    });
    expect(res.status).toBe(200);
    const [escalation] = await env.db.repo.getEscalations(SESSION, chatId, 1);
    expect(escalation).toMatchObject({
      resolvedBy: expect.stringMatching(/^api:[0-9a-f]{12}$/),
      resolvedAt: expect.any(Date),
    });
    const browser = await signedIn();
    const inbox = await browser.get('/console/inbox?partial=lists');
    expect(visibleText(inbox.text)).not.toMatch(/loss of consciousness/);
  });

  it('links a patient record through the conversation and the database', async () => {
    const browser = await signedIn();
    await browser.get(CHAT_PATH);
    const res = await browser.post(`${CHAT_PATH}/patient`, { patientId: 'MRN-00042' });
    expect([res.status, res.location]).toEqual([303, `${CHAT_PATH}?done=linked`]);
    expect((await env.db.repo.getChatSession(SESSION, CHAT))?.patientId).toBe('MRN-00042');
    const linked = (await signalsOf(env.client, conversationId(CHAT))).filter((s) => s.name === 'patientLinked');
    expect(linked.map((s) => s.args[0])).toEqual([{ patientId: 'MRN-00042', attribute: 'MRN-00042' }]);
    const page = await browser.get(`${CHAT_PATH}?done=linked`);
    expect(visibleText(page.text)).toContain('The chat is linked to patient record MRN-00042.');
  });

  it('refuses a reply with control characters (400) and changes nothing', async () => {
    const browser = await signedIn();
    await browser.get(CHAT_PATH);
    const before = (await signalsOf(env.client, conversationId(CHAT))).length;
    const res = await browser.post(`${CHAT_PATH}/reply`, { text: 'bad\u0000text', requestKey: browser.requestKey });
    expect(res.status).toBe(400);
    expect(visibleText(res.text)).toContain('Some of what was sent is not valid. Nothing was changed.');
    expect((await signalsOf(env.client, conversationId(CHAT))).length).toBe(before);
  });
});

describe('sessions and media', () => {
  it('restart asks the session keeper, attributed to the operator, and says what the keeper did', async () => {
    await env.client.workflow.start('sessionKeeperWorkflow', {
      workflowId: `session-keeper:${SESSION}`,
      taskQueue: env.config.temporal.taskQueue,
      args: [{ session: SESSION }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const browser = await signedIn();
    await browser.get('/console/sessions');
    const res = await browser.post(`/console/sessions/${SESSION}/restart`);
    expect([res.status, res.location]).toEqual([303, '/console/sessions?done=restart-scheduled']);
    const history = await env.client.workflow.getHandle(`session-keeper:${SESSION}`).fetchHistory();
    const updates = (history.events ?? []).flatMap((e) => {
      const request = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
      if (!request) return [];
      const args = (request.input?.args?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
      return [{ name: request.input?.name, args }];
    });
    expect(updates).toEqual([{ name: 'restartSession', args: [{ by: 'console:ana' }] }]);
    const page = await browser.get(res.location!);
    expect(visibleText(page.text)).toContain('its old browser is still shutting down');
  });

  it('shows the QR while the keeper waits for a scan, and serves it as a PNG', async () => {
    await env.mediaStore.saveQr(SESSION, PNG);
    const browser = await signedIn();
    const page = await browser.get('/console/sessions');
    expect(visibleText(page.text)).toContain(`Session ${SESSION} Waiting for a scan`);
    const src = /<img\s+src="([^"]+)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    expect(src).toMatch(new RegExp(`^/console/sessions/${SESSION}/qr\\.png\\?v=[0-9a-f]{16}$`));
    const res = await fetch(`${env.server.url}${src}`, {
      headers: { cookie: `ma_console=${browser.cookies.get('ma_console')}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
  });

  it('serves a message image to a signed-in operator only, and nothing outside the media folder', async () => {
    const chatId = '5511900000003@c.us';
    await env.db.repo.logMessage({
      session: SESSION,
      chatId,
      messageId: 'img-1',
      timestamp: new Date(),
      direction: 'inbound',
      senderType: 'patient',
      messageType: 'image',
      caption: 'my rash',
      metadata: { mimetype: 'image/png' },
      deliveryStatus: 'received',
    });
    const stored = await env.mediaStore.saveInbound({
      session: SESSION,
      messageId: 'img-1',
      mimetype: 'image/png',
      data: PNG,
    });
    await env.db.repo.setMessageMedia(SESSION, 'img-1', stored.relativePath, stored.filename);
    const url = `/console/media/${SESSION}/img-1`;

    const anonymous = await fetch(`${env.server.url}${url}`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    const browser = await signedIn();
    const page = await browser.get(`/console/chats/${SESSION}/${encodeURIComponent(chatId)}`);
    expect(page.text).toContain(`<img src="${url}" alt="my rash" loading="lazy"`);
    const res = await fetch(`${env.server.url}${url}`, {
      headers: { cookie: `ma_console=${browser.cookies.get('ma_console')}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);

    await env.db.sequelize.query(
      `UPDATE "ConversationMessages" SET "MediaPath" = '../../etc/passwd' WHERE "MessageId" = 'img-1'`,
    );
    const tricked = await browser.get(url);
    expect(tricked.status).toBe(404);
  });
});

describe('live updates', () => {
  /** Reads server-sent events until `until` accepts one (or the stream ends). */
  async function readEvents(
    cookie: string,
    query: string,
    act: () => Promise<void>,
    until: (event: { event: string; data: Record<string, unknown> }) => boolean,
  ): Promise<{ event: string; data: Record<string, unknown> }[]> {
    const abort = new AbortController();
    const res = await fetch(`${env.server.url}/console/events${query}`, {
      headers: { cookie: `ma_console=${cookie}` },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const events: { event: string; data: Record<string, unknown> }[] = [];
    let buffer = '';
    let acted = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return events;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (!acted && block.startsWith('retry:')) {
            acted = true;
            await act();
          }
          if (event && data) {
            const parsed = { event, data: JSON.parse(data) as Record<string, unknown> };
            events.push(parsed);
            if (until(parsed)) return events;
          }
        }
      }
    } finally {
      abort.abort();
    }
  }

  it('a signed-out browser gets 401 from the event stream', async () => {
    const res = await fetch(`${env.server.url}/console/events`);
    expect(res.status).toBe(401);
  });

  it('tells the browser which chat changed and the new number of open emergencies, never the text', async () => {
    const browser = await signedIn();
    const chatId = '5511900000004@c.us';
    const events = await readEvents(
      browser.cookies.get('ma_console') ?? '',
      '',
      async () => {
        await patientWrites(chatId, 'live-1', 'I cannot breathe');
        await escalate(chatId, ['breathing-difficulty']);
      },
      (e) => e.event === 'escalations',
    );
    expect(events).toContainEqual({
      event: 'chat',
      data: { type: 'chat', session: SESSION, chatId, why: expect.stringMatching(/^(message|escalation|status)$/) },
    });
    expect(events.at(-1)).toEqual({ event: 'escalations', data: { type: 'escalations', open: 1 } });
    expect(JSON.stringify(events)).not.toContain('breathe');
  });

  it('sends the session state to the sessions page', async () => {
    const browser = await signedIn();
    const events = await readEvents(
      browser.cookies.get('ma_console') ?? '',
      '?sessions=1',
      () => Promise.resolve(),
      (e) => e.event === 'session',
    );
    expect(events.at(-1)).toEqual({
      event: 'session',
      data: {
        type: 'session',
        session: SESSION,
        state: 'QRCODE',
        qrAvailable: true,
        qrVersion: expect.stringMatching(/^[0-9a-f]{16}$/),
      },
    });
  });
});
