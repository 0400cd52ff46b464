/**
 * The real pipeline (test/helpers/pipeline.ts: simulator, Koa app, SQLite, workers, the session keeper the
 * app starts from the first status-find webhook) against the simulator in the modes of issue 12: replies
 * typed on the clinic's linked phone, with and without an onselfmessage webhook; `@lid` senders, through
 * the webhook and through catch-up; and events without a `session` field, attributed by the webhook URL.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createSessionGate } from '../../activities/session-gate';
import { sessionKeeperWorkflowId, sessionStatusQuery, type SessionKeeperStatus } from '../../contracts';
import { webhookUrlFor } from '../../wppconnect/client';
import { createSimClient, type SimClient } from '../../simulator/control-client';
import { SESSION, startPipeline, WEBHOOK_TOKEN, type Pipeline } from '../helpers/pipeline';
import { bundleWorkflows, createTimeSkippingEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../helpers/temporal';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

/** A second configured number: events naming no session can no longer be guessed. */
const OTHER_SESSION = 'second-number';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let pipeline: Pipeline;
/** The simulator's control routes, over HTTP as the bench and npm run patient use them. */
let sim: SimClient;

const realPause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function keeperUntil(what: string, done: (s: SessionKeeperStatus) => boolean): Promise<SessionKeeperStatus> {
  const handle = env.client.workflow.getHandle(sessionKeeperWorkflowId(SESSION));
  let last: SessionKeeperStatus | undefined;
  for (let i = 0; i < 60; i += 1) {
    last = await handle.query(sessionStatusQuery).catch(() => undefined);
    if (last && done(last)) return last;
    await env.sleep('30 seconds');
    await realPause(50);
  }
  throw new Error(`keeper never reached ${what}; last status: ${JSON.stringify(last)}`);
}

async function answered(messageId: string): Promise<string> {
  return (await pipeline.inboundResult(messageId)).outcome;
}

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  pipeline = await startPipeline({
    env,
    bundle,
    configEnv: { QUIET_WINDOW_MS: '300', WPPCONNECT_SESSION: `${SESSION},${OTHER_SESSION}` },
    sessionGate: createSessionGate({ client: env.client, queryTimeoutMs: 20_000 }),
  });
  sim = createSimClient(pipeline.simulator.url, SESSION);
  // The app started the keeper from the first status-find webhook. It did not start the session itself,
  // so it closes and starts it once to be sure of the webhook URL, then it is CONNECTED.
  await pipeline.waitFor(
    () =>
      env.client.workflow
        .getHandle(sessionKeeperWorkflowId(SESSION))
        .describe()
        .then(
          () => true,
          () => false,
        ),
    'the keeper',
  );
  await keeperUntil('CONNECTED with its webhook URL applied', (s) => s.state === 'CONNECTED' && s.restarts === 1);
});

afterAll(async () => {
  await env?.client.workflow
    .getHandle(sessionKeeperWorkflowId(SESSION))
    .terminate('test over')
    .catch(() => undefined);
  await sim?.close();
  await pipeline?.close();
  await env?.teardown();
});

describe('events without a session field', () => {
  it('are attributed to the session their webhook URL names, which the older URL cannot do', async () => {
    const session = pipeline.simulator.state.session(SESSION);
    expect(pipeline.simulator.state.webhookUrlOf(session)).toBe(webhookUrlFor(pipeline.apiUrl, SESSION, WEBHOOK_TOKEN));
    // After the keeper's close + start the server's record lost its name: its events carry no `session`.
    const nameless = (await sim.webhooks({ event: 'status-find' })).filter((r) => r.session === undefined);
    expect(nameless.map((r) => r.body.status)).toEqual(expect.arrayContaining(['isLogged', 'inChat']));
    expect(nameless.map((r) => [r.url, r.outcome])).toEqual(
      nameless.map(() => [webhookUrlFor(pipeline.apiUrl, SESSION, WEBHOOK_TOKEN), 'delivered']),
    );

    const body = JSON.stringify({ event: 'status-find', status: 'inChat' });
    const headers = { 'content-type': 'application/json' };
    const old = await fetch(`${pipeline.apiUrl}/api/webhook/${WEBHOOK_TOKEN}`, { method: 'POST', headers, body });
    expect([old.status, await old.json()]).toEqual([
      400,
      {
        error: {
          code: 'UNKNOWN_SESSION',
          message: 'the event names no session and several sessions are configured',
        },
      },
    ]);
    const url = webhookUrlFor(pipeline.apiUrl, SESSION, WEBHOOK_TOKEN);
    const named = await fetch(url, { method: 'POST', headers, body });
    expect([named.status, await named.json()]).toEqual([
      200,
      { workflowId: sessionKeeperWorkflowId(SESSION), signalled: true },
    ]);
    const other = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ event: 'status-find', status: 'inChat', session: OTHER_SESSION }),
    });
    expect([other.status, await other.json()]).toEqual([
      400,
      { error: { code: 'UNKNOWN_SESSION', message: 'the event names another session than its webhook URL' } },
    ]);
    const wrongToken = await fetch(webhookUrlFor(pipeline.apiUrl, SESSION, 'not-the-token'), {
      method: 'POST',
      headers,
      body,
    });
    expect(wrongToken.status).toBe(401);
  });
});

describe('replies typed on the clinic phone', () => {
  it('records one posted as onselfmessage as a human reply and pauses the assistant for that chat', async () => {
    const first = pipeline.patientSays('5511944440001', 'I have had a mild headache since this morning');
    expect(await answered(first.id)).toBe('replied');

    await sim.configure({ onSelfMessage: true });
    try {
      const typed = await sim.phoneMessage({
        to: '5511944440001',
        text: 'Hello, this is Ana from the clinic: the doctor will call you today.',
      });
      expect(typed.webhook).toBe('posted');
      const row = await pipeline.waitFor(() => pipeline.db.repo.getMessage(SESSION, typed.id), 'the human reply');
      expect(row).toMatchObject({ direction: 'outbound', senderType: 'human', chatId: first.chatId });
      await pipeline.waitFor(
        async () => (await pipeline.db.repo.getChatSession(SESSION, first.chatId))?.status === 'handoff',
        'the chat paused',
      );

      const later = pipeline.patientSays('5511944440001', 'Thank you, I will wait for the call');
      expect(await answered(later.id)).toBe('paused');
      expect(pipeline.sentTo(first.chatId)).toHaveLength(1);
    } finally {
      await sim.configure({ onSelfMessage: false });
    }
  });

  it('finds one the server never posted (onselfmessage off) with catch-up, and treats it the same', async () => {
    const first = pipeline.patientSays('5511944440002', 'I have a sore throat since yesterday');
    expect(await answered(first.id)).toBe('replied');
    const typed = await sim.phoneMessage({ to: '5511944440002', text: 'Ana here: please come in at 3 pm.' });
    expect(typed.webhook).toBe('disabled');

    const before = await keeperUntil('CONNECTED', (s) => s.state === 'CONNECTED');
    await keeperUntil('a catch-up pass that found it', (s) => s.catchUpStarted > before.catchUpStarted);
    const row = await pipeline.waitFor(() => pipeline.db.repo.getMessage(SESSION, typed.id), 'the human reply');
    expect(row).toMatchObject({ direction: 'outbound', senderType: 'human', chatId: first.chatId });
    expect(row.metadata).toMatchObject({ receivedVia: 'catch-up' });
    await pipeline.waitFor(
      async () => (await pipeline.db.repo.getChatSession(SESSION, first.chatId))?.status === 'handoff',
      'the chat paused',
    );
    // The pipeline's own reply in that chat was recorded when it was sent: it is not taken for a person's.
    const [ownReply] = pipeline.sentTo(first.chatId);
    expect((await pipeline.db.repo.getMessage(SESSION, ownReply?.messageId ?? ''))?.senderType).toBe('assistant');
  });
});

describe('@lid senders', () => {
  it('get the phone number behind the LID on their chat, through the webhook', async () => {
    const lid = pipeline.patientSays('123456789012301', 'I have a rash on my arm', { phone: '5511944440003' });
    expect(lid.chatId).toBe('123456789012301@lid');
    expect(await answered(lid.id)).toBe('replied');
    const chat = await pipeline.db.repo.getChatSession(SESSION, lid.chatId);
    expect(chat).toMatchObject({ chatId: '123456789012301@lid', contactPhone: '5511944440003' });
  });

  it('get it through catch-up too, when their webhook never came', async () => {
    const before = await keeperUntil('CONNECTED', (s) => s.state === 'CONNECTED');
    const lid = pipeline.patientSays('123456789012302', 'My ankle hurts after a fall', {
      phone: '5511944440004',
      deliverWebhook: false,
    });
    await keeperUntil('a catch-up pass that found it', (s) => s.catchUpStarted > before.catchUpStarted);
    expect(await answered(lid.id)).toBe('replied');
    const chat = await pipeline.db.repo.getChatSession(SESSION, lid.chatId);
    expect(chat).toMatchObject({ chatId: '123456789012302@lid', contactPhone: '5511944440004' });
  });
});
