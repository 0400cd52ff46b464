/**
 * conversationWorkflow alone, with mocked activities under time skipping: what the chat's owner does with
 * bursts, order, pauses, duplicates, failed sends, expired replies, staff replies and continue-as-new.
 * The pipeline tests (pipeline*.test.ts) run the same workflow with the real activities.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, type SignalDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ClinicianAlert } from '../../activities/alerts';
import type {
  AcceptInboundInput,
  AssessInput,
  AssessResult,
  OpenConversationInput,
  OpenedConversation,
  PipelineSettings,
  RecordFailedReplyInput,
  RecordOutcomesInput,
} from '../../activities/message-activities';
import { quietWaitMs, type SendTextInput } from '../../activities/send-activities';
import {
  conversationStateQuery,
  FailureType,
  handoffSignal,
  inboundMessageSignal,
  sendMessageSignal,
  type ConversationState,
  type ConversationWorkflowInput,
  type InboundItem,
  type InboundMessage,
  type OutboundRequest,
} from '../../contracts';
import type { conversationWorkflow } from '../../workflows/conversation';
import { bundleWorkflows, createTimeSkippingEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../helpers/temporal';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
});
afterAll(async () => {
  await env?.teardown();
});

const SESSION = 's1';
const QUIET_MS = 300;

/** Everything the mocked activities were asked, in order. */
interface Calls {
  /** `restore` of each openConversation: true when a run starts afresh, false after continue-as-new. */
  opened: boolean[];
  accepted: string[];
  /** Lone messages assessed as they were logged (acceptInbound with `assess`). */
  early: string[];
  /** The assessConversation step itself. */
  assessed: AssessInput[];
  sent: SendTextInput[];
  /** Sends that recorded an assistant reply (the send activity records it once WhatsApp took it). */
  replies: SendTextInput[];
  /** Anchors of replies handed over before the quiet and not sent: the patient wrote again, or a person took over. */
  superseded: string[];
  /** The chat's status as the API and the console write it when they signal a handoff (the send reads it). */
  status: 'active' | 'handoff';
  failed: RecordFailedReplyInput[];
  outcomes: RecordOutcomesInput[];
  staff: string[];
  escalations: string[];
  alerts: ClinicianAlert['kind'][];
  requests: string[];
}

interface Behaviour {
  level?: (input: AssessInput) => AssessResult['triageLevel'];
  restored?: { pausedReason?: 'handoff' | 'escalated' };
  /** Throws for the n-th send (1-based) with this failure type, non-retryably. */
  failSend?: { nth: number; type: string };
  /** false: a model answers (the assessment is an ordinary activity, never done early). */
  assessLocally?: boolean;
  /** Runs inside acceptInbound while it assesses a lone message early. */
  onEarly?: () => Promise<void>;
}

function mockActivities(calls: Calls, behaviour: Behaviour, sendTaskQueue: string) {
  const settings: PipelineSettings = {
    quietWindowMs: QUIET_MS,
    replyMaxAgeMs: 15 * 60_000,
    humanReplyPausesBot: true,
    assessLocally: behaviour.assessLocally ?? true,
    sendTaskQueue,
    emergencyAttribute: 'emergency',
  };
  let sends = 0;
  const assess = (input: AssessInput): Promise<AssessResult> => {
    const triageLevel = behaviour.level?.(input) ?? 'self-care';
    return Promise.resolve({
      triageLevel,
      reply: `${input.delayed ? 'sorry for the delay; ' : ''}re: ${input.messageIds.join(',')}`,
      redFlags: triageLevel === 'emergency' ? ['chest-pain-warning'] : [],
      followUpQuestions: [],
      provider: 'rules',
      model: 'rules',
      language: 'en',
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
  };
  const main = {
    openConversation: ({ restore }: OpenConversationInput): Promise<OpenedConversation> => {
      calls.opened.push(restore);
      return Promise.resolve(restore ? { settings, restored: behaviour.restored ?? {} } : { settings });
    },
    acceptInbound: async ({ session, chatId, items, assess: early }: AcceptInboundInput) => {
      calls.accepted.push(...items.map((i) => i.message.messageId));
      if (!early) return {};
      const messageIds = items.map((i) => i.message.messageId);
      calls.early.push(...messageIds);
      await behaviour.onEarly?.();
      return { assessment: await assess({ session, chatId, messageIds }) };
    },
    assessConversation: (input: AssessInput): Promise<AssessResult> => {
      calls.assessed.push(input);
      return assess(input);
    },
    recordEscalation: ({ chatId }: { chatId: string }) => {
      calls.escalations.push(chatId);
      return Promise.resolve();
    },
    recordFailedReply: (input: RecordFailedReplyInput) => {
      calls.failed.push(input);
      return Promise.resolve();
    },
    recordOutcomes: (input: RecordOutcomesInput) => {
      calls.outcomes.push(input);
      return Promise.resolve();
    },
    recordStaffMessages: ({ items }: { items: InboundItem[] }) => {
      calls.staff.push(...items.map((i) => i.message.messageId));
      return Promise.resolve({ human: items.length });
    },
    recordRequestSent: ({ request }: { request: OutboundRequest }) => {
      calls.requests.push(request.requestId);
      return Promise.resolve();
    },
    recordRequestFailed: () => Promise.resolve(),
    storeInboundMedia: () => Promise.resolve({ stored: true }),
    alertClinician: (alert: ClinicianAlert) => {
      calls.alerts.push(alert.kind);
      return Promise.resolve({ delivered: true });
    },
  };
  const sendActivities = {
    sendText: async (input: SendTextInput) => {
      if (input.quiet) {
        // As the real send: wait for the quiet, then go only if no later patient message was logged.
        await new Promise((resolve) => setTimeout(resolve, quietWaitMs(input.quiet!, Date.now())));
        const anchor = calls.accepted.lastIndexOf(input.anchorMessageId ?? '');
        if (calls.status !== 'active' || (anchor >= 0 && anchor < calls.accepted.length - 1)) {
          calls.superseded.push(input.anchorMessageId ?? '');
          return { messageId: '', chatId: input.chatId, ack: 0, alreadySent: false, superseded: true };
        }
      }
      sends += 1;
      if (behaviour.failSend?.nth === sends) {
        throw ApplicationFailure.nonRetryable(`send ${sends} fails`, behaviour.failSend.type);
      }
      calls.sent.push(input);
      if (input.reply) calls.replies.push(input);
      return Promise.resolve({ messageId: `sent-${sends}`, chatId: input.chatId, ack: 1, alreadySent: false });
    },
    sendMedia: () => Promise.reject(new Error('not used')),
  };
  return { main, sendActivities };
}

interface Chat {
  calls: Calls;
  chatId: string;
  say(id: string, opts?: { sentAt?: string; fromMe?: boolean }): Promise<void>;
  request(requestId: string, text: string): Promise<void>;
  /** As the API does: signals the handoff, then writes the chat's status. */
  handoff(action: 'handoff' | 'resume'): Promise<void>;
  state(): Promise<ConversationState>;
  until(what: string, check: () => boolean | Promise<boolean>): Promise<void>;
  handle: ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>;
}

/** Runs the workflow against mocked activities while `fn` runs. */
async function withConversation(
  behaviour: Behaviour,
  fn: (chat: Chat) => Promise<void>,
  limits: Pick<ConversationWorkflowInput, 'historyLimit' | 'idleHistoryLimit'> = {},
): Promise<void> {
  const taskQueue = `conversation-${randomUUID()}`;
  const calls: Calls = {
    opened: [],
    accepted: [],
    early: [],
    assessed: [],
    sent: [],
    replies: [],
    superseded: [],
    status: 'active',
    failed: [],
    outcomes: [],
    staff: [],
    escalations: [],
    alerts: [],
    requests: [],
  };
  const { main, sendActivities } = mockActivities(calls, behaviour, `${taskQueue}-sends`);
  const chatId = `55119${Math.floor(Math.random() * 1e8)}@c.us`;
  const workflowId = `conversation:${SESSION}:${chatId}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: main,
  });
  const sendWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: `${taskQueue}-sends`,
    activities: sendActivities,
  });
  const message = (id: string, opts: { sentAt?: string; fromMe?: boolean } = {}): InboundMessage => ({
    session: SESSION,
    chatId,
    messageId: id,
    sentAt: opts.sentAt ?? new Date().toISOString(),
    senderId: chatId,
    isGroup: false,
    messageType: 'text',
    rawType: 'chat',
    text: `text of ${id}`,
    ...(opts.fromMe ? { fromMe: true } : {}),
  });
  const start = <A>(signal: SignalDefinition<[A]>, arg: A) =>
    env.client.workflow.signalWithStart<typeof conversationWorkflow, [A]>('conversationWorkflow', {
      workflowId,
      taskQueue,
      args: [{ session: SESSION, chatId, ...limits }],
      signal,
      signalArgs: [arg],
    });
  const handle = env.client.workflow.getHandle(workflowId);
  const chat: Chat = {
    calls,
    chatId,
    handle,
    async say(id, opts) {
      await start(inboundMessageSignal, { message: message(id, opts), receivedVia: 'webhook' as const });
    },
    async request(requestId, text) {
      await start(sendMessageSignal, {
        request: { requestId, session: SESSION, chatId, type: 'text' as const, text },
      });
    },
    async handoff(action) {
      await handle.signal(handoffSignal, { action, by: 'console:nurse' });
      calls.status = action === 'handoff' ? 'handoff' : 'active';
    },
    state: () => handle.query(conversationStateQuery),
    async until(what, check) {
      const deadline = Date.now() + 20_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
  await worker.runUntil(
    sendWorker.runUntil(async () => {
      try {
        await fn(chat);
      } finally {
        await handle.terminate('test over').catch(() => undefined);
      }
    }),
  );
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('conversationWorkflow', () => {
  it('answers messages written within the quiet window with one reply covering all of them', () =>
    withConversation({}, async (chat) => {
      await chat.say('m1');
      await chat.say('m2');
      await chat.say('m3');
      await chat.until('the reply', () => chat.calls.replies.length === 1);
      await pause(QUIET_MS * 2);
      expect(chat.calls.accepted).toEqual(['m1', 'm2', 'm3']);
      expect(chat.calls.assessed.map((a) => a.messageIds)).toEqual([['m1', 'm2', 'm3']]);
      expect(chat.calls.sent).toHaveLength(1);
      expect(chat.calls.sent[0]).toMatchObject({ text: 're: m1,m2,m3', anchorMessageId: 'm3' });
      expect(chat.calls.replies[0]!.reply?.messages.map((m) => m.messageId)).toEqual(['m1', 'm2', 'm3']);
      expect(chat.calls.replies[0]!.reply).toMatchObject({
        conversationWorkflowId: chat.handle.workflowId,
        triageLevel: 'self-care',
        redFlags: [],
      });
      expect(await chat.state()).toMatchObject({ queueLength: 0, repliesSent: 1, messagesHandled: 3, step: 'idle' });
    }));

  it('answers a lone message with the assessment made when it was logged: no assessment step of its own', () =>
    withConversation({}, async (chat) => {
      await chat.say('solo');
      await chat.until('the reply', () => chat.calls.replies.length === 1);
      expect(chat.calls.early).toEqual(['solo']);
      expect(chat.calls.assessed).toEqual([]);
      expect(chat.calls.sent[0]).toMatchObject({ text: 're: solo', anchorMessageId: 'solo' });
    }));

  it("sends a lone message's reply, assessed as it was logged, before a request that came in while it waited for the quiet", () => {
    let current: Chat | undefined;
    const onEarly = async () => {
      await current?.request('req-1', 'your appointment is at 9');
    };
    return withConversation({ onEarly }, async (chat) => {
      current = chat;
      await chat.say('first');
      await chat.until('the reply and the request', () => chat.calls.replies.length + chat.calls.requests.length === 2);
      expect(chat.calls.early).toEqual(['first']);
      expect(chat.calls.assessed).toEqual([]);
      expect(chat.calls.superseded).toEqual([]);
      expect(chat.calls.sent.map((s) => s.text)).toEqual(['re: first', 'your appointment is at 9']);
    });
  });

  it('answers the burst instead when the patient writes again while the lone reply waits for the quiet', () =>
    withConversation({}, async (chat) => {
      await chat.say('first');
      await chat.until('the lone reply handed to the send', () => chat.calls.early.length === 1);
      await pause(QUIET_MS / 3);
      await chat.say('second');
      await chat.until('the reply', () => chat.calls.replies.length === 1);
      await pause(QUIET_MS * 2);
      expect(chat.calls.superseded).toEqual(['first']);
      expect(chat.calls.assessed.map((a) => a.messageIds)).toEqual([['first', 'second']]);
      expect(chat.calls.sent.map((s) => s.text)).toEqual(['re: first,second']);
      expect(await chat.state()).toMatchObject({ queueLength: 0, repliesSent: 1, messagesHandled: 2 });
    }));

  it('never assesses early when a model answers (an ordinary activity, asked once per burst)', () =>
    withConversation({ assessLocally: false }, async (chat) => {
      await chat.say('solo');
      await chat.until('the reply', () => chat.calls.replies.length === 1);
      expect(chat.calls.early).toEqual([]);
      expect(chat.calls.assessed.map((a) => a.messageIds)).toEqual([['solo']]);
    }));

  it('answers in the order the patient wrote, whatever order the webhooks came in', () =>
    withConversation({}, async (chat) => {
      const t = Date.now();
      await chat.say('late', { sentAt: new Date(t + 2000).toISOString() });
      await chat.say('early', { sentAt: new Date(t).toISOString() });
      await chat.until('the reply', () => chat.calls.replies.length === 1);
      expect(chat.calls.assessed[0]!.messageIds).toEqual(['early', 'late']);
    }));

  it('answers two messages further apart than the quiet window separately, one after the other', () =>
    withConversation({}, async (chat) => {
      await chat.say('first');
      await chat.until('the first reply', () => chat.calls.replies.length === 1);
      await chat.say('second');
      await chat.until('the second reply', () => chat.calls.replies.length === 2);
      expect(chat.calls.sent.map((s) => s.text)).toEqual(['re: first', 're: second']);
    }));

  it('takes a message or a request given twice only once', () =>
    withConversation({}, async (chat) => {
      await chat.say('dup');
      await chat.say('dup');
      await chat.request('req-1', 'your appointment is at 9');
      await chat.request('req-1', 'your appointment is at 9');
      await chat.until('both sends', () => chat.calls.sent.length === 2 && chat.calls.requests.length === 1);
      await pause(QUIET_MS * 2);
      expect(chat.calls.accepted).toEqual(['dup']);
      expect(chat.calls.sent.map((s) => s.text)).toEqual(['re: dup', 'your appointment is at 9']);
    }));

  it('logs but does not answer while a human has the chat, and answers again after resume', () =>
    withConversation({}, async (chat) => {
      await chat.say('hello');
      await chat.handoff('handoff');
      await chat.until('the paused outcome', () => chat.calls.outcomes.length === 1 || chat.calls.replies.length > 0);
      expect(chat.calls.replies).toHaveLength(0);
      expect(chat.calls.outcomes[0]).toMatchObject({ outcome: 'paused', reason: 'handoff' });
      expect(await chat.state()).toMatchObject({ paused: true, pausedReason: 'handoff', pausedBy: 'console:nurse' });

      await chat.handoff('resume');
      await chat.say('are you there?');
      await chat.until('the reply after resume', () => chat.calls.replies.length === 1);
      expect(chat.calls.sent.map((s) => s.text)).toEqual(['re: are you there?']);
    }));

  it('escalates an emergency before sending, alerts, and keeps the chat for a human afterwards', () =>
    withConversation({ level: (a) => (a.messageIds.includes('chest') ? 'emergency' : 'self-care') }, async (chat) => {
      await chat.say('chest');
      await chat.until('the reply', () => chat.calls.replies.length === 1);
      expect(chat.calls.escalations).toEqual([chat.chatId]);
      await chat.until('the alert', () => chat.calls.alerts.includes('escalation'));
      expect(await chat.state()).toMatchObject({ paused: true, pausedReason: 'escalated', triageLevel: 'emergency' });

      await chat.say('hello?');
      await chat.until('the paused outcome', () => chat.calls.outcomes.length === 1);
      expect(chat.calls.outcomes[0]).toMatchObject({ outcome: 'paused', reason: 'escalated' });
      await chat.until('the follow-up alert', () => chat.calls.alerts.includes('message-while-escalated'));
      // A later handoff does not hide the escalation; only a resume ends it.
      await chat.handoff('handoff');
      expect(await chat.state()).toMatchObject({ pausedReason: 'escalated' });
      expect(chat.calls.sent).toHaveLength(1);
    }));

  it('starting afresh for a chat the database has as escalated, keeps it for a human', () =>
    withConversation({ restored: { pausedReason: 'escalated' } }, async (chat) => {
      await chat.say('hello');
      await chat.until('the paused outcome', () => chat.calls.outcomes.length === 1);
      expect(chat.calls.outcomes[0]).toMatchObject({ outcome: 'paused', reason: 'escalated' });
      expect(await chat.state()).toMatchObject({ paused: true, pausedReason: 'escalated', pausedBy: 'database' });
      expect(chat.calls.sent).toHaveLength(0);
    }));

  it('records a reply that cannot be sent as failed and goes on with the next message', () =>
    withConversation({ failSend: { nth: 1, type: FailureType.RecipientNotFound } }, async (chat) => {
      await chat.say('one');
      await chat.until('the failure', () => chat.calls.failed.length === 1);
      expect(chat.calls.failed[0]).toMatchObject({ content: 're: one' });
      expect(chat.calls.failed[0]!.reason).toBe('recipient does not exist on WhatsApp');
      await chat.say('two');
      await chat.until('the next reply', () => chat.calls.replies.length === 1);
      expect(chat.calls.sent.map((s) => s.text)).toEqual(['re: two']);
    }));

  it('writes the reply again, saying sorry for the delay, when it expired before it could be sent', () =>
    withConversation({ failSend: { nth: 1, type: FailureType.ReplyExpired } }, async (chat) => {
      await chat.say('late');
      await chat.until('the reply', () => chat.calls.replies.length === 1);
      // The lone message was assessed as it was logged; the reply written again is a step of its own.
      expect(chat.calls.early).toEqual(['late']);
      expect(chat.calls.assessed.map((a) => a.delayed ?? false)).toEqual([true]);
      expect(chat.calls.sent.map((s) => s.text)).toEqual(['sorry for the delay; re: late']);
      expect(chat.calls.failed).toHaveLength(0);
    }));

  it('records a message typed on the clinic phone as a human reply and pauses the assistant', () =>
    withConversation({}, async (chat) => {
      await chat.say('staff-1', { fromMe: true });
      await chat.until('the staff record', () => chat.calls.staff.length === 1);
      expect(await chat.state()).toMatchObject({ paused: true, pausedReason: 'handoff', pausedBy: 'phone' });
      await chat.say('patient-after');
      await chat.until('the paused outcome', () => chat.calls.outcomes.length === 1);
      expect(chat.calls.accepted).toEqual(['staff-1', 'patient-after']);
      expect(chat.calls.sent).toHaveLength(0);
    }));

  it('continues as new under a small history limit, carrying what it has not done yet', () =>
    withConversation(
      {},
      async (chat) => {
        await chat.say('m1');
        const { runId: firstRun } = await chat.handle.describe();
        for (let i = 1; i <= 6; i++) {
          if (i > 1) await chat.say(`m${i}`);
          await chat.until(`reply ${i}`, () => chat.calls.replies.length === i);
        }
        await chat.request('req-after', 'reminder');
        await chat.until('the request', () => chat.calls.requests.length === 1);
        expect((await chat.handle.describe()).runId).not.toBe(firstRun);
        // A duplicate from before the continue-as-new is still recognised.
        await chat.say('m1');
        await chat.request('req-after', 'reminder');
        await pause(QUIET_MS * 3);
        expect(chat.calls.sent.map((s) => s.text)).toEqual([
          're: m1',
          're: m2',
          're: m3',
          're: m4',
          're: m5',
          're: m6',
          'reminder',
        ]);
        // The first run read the chat from the database; the runs continued as new took it from their state.
        expect(chat.calls.opened[0]).toBe(true);
        expect(chat.calls.opened.length).toBeGreaterThan(1);
        expect(chat.calls.opened.slice(1).every((restore) => restore === false)).toBe(true);
      },
      { historyLimit: 40 },
    ));

  it('continues as new once the line is idle past the idle limit, and goes on answering without loss', () =>
    withConversation(
      {},
      async (chat) => {
        await chat.say('m1');
        const { runId: firstRun } = await chat.handle.describe();
        await chat.until('reply 1', () => chat.calls.replies.length === 1);
        await chat.until('a new run', async () => (await chat.handle.describe()).runId !== firstRun);
        await chat.until('the new run opened', () => chat.calls.opened.length === 2);
        // Nothing came in: the run ended because it was idle, and the new one opened from its state.
        expect(chat.calls.opened).toEqual([true, false]);
        await chat.say('m1'); // a duplicate from before
        await chat.say('m2');
        await chat.until('reply 2', () => chat.calls.replies.length === 2);
        await pause(QUIET_MS * 2);
        expect(chat.calls.sent.map((s) => s.text)).toEqual(['re: m1', 're: m2']);
        expect(await chat.state()).toMatchObject({ repliesSent: 2, messagesHandled: 2, queueLength: 0 });
      },
      { idleHistoryLimit: 10 },
    ));
});
