/**
 * Catch-up end to end: messages whose webhook WPPConnect never posted are found by the session keeper's
 * catchUpMessages pass and answered by the real pipeline (workflows/index.ts, real activities, SQLite,
 * the Koa app and the simulator), exactly once each.
 */
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createCatchUpActivities, type CatchUpInput, type CatchUpResult } from '../../activities/catch-up';
import { createSessionGate } from '../../activities/session-gate';
import { createLidResolver } from '../../wppconnect/contacts';
import { createWppConnectClient } from '../../wppconnect/client';
import { createSimulator } from '../../simulator/server';
import { createSimClient, type SentRecordView } from '../../simulator/control-client';
import {
  inboundWorkflowId,
  SA_CHAT_ID,
  SA_WHATSAPP_SESSION,
  sessionKeeperWorkflowId,
  sessionStatusQuery,
  type InboundWorkflowResult,
  type SessionKeeperStatus,
} from '../../contracts';
import type { sessionKeeperWorkflow } from '../../workflows/session-keeper';
import { captureHistory } from '../helpers/histories';
import { SESSION, startPipeline, type Pipeline } from '../helpers/pipeline';
import { bundleWorkflows, createTimeSkippingEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../helpers/temporal';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let pipeline: Pipeline;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  pipeline = await startPipeline({
    env,
    bundle,
    configEnv: { QUIET_WINDOW_MS: '300' },
    // The keeper's circuit breaker, for real: sends go ahead because the keeper says CONNECTED.
    sessionGate: createSessionGate({ client: env.client, queryTimeoutMs: 20_000 }),
  });
});

afterAll(async () => {
  await env?.client.workflow
    .getHandle(sessionKeeperWorkflowId(SESSION))
    .terminate('test over')
    .catch(() => undefined);
  await pipeline?.close();
  await env?.teardown();
});

const realPause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function keeperUntil(what: string, done: (s: SessionKeeperStatus) => boolean): Promise<SessionKeeperStatus> {
  const handle = env.client.workflow.getHandle(sessionKeeperWorkflowId(SESSION));
  let last: SessionKeeperStatus | undefined;
  for (let i = 0; i < 60; i += 1) {
    last = await handle.query(sessionStatusQuery);
    if (done(last)) return last;
    await env.sleep('30 seconds');
    await realPause(50);
  }
  throw new Error(`keeper never reached ${what}; last status: ${JSON.stringify(last)}`);
}

/** What the simulator was asked to send, read over its control routes as the bench reads it. */
async function sentBySimulator(): Promise<SentRecordView[]> {
  const control = createSimClient(pipeline.simulator.url, SESSION);
  try {
    return await control.sent(SESSION);
  } finally {
    await control.close();
  }
}

describe('session keeper catch-up', () => {
  it('finds 20 patient messages whose webhook never arrived and answers each exactly once', async () => {
    // The app may already have started the keeper from a status-find webhook: attach to it either way.
    const keeper = await env.client.workflow.start<typeof sessionKeeperWorkflow>('sessionKeeperWorkflow', {
      workflowId: sessionKeeperWorkflowId(SESSION),
      taskQueue: pipeline.taskQueue,
      args: [{ session: SESSION }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    await keeperUntil(
      'CONNECTED with a first catch-up',
      (s) => s.state === 'CONNECTED' && s.lastCatchUpAt !== undefined,
    );

    // One message goes the normal way (webhook), twenty are lost on the way.
    const delivered = pipeline.patientSays('5511977770100', 'I have had a mild headache since this morning');
    const lost = Array.from({ length: 20 }, (_, i) =>
      pipeline.patientSays(
        `55119777701${String(i + 1).padStart(2, '0')}`,
        `I have had a mild cough for two days (${i + 1})`,
        {
          deliverWebhook: false,
        },
      ),
    );
    expect(new Set(lost.map((m) => m.chatId)).size).toBe(20);

    const found = await keeperUntil('20 messages caught up', (s) => s.catchUpStarted >= 20);
    expect(found.catchUpStarted).toBe(20);

    // One result at a time: concurrent result() calls unbalance the test server's time-skipping lock.
    // Each message's record workflow starts once its reply is recorded, which may come after the keeper
    // counted the catch-up: inboundResult waits for the workflow to exist before asking for its result.
    const outcomes: InboundWorkflowResult[] = [];
    for (const m of lost) outcomes.push(await pipeline.inboundResult(m.id));
    expect(outcomes.map((o) => o.outcome)).toEqual(Array.from({ length: 20 }, () => 'replied'));
    const deliveredOutcome = await pipeline.inboundResult(delivered.id);
    expect(deliveredOutcome.outcome).toBe('replied');

    // Started exactly like the webhook would have: same id, search attributes, marked as catch-up.
    const description = await env.client.workflow.getHandle(inboundWorkflowId(SESSION, lost[0]!.id)).describe();
    expect(description.typedSearchAttributes.get(SA_CHAT_ID)).toBe(lost[0]!.chatId);
    expect(description.typedSearchAttributes.get(SA_WHATSAPP_SESSION)).toBe(SESSION);
    const [recorded] = await pipeline.db.repo.getHistory({ session: SESSION, chatId: lost[0]!.chatId, limit: 10 });
    expect(recorded).toMatchObject({ messageId: lost[0]!.id, direction: 'inbound' });
    expect(recorded!.metadata.receivedVia).toBe('catch-up');

    // A later pass finds nothing new: no second workflow, no second reply.
    await env.sleep('6 minutes');
    const after = await keeperUntil(
      'another catch-up pass',
      (s) => Date.parse(s.lastCatchUpAt ?? '') > Date.parse(found.lastCatchUpAt ?? ''),
    );
    expect(after.catchUpStarted).toBe(20);

    const sent = await sentBySimulator();
    for (const m of [...lost, delivered]) {
      expect(sent.filter((r) => r.chatId === m.chatId)).toHaveLength(1);
    }
    expect(sent).toHaveLength(21);
    await captureHistory(keeper, 'sessionKeeperWorkflow', 'catch-up');
  });
});

describe('catchUpMessages (one pass, bounded)', () => {
  const session = 'catch-up-bounds';

  it('pages back only up to its bounds, skips recorded and group messages, hands over phone-typed ones, and moves its marks', async () => {
    const sim = await createSimulator({ secretKey: 'bounds-secret', autoConnect: true, timing: { initializeMs: 5 } });
    try {
      const wpp = createWppConnectClient({ baseUrl: `${sim.url}/api`, secretKey: 'bounds-secret', timeoutMs: 5_000 });
      await wpp.startSession(session, { webhookUrl: 'http://127.0.0.1:9/api/webhook/x' });
      await pipeline.waitFor(async () => (await wpp.getSessionStatus(session)).state === 'CONNECTED', 'CONNECTED');

      const busy = Array.from({ length: 25 }, (_, i) =>
        sim.state.inject({ session, from: '5511966660001', text: `busy ${i}`, deliverWebhook: false }),
      );
      const quiet = [1, 2, 3].map((i) =>
        sim.state.inject({ session, from: '5511966660002', text: `quiet ${i}`, deliverWebhook: false }),
      );
      // The pipeline's own reply sits in the quiet chat too, recorded under its WhatsApp id when it was sent...
      const own = await wpp.sendText(session, { to: '5511966660002', text: 'own reply' });
      await pipeline.db.repo.logMessage({
        session,
        chatId: own.chatId,
        messageId: own.messageId,
        timestamp: new Date(),
        direction: 'outbound',
        senderType: 'assistant',
        messageType: 'text',
        deliveryStatus: 'sent',
      });
      // ...and then someone at the clinic answers on the linked phone (no onselfmessage webhook by default).
      const typed = sim.state.typeOnPhone({ session, to: '5511966660002', text: 'Aqui é a Ana, da recepção' });
      expect(typed.webhook).toBe('disabled');
      sim.state.inject({
        session,
        from: '5511966660003',
        group: '120363000000000077',
        text: 'group',
        deliverWebhook: false,
      });
      // The first quiet message was handled through its webhook: it is in the database already.
      await pipeline.db.repo.logMessage({
        session,
        chatId: quiet[0]!.chatId,
        messageId: quiet[0]!.id,
        timestamp: new Date(),
        direction: 'inbound',
        senderType: 'patient',
        messageType: 'text',
        deliveryStatus: 'received',
      });

      // A stand-in for the Temporal client: records each message handed to its conversation.
      const started: { workflowId: string; args: unknown[] }[] = [];
      const temporalClient = {
        workflow: {
          signalWithStart: (_type: string, opts: { signalArgs: [{ message: { messageId: string } }] }) => {
            started.push({
              workflowId: inboundWorkflowId(session, opts.signalArgs[0].message.messageId),
              args: opts.signalArgs,
            });
            return Promise.resolve({ workflowId: 'conversation' });
          },
        },
      };
      const activities = createCatchUpActivities({
        wpp,
        repo: pipeline.db.repo,
        temporalClient: temporalClient as never,
        config: { sessions: [session], taskQueue: 'q' },
        logger: pino({ level: 'silent' }),
        catchUpLimits: { pageSize: 10, maxPagesPerChat: 2 },
      });
      const run = (marks: Record<string, number>): Promise<CatchUpResult> =>
        new MockActivityEnvironment().run(activities.catchUpMessages, {
          session,
          marks,
          reason: 'timer',
        } satisfies CatchUpInput);

      const first = await run({});
      // Busy chat: two pages of ten (the 5 oldest wait for a later pass); quiet chat: the 2 patient messages
      // not recorded, and the one typed on the phone; the recorded one and the pipeline's own reply are skipped.
      expect(first).toMatchObject({ chatsScanned: 2, started: 23, staff: 1, skipped: 2, truncated: 1, failedChats: 0 });
      const startedIds = started.map((s) => s.workflowId);
      expect(startedIds).toEqual(
        expect.arrayContaining(
          [...busy.slice(5), ...quiet.slice(1), typed].map((m) => inboundWorkflowId(session, m.id)),
        ),
      );
      expect(startedIds).not.toContain(inboundWorkflowId(session, quiet[0]!.id));
      expect(startedIds).not.toContain(inboundWorkflowId(session, own.messageId));
      expect((await wpp.getMessages(session, quiet[0]!.chatId)).map((m) => m.fromMe)).toEqual([
        false,
        false,
        false,
        true,
        true,
      ]);
      // The conversation gets it as the clinic's own message: it records it as a human reply and pauses.
      const handedTyped = started.find((x) => x.workflowId === inboundWorkflowId(session, typed.id));
      expect(handedTyped?.args[0]).toEqual({
        receivedVia: 'catch-up',
        message: expect.objectContaining({
          messageId: typed.id,
          chatId: '5511966660002@c.us',
          fromMe: true,
          text: 'Aqui é a Ana, da recepção',
        }) as unknown,
      });
      expect(started[0]!.args[0]).toMatchObject({ receivedVia: 'catch-up', message: { session, messageType: 'text' } });
      expect(Object.keys(first.marks).sort()).toEqual([busy[0]!.chatId, quiet[0]!.chatId].sort());

      // Nothing newer than the marks: the next pass looks at no chat and starts nothing.
      const second = await run(first.marks);
      expect(second).toMatchObject({ chatsScanned: 0, started: 0, skipped: 0, truncated: 0 });
      expect(started).toHaveLength(23);
    } finally {
      await sim.close();
    }
  });

  it('lists only person chats, so busy groups never push a 1:1 chat out, and gives @lid chats their phone number', async () => {
    const lidSession = 'catch-up-lid';
    const sim = await createSimulator({ secretKey: 'lid-secret', autoConnect: true, timing: { initializeMs: 5 } });
    try {
      const wpp = createWppConnectClient({ baseUrl: `${sim.url}/api`, secretKey: 'lid-secret', timeoutMs: 5_000 });
      await wpp.startSession(lidSession, { webhookUrl: 'http://127.0.0.1:9/api/webhook/x' });
      await pipeline.waitFor(async () => (await wpp.getSessionStatus(lidSession)).state === 'CONNECTED', 'CONNECTED');

      // A patient known to WhatsApp only by a LID writes, then three groups get busier than that chat.
      const lid = sim.state.inject({
        session: lidSession,
        from: '123456789012399',
        phone: '5511955550001',
        text: 'Estou com febre desde ontem',
        deliverWebhook: false,
      });
      expect(lid.chatId).toBe('123456789012399@lid');
      await realPause(1100); // a later second for the groups' activity
      for (const g of ['120363000000000081', '120363000000000082', '120363000000000083']) {
        sim.state.inject({
          session: lidSession,
          from: '5511955550009',
          group: g,
          text: 'bom dia',
          deliverWebhook: false,
        });
      }

      const handed: { message: { chatId: string; contactPhone?: string } }[] = [];
      const temporalClient = {
        workflow: {
          signalWithStart: (_type: string, opts: { signalArgs: [{ message: { chatId: string } }] }) => {
            handed.push(opts.signalArgs[0]);
            return Promise.resolve({ workflowId: 'conversation' });
          },
        },
      };
      const activities = createCatchUpActivities({
        wpp,
        repo: pipeline.db.repo,
        temporalClient: temporalClient as never,
        config: { sessions: [lidSession], taskQueue: 'q' },
        logger: pino({ level: 'silent' }),
        contacts: createLidResolver({ wpp }),
        // One chat per pass: list-chats is asked for two, which would be two of the groups without onlyUsers.
        catchUpLimits: { maxChats: 1 },
      });
      const result = await new MockActivityEnvironment().run(activities.catchUpMessages, {
        session: lidSession,
        marks: {},
        reason: 'timer',
      } satisfies CatchUpInput);
      expect(result).toMatchObject({ chatsScanned: 1, started: 1, staff: 0, truncated: 0 });
      expect(handed).toEqual([
        expect.objectContaining({
          message: expect.objectContaining({ chatId: lid.chatId, contactPhone: '5511955550001' }) as unknown,
        }),
      ]);
    } finally {
      await sim.close();
    }
  });
});
