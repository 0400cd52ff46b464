/**
 * The send activity's bounds, attempt by attempt, against the simulator through the real client and a real
 * SQLite repository. Each attempt runs in a MockActivityEnvironment and hands its last heartbeat details to
 * the next one, as Temporal does for a retry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Agent, type Dispatcher } from 'undici';
import {
  createSendActivities,
  pendingReplyId,
  type AttemptMarker,
  type SendActivityDeps,
  type SendResult,
  type SessionGate,
} from '../../../activities/send-activities';
import { createMessageRecords, type ReplyRecord } from '../../../activities/message-records';
import { plainWorkflowIds } from '../../../contracts';
import { openDatabase, type Database } from '../../../db';
import { createMediaStore } from '../../../media/store';
import { createWppConnectClient } from '../../../wppconnect/client';
import { WppTransientError } from '../../../wppconnect/errors';
import { createSimulator, type Simulator } from '../../../simulator/server';
import type { IWhatsAppService } from '../../../wppconnect/types';
import { FAST_TIMING, waitFor } from '../wppconnect/support';

jest.setTimeout(30_000);

const SESSION = 'clinic';
const PATIENT = '5511999990001';
const CHAT = `${PATIENT}@c.us`;
const WORKFLOW_ID = `conversation:${SESSION}:${CHAT}`;

let sim: Simulator;
let db: Database;
let dir: string;
let agent: Agent;
let requests: string[];
let wpp: IWhatsAppService;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'send-bounds-'));
  sim = await createSimulator({ timing: FAST_TIMING, autoConnect: true, seed: 3 });
  db = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
  requests = [];
  started = [];
  agent = new Agent();
  const dispatcher: Dispatcher = agent.compose((dispatch) => (opts, handler) => {
    requests.push(opts.path.split('?')[0]?.split('/').slice(3, 4).join('') ?? '');
    return dispatch(opts, handler);
  });
  wpp = createWppConnectClient({
    baseUrl: `${sim.url}/api`,
    secretKey: 'THISISMYSECURETOKEN',
    timeoutMs: 5_000,
    dispatcher,
  });
  await wpp.startSession(SESSION, { webhookUrl: 'http://127.0.0.1:9/hook' });
  await waitFor(async () => (await wpp.getSessionStatus(SESSION)).state === 'CONNECTED');
  requests.length = 0;
});

afterEach(async () => {
  await sim.close();
  await db.close();
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Message workflows the recorded replies started (a stand-in for the Temporal client, which refuses an id twice). */
let started: string[];
const client = {
  workflow: {
    start: (_type: string, opts: { workflowId: string }) => {
      if (started.includes(opts.workflowId)) {
        return Promise.reject(new WorkflowExecutionAlreadyStartedError('started', opts.workflowId, 'inbound'));
      }
      started.push(opts.workflowId);
      return Promise.resolve({});
    },
  },
};

function activities(extra: Partial<SendActivityDeps> = {}) {
  return createSendActivities({
    wpp,
    repo: db.repo,
    records: createMessageRecords({ repo: db.repo, client: client as never, taskQueue: 'q', ids: plainWorkflowIds }),
    mediaStore: createMediaStore({ root: path.join(dir, 'media'), maxBytes: 100_000 }),
    timing: { recipientRecheckMs: 400, serverErrorWindowMs: 60_000 },
    ...extra,
  });
}

interface Outcome {
  result?: SendResult;
  error?: ApplicationFailure;
  attempts: number;
  /** Heartbeat details each attempt ended with. */
  markers: AttemptMarker[];
  /** Heartbeats sent, over all attempts. */
  heartbeats: number;
}

/**
 * Runs attempts like Temporal's retry loop: until a result, a non-retryable failure or `max` attempts;
 * `between(attempt)` runs after each failed attempt (the world changing while the send waits).
 */
async function retrying(
  attempt: () => Promise<SendResult>,
  opts: {
    max?: number;
    first?: AttemptMarker;
    /** The attempt to start at, without details (an earlier one died before any heartbeat went out). */
    attempt?: number;
    /** When the send was first scheduled (every attempt's info has it). */
    scheduledAtMs?: number;
    between?: (attempt: number) => Promise<void> | void;
  } = {},
): Promise<Outcome> {
  const markers: AttemptMarker[] = [];
  let heartbeats = 0;
  let details: AttemptMarker | undefined = opts.first;
  for (let n = opts.attempt ?? (opts.first ? (opts.first.endedAttempt ?? 1) + 1 : 1); ; n++) {
    const env = new MockActivityEnvironment({
      attempt: n,
      heartbeatDetails: details,
      scheduledTimestampMs: opts.scheduledAtMs ?? Date.now(),
      workflowExecution: { workflowId: WORKFLOW_ID, runId: 'run' },
    });
    env.on('heartbeat', (d: unknown) => {
      heartbeats += 1;
      if (d !== undefined) details = d as AttemptMarker;
    });
    try {
      const result = await env.run<[], SendResult, () => Promise<SendResult>>(attempt);
      return { result, attempts: n, markers, heartbeats };
    } catch (err) {
      markers.push({ ...(details as AttemptMarker) });
      const failure = err as ApplicationFailure;
      if (failure.nonRetryable || n >= (opts.max ?? 10)) return { error: failure, attempts: n, markers, heartbeats };
      await opts.between?.(n);
    }
  }
}

const reply = { session: SESSION, chatId: CHAT, text: 'Drink water and rest.', anchorMessageId: 'false_p1' };

describe('500s (every send exception of the real server)', () => {
  it('gives up as the non-retryable SendRejected after 5 answers, and the reply shows pending with the reason meanwhile', async () => {
    sim.state.setFaults({ failingNumbers: [PATIENT] });
    const reasons: (string | null)[] = [];
    const outcome = await retrying(() => activities().sendText(reply), {
      between: async () => {
        reasons.push((await db.repo.getMessage(SESSION, pendingReplyId(WORKFLOW_ID)))?.statusReason ?? null);
      },
    });
    expect(outcome.attempts).toBe(5);
    expect(outcome.error).toBeInstanceOf(ApplicationFailure);
    expect(outcome.error).toMatchObject({ type: 'SendRejected', nonRetryable: true });
    expect(outcome.error?.message).toMatch(/answered 500 to 5 attempts/);
    expect(reasons).toEqual([1, 2, 3, 4].map((n) => `WPPConnect failed to send (500, ${n} of at most 5); retrying`));
    expect(await db.repo.getMessage(SESSION, pendingReplyId(WORKFLOW_ID))).toMatchObject({
      content: reply.text,
      deliveryStatus: 'pending',
      direction: 'outbound',
      senderType: 'assistant',
    });
    expect(sim.state.sent).toEqual([]);
  });

  it('gives up when 500s go on past the time bound, even with fewer answers', async () => {
    sim.state.setFaults({ failingNumbers: [PATIENT] });
    const sixMinutesAgo = Date.now() - 6 * 60_000;
    const outcome = await retrying(() => activities({ timing: { serverErrorWindowMs: 5 * 60_000 } }).sendText(reply), {
      first: {
        startedAtMs: sixMinutesAgo,
        endedAttempt: 1,
        maybeSent: true,
        serverErrors: 1,
        firstServerErrorAtMs: sixMinutesAgo,
      },
    });
    expect(outcome.attempts).toBe(2);
    expect(outcome.error).toMatchObject({ type: 'SendRejected', nonRetryable: true });
    expect(outcome.error?.message).toMatch(/answered 500 to 2 attempts of this send over 36\d s/);
  });

  it('counts neither session-down answers nor refused connections toward the bound, and sends once it can', async () => {
    sim.state.setFaults({ failingNumbers: [PATIENT] });
    const outcome = await retrying(() => activities().sendText(reply), {
      between: async (n) => {
        if (n === 4) {
          sim.state.setFaults({ failingNumbers: [] });
          sim.state.crash(SESSION); // 404 "não está ativa" from here
        }
        if (n === 8) {
          await wpp.closeSession(SESSION);
          await wpp.startSession(SESSION, { webhookUrl: 'http://127.0.0.1:9/hook' });
          await waitFor(async () => (await wpp.getSessionStatus(SESSION)).state === 'CONNECTED');
        }
      },
    });
    expect(outcome.result).toMatchObject({ alreadySent: false, chatId: CHAT });
    expect(outcome.attempts).toBe(9);
    expect(outcome.markers.map((m) => m.serverErrors)).toEqual([1, 2, 3, 4, 4, 4, 4, 4]);
    expect(sim.state.sent.map((s) => s.text)).toEqual([reply.text]);
  });
});

describe('"number does not exist"', () => {
  it('asks once more after wa-js forgot the failed look-up, then sends', async () => {
    sim.state.setFaults({ flakyLookupNumbers: [PATIENT] });
    const started = Date.now();
    const outcome = await retrying(() => activities().sendText(reply));
    expect(outcome.result).toMatchObject({ alreadySent: false });
    expect(outcome.attempts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(outcome.markers[0]).toMatchObject({ recipientMissingAtMs: expect.any(Number) as number, maybeSent: true });
    expect(sim.state.sent).toHaveLength(1);
  });

  it('says the recipient is unknown (non-retryable RecipientNotFound) when the second answer is the same', async () => {
    sim.state.setFaults({ unknownNumbers: [PATIENT] });
    const outcome = await retrying(() => activities().sendText(reply));
    expect(outcome.attempts).toBe(2);
    expect(outcome.error).toMatchObject({ type: 'RecipientNotFound', nonRetryable: true });
    expect(sim.state.sent).toEqual([]);
  });

  it('sets the retry delay to the re-check delay', async () => {
    sim.state.setFaults({ unknownNumbers: [PATIENT] });
    const outcome = await retrying(() => activities().sendText(reply), { max: 1 });
    expect(outcome.error).toMatchObject({ type: 'WppRecipientNotFound', nonRetryable: false, nextRetryDelay: 400 });
  });
});

describe('waiting for the session', () => {
  it('makes no WPPConnect call while the gate holds, shows the reply pending with the gate reason, and sends after', async () => {
    let down = true;
    const sessionGate: SessionGate = {
      assertSessionUsable: () =>
        down
          ? Promise.reject(ApplicationFailure.retryable('WhatsApp session clinic is QRCODE', 'WppSessionUnavailable'))
          : Promise.resolve(),
    };
    const outcome = await retrying(() => activities({ sessionGate }).sendText(reply), {
      between: async (n) => {
        expect(requests).toEqual([]);
        expect(await db.repo.getMessage(SESSION, pendingReplyId(WORKFLOW_ID))).toMatchObject({
          deliveryStatus: 'pending',
          statusReason: 'waiting for the WhatsApp session: WhatsApp session clinic is QRCODE',
        });
        if (n === 3) down = false;
      },
    });
    expect(outcome.result).toMatchObject({ alreadySent: false });
    expect(outcome.attempts).toBe(4);
    // The gate's refusals proved nothing was sent: no look-up before the send.
    expect(requests).toEqual(['send-message']);
  });

  it('does not record a pending row for a message another service asked for (no anchor)', async () => {
    sim.state.crash(SESSION);
    const outcome = await retrying(() => activities().sendText({ session: SESSION, chatId: CHAT, text: 'Reminder' }), {
      max: 2,
    });
    expect(outcome.error).toMatchObject({ type: 'WppSessionUnavailable', nonRetryable: false });
    expect(await db.repo.getHistory({ chatId: CHAT, limit: 10 })).toEqual([]);
  });
});

describe('retries that may follow a send', () => {
  it('sends no heartbeat from a first attempt that goes through (nothing to tell a retry)', async () => {
    const outcome = await retrying(() => activities().sendText(reply));
    expect(outcome).toMatchObject({ attempts: 1, heartbeats: 0, result: { alreadySent: false } });
  });

  it('finds the message an attempt that died mid-way had sent, and does not send it again', async () => {
    const scheduledAtMs = Date.now() - 1_000;
    const first = await retrying(() => activities().sendText(reply), { max: 1, scheduledAtMs });
    expect(first.result?.alreadySent).toBe(false);
    // The worker died before reporting: the retry has no details, only when the send was first scheduled.
    const outcome = await retrying(() => activities().sendText(reply), { attempt: 2, scheduledAtMs });
    expect(outcome.result).toMatchObject({ alreadySent: true, messageId: first.result?.messageId });
    expect(sim.state.sent).toHaveLength(1);
  });

  it('decides to send when the look-up keeps failing, instead of looping', async () => {
    const flaky: IWhatsAppService = {
      ...wpp,
      getMessages: () => Promise.reject(new WppTransientError('get-messages: server error 500', { status: 500 })),
    };
    const outcome = await retrying(() => activities({ wpp: flaky }).sendText(reply), {
      first: { startedAtMs: Date.now() - 1_000, maybeSent: true, endedAttempt: 1 },
    });
    expect(outcome.result).toMatchObject({ alreadySent: false });
    expect(outcome.attempts).toBe(4);
    expect(outcome.markers.map((m) => m.lookupFailures)).toEqual([1, 2]);
    expect(sim.state.sent).toHaveLength(1);
  });
});

describe('an assistant reply, recorded by the send once WhatsApp took it', () => {
  const answering = (messageId: string): ReplyRecord => ({
    conversationWorkflowId: WORKFLOW_ID,
    messages: [{ messageId, sentAt: new Date().toISOString(), receivedVia: 'webhook' }],
    triageLevel: 'self-care',
    redFlags: [],
  });
  const recordedReply = { ...reply, reply: answering('false_p1') };

  it('takes the place of the pending row and starts the message workflow', async () => {
    sim.state.crash(SESSION);
    const outcome = await retrying(() => activities().sendText(recordedReply), {
      between: async () => {
        expect(await db.repo.getMessage(SESSION, pendingReplyId(WORKFLOW_ID))).toMatchObject({
          deliveryStatus: 'pending',
        });
        await wpp.closeSession(SESSION);
        await wpp.startSession(SESSION, { webhookUrl: 'http://127.0.0.1:9/hook' });
        await waitFor(async () => (await wpp.getSessionStatus(SESSION)).state === 'CONNECTED');
      },
    });
    expect(outcome.error).toBeUndefined();
    const messageId = outcome.result?.messageId ?? '';
    expect(outcome.result).toMatchObject({ alreadySent: false });
    expect(await db.repo.getMessage(SESSION, pendingReplyId(WORKFLOW_ID))).toBeNull();
    const row = await db.repo.getMessage(SESSION, messageId);
    expect(row).toMatchObject({ content: reply.text, senderType: 'assistant', deliveryStatus: 'sent' });
    expect(row?.metadata).toMatchObject({ workflowId: WORKFLOW_ID, inReplyTo: ['false_p1'], triageLevel: 'self-care' });
    expect(started).toEqual([`inbound:${SESSION}:false_p1`]);
  });

  it('an attempt that fails only at recording is retried without sending again', async () => {
    let failures = 1;
    const flaky = createMessageRecords({
      repo: db.repo,
      client: client as never,
      taskQueue: 'q',
      ids: plainWorkflowIds,
    });
    const records = {
      recordReply: (...args: Parameters<typeof flaky.recordReply>) =>
        failures-- > 0 ? Promise.reject(new Error('SQLITE_BUSY: database is locked')) : flaky.recordReply(...args),
    };
    const outcome = await retrying(() => activities({ records }).sendText(recordedReply));
    expect(outcome.attempts).toBe(2);
    expect(outcome.markers[0]).toMatchObject({ sent: { messageId: outcome.result?.messageId }, endedAttempt: 1 });
    expect(outcome.result).toMatchObject({ alreadySent: true });
    expect(requests).toEqual(['send-message']); // no look-up either: the marker says what was sent
    expect(sim.state.sent).toHaveLength(1);
    expect(await db.repo.getMessage(SESSION, outcome.result?.messageId ?? '')).toMatchObject({
      deliveryStatus: 'sent',
    });
    expect(started).toEqual([`inbound:${SESSION}:false_p1`]);
  });

  it('a worker that died after recording it: the retry finds the recorded reply and does not send again', async () => {
    const scheduledAtMs = Date.now() - 1_000;
    const first = await retrying(() => activities().sendText(recordedReply), { max: 1, scheduledAtMs });
    expect(first.result?.alreadySent).toBe(false);
    // No heartbeat of that attempt reached Temporal: the retry cannot tell how far it got.
    const outcome = await retrying(() => activities().sendText(recordedReply), { attempt: 2, scheduledAtMs });
    expect(outcome.result).toMatchObject({ alreadySent: true, messageId: first.result?.messageId });
    expect(sim.state.sent).toHaveLength(1);
    expect(started).toEqual([`inbound:${SESSION}:false_p1`]);
    expect((await db.repo.getHistory({ session: SESSION, chatId: CHAT, limit: 10 })).length).toBe(1);
  });

  it('the same text recorded as the reply to another message is not taken for this send', async () => {
    await retrying(() =>
      activities().sendText({ ...reply, anchorMessageId: 'false_p0', reply: answering('false_p0') }),
    );
    // This reply's first attempt died before it could send (nothing of it in the chat).
    const outcome = await retrying(() => activities().sendText(recordedReply), {
      attempt: 2,
      scheduledAtMs: Date.now() - 60_000,
    });
    expect(outcome.result).toMatchObject({ alreadySent: false });
    expect(sim.state.sent.map((m) => m.text)).toEqual([reply.text, reply.text]);
    expect(started).toEqual([`inbound:${SESSION}:false_p0`, `inbound:${SESSION}:false_p1`]);
  });
});

describe('a lone reply handed over before the chat went quiet', () => {
  const anchorRow = (messageId: string) => ({
    session: SESSION,
    chatId: CHAT,
    messageId,
    timestamp: new Date(),
    direction: 'inbound' as const,
    senderType: 'patient' as const,
    messageType: 'text' as const,
    content: 'dor de cabeça',
    deliveryStatus: 'received' as const,
  });
  const quiet = (ms: number) => ({ until: new Date(Date.now() + ms).toISOString(), forMs: ms });

  it('waits for the quiet, then sends', async () => {
    await db.repo.logMessage(anchorRow('false_p1'));
    const started = Date.now();
    const outcome = await retrying(() => activities().sendText({ ...reply, quiet: quiet(300) }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(outcome.result).toMatchObject({ alreadySent: false });
    expect(outcome.result?.superseded).toBeUndefined();
    expect(sim.state.sent.map((m) => m.text)).toEqual([reply.text]);
  });

  it('sends nothing when the patient wrote again meanwhile (superseded)', async () => {
    await db.repo.logMessage(anchorRow('false_p1'));
    const sending = retrying(() => activities().sendText({ ...reply, quiet: quiet(300) }));
    await db.repo.logMessage(anchorRow('false_p2'));
    expect((await sending).result).toMatchObject({ superseded: true });
    expect(requests).toEqual([]);
    expect(sim.state.sent).toEqual([]);
  });

  it('sends nothing when a person took the chat over meanwhile', async () => {
    await db.repo.logMessage(anchorRow('false_p1'));
    const sending = retrying(() => activities().sendText({ ...reply, quiet: quiet(300) }));
    await db.repo.setChatStatus(SESSION, CHAT, 'handoff');
    expect((await sending).result).toMatchObject({ superseded: true });
    expect(sim.state.sent).toEqual([]);
  });

  it('still sends for a chat marked closed (no person has it)', async () => {
    await db.repo.logMessage(anchorRow('false_p1'));
    await db.repo.setChatStatus(SESSION, CHAT, 'closed');
    const outcome = await retrying(() => activities().sendText({ ...reply, quiet: quiet(100) }));
    expect(outcome.result).toMatchObject({ alreadySent: false });
    expect(sim.state.sent).toHaveLength(1);
  });

  it('never waits longer than the quiet window, whatever the clocks say', async () => {
    await db.repo.logMessage(anchorRow('false_p1'));
    const started = Date.now();
    const outcome = await retrying(() =>
      activities().sendText({ ...reply, quiet: { until: new Date(Date.now() + 3_600_000).toISOString(), forMs: 200 } }),
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcome.result).toMatchObject({ alreadySent: false });
  });
});
