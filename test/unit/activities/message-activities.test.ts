/**
 * The conversation's steps (activities/message-activities.ts) one at a time, in MockActivityEnvironment,
 * against a real SQLite repository. The Temporal client is a stand-in that records the message workflows
 * the activities start (the pipeline tests start real ones).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import {
  createMessageActivities,
  type AssessResult,
  type PipelineSettings,
} from '../../../activities/message-activities';
import { createMessageRecords, type ReplyRecord } from '../../../activities/message-records';
import {
  plainWorkflowIds,
  recordedMessage,
  type InboundItem,
  type InboundMessage,
  type InboundWorkflowInput,
} from '../../../contracts';
import { createWorkflowIds } from '../../../contracts/pseudonyms';
import { openDatabase, type Database } from '../../../db';
import { createMediaStore } from '../../../media/store';
import type { Assessment, MedicalCore } from '../../../triage/types';
import type { IWhatsAppService } from '../../../wppconnect/types';

const SESSION = 's1';
const CHAT = '5511977771234@c.us';
const WHERE = { session: SESSION, chatId: CHAT, conversationWorkflowId: `conversation:${SESSION}:${CHAT}` };

const settings: PipelineSettings = {
  quietWindowMs: 500,
  replyMaxAgeMs: 15 * 60_000,
  humanReplyPausesBot: true,
  assessLocally: true,
  sendTaskQueue: 'q-sends',
  emergencyAttribute: 'emergency',
};

let db: Database;
let dir: string;
let started: { workflowId: string; args: InboundWorkflowInput[]; attributes: Record<string, unknown> }[];

interface StartOptions {
  workflowId: string;
  args: InboundWorkflowInput[];
  typedSearchAttributes: { key: { name: string }; value: unknown }[];
}

const client = {
  workflow: {
    start: (_type: string, opts: StartOptions) => {
      if (started.some((s) => s.workflowId === opts.workflowId)) {
        return Promise.reject(
          new WorkflowExecutionAlreadyStartedError('started', opts.workflowId, 'inboundMessageWorkflow'),
        );
      }
      started.push({
        workflowId: opts.workflowId,
        args: opts.args,
        attributes: Object.fromEntries(opts.typedSearchAttributes.map((a) => [a.key.name, a.value])),
      });
      return Promise.resolve({});
    },
  },
};

let lastAssessInput: Parameters<MedicalCore['assess']>[0] | undefined;
const medicalCore: MedicalCore = {
  assess(input): Promise<Assessment> {
    lastAssessInput = input;
    return Promise.resolve({
      triageLevel: 'self-care',
      reply: 'Rest and drink water.',
      redFlags: [],
      followUpQuestions: [],
      provider: 'rules',
      model: 'rules',
      language: 'pt',
    });
  },
};

function activities(ids = plainWorkflowIds, core: MedicalCore = medicalCore) {
  return createMessageActivities({
    repo: db.repo,
    mediaStore: createMediaStore({ root: path.join(dir, 'media'), maxBytes: 1_000_000 }),
    wpp: {} as IWhatsAppService,
    medicalCore: core,
    client: client as never,
    taskQueue: 'q',
    ids,
    settings,
  });
}

const message = (id: string, extra: Partial<InboundMessage> = {}): InboundMessage => ({
  session: SESSION,
  chatId: CHAT,
  messageId: id,
  sentAt: new Date(Date.now() - 1000).toISOString(),
  senderId: CHAT,
  isGroup: false,
  messageType: 'text',
  rawType: 'chat',
  text: `text of ${id}`,
  ...extra,
});
const item = (m: InboundMessage): InboundItem => ({
  kind: 'inbound',
  message: m,
  receivedVia: 'webhook',
  arrivedAt: 0,
});
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  new MockActivityEnvironment().run(fn, ...args);

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'message-activities-'));
  db = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
  started = [];
  lastAssessInput = undefined;
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('acceptInbound', () => {
  it("logs a patient's message once however often it is given, and leaves staff messages for their turn", async () => {
    const a = activities();
    const input = {
      session: SESSION,
      chatId: CHAT,
      items: [{ message: message('m1'), receivedVia: 'webhook' as const }],
    };
    await run(a.acceptInbound, input);
    await run(a.acceptInbound, input);
    await run(a.acceptInbound, {
      ...input,
      items: [{ message: message('staff-1', { fromMe: true }), receivedVia: 'webhook' as const }],
    });
    const history = await db.repo.getHistory({ session: SESSION, chatId: CHAT, limit: 10 });
    expect(history.map((m) => [m.messageId, m.direction, m.senderType, m.content])).toEqual([
      ['m1', 'inbound', 'patient', 'text of m1'],
    ]);
    expect(lastAssessInput).toBeUndefined();
  });

  it('with assess, logs the message and then assesses the conversation ending with it, as assessConversation would', async () => {
    const a = activities();
    await run(a.acceptInbound, {
      session: SESSION,
      chatId: CHAT,
      items: [{ message: message('m0'), receivedVia: 'webhook' }],
    });
    const accepted = await run(a.acceptInbound, {
      session: SESSION,
      chatId: CHAT,
      items: [{ message: message('m1'), receivedVia: 'webhook' }],
      assess: true,
    });
    expect(lastAssessInput?.messages.map((m) => m.text)).toEqual(['text of m0', 'text of m1']);
    const later = await run(a.assessConversation, { session: SESSION, chatId: CHAT, messageIds: ['m1'] });
    const { expiresAt, ...rest } = accepted.assessment ?? ({ expiresAt: '' } as AssessResult);
    expect(rest).toEqual({ ...later, expiresAt: undefined, patientId: undefined });
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
  });

  it('with assess, still logs the message when the assessment fails, and answers without one', async () => {
    const a = activities(plainWorkflowIds, { assess: () => Promise.reject(new Error('rules unavailable')) });
    const accepted = await run(a.acceptInbound, {
      session: SESSION,
      chatId: CHAT,
      items: [{ message: message('m1'), receivedVia: 'webhook' }],
      assess: true,
    });
    expect(accepted.assessment).toBeUndefined();
    const history = await db.repo.getHistory({ session: SESSION, chatId: CHAT, limit: 10 });
    expect(history.map((m) => m.messageId)).toEqual(['m1']);
  });
});

describe('assessConversation', () => {
  it('gives the medical core the recent conversation and stamps when the reply expires', async () => {
    const a = activities();
    await run(a.acceptInbound, {
      session: SESSION,
      chatId: CHAT,
      items: [{ message: message('m1'), receivedVia: 'webhook' }],
    });
    const before = Date.now();
    const result: AssessResult = await run(a.assessConversation, {
      session: SESSION,
      chatId: CHAT,
      messageIds: ['m1'],
    });
    expect(lastAssessInput?.messages.map((m) => [m.role, m.text])).toEqual([['patient', 'text of m1']]);
    expect(result.reply).toBe('Rest and drink water.');
    expect(Date.parse(result.expiresAt)).toBeGreaterThanOrEqual(before + settings.replyMaxAgeMs);
    expect(Date.parse(result.expiresAt)).toBeLessThanOrEqual(Date.now() + settings.replyMaxAgeMs);
  });

  it('opens a reply written again after a delay with an apology in the language of the reply', async () => {
    const a = activities();
    const result = await run(a.assessConversation, { session: SESSION, chatId: CHAT, messageIds: [], delayed: true });
    expect(result.reply).toMatch(/^Desculpe a demora/);
    expect(result.reply).toMatch(/Rest and drink water\.$/);
  });
});

describe('assessConversation of attachments alone', () => {
  it('says the assistant cannot open a photo sent without words, and answers as usual', async () => {
    const a = activities();
    const photo = message('p1', { messageType: 'image', rawType: 'image', text: undefined });
    await run(a.acceptInbound, { session: SESSION, chatId: CHAT, items: [{ message: photo, receivedVia: 'webhook' }] });
    const result = await run(a.assessConversation, { session: SESSION, chatId: CHAT, messageIds: ['p1'] });
    expect(result.reply).toMatch(/^Não consigo abrir fotos, áudios ou documentos\./);
    expect(result.reply).toMatch(/Rest and drink water\.$/);
    expect(lastAssessInput?.messages.map((m) => m.text)).toEqual(['[image]']);
  });

  it('says nothing of attachments when the photo has a caption', async () => {
    const a = activities();
    const photo = message('p2', { messageType: 'image', rawType: 'image', text: undefined, caption: 'this rash' });
    await run(a.acceptInbound, { session: SESSION, chatId: CHAT, items: [{ message: photo, receivedVia: 'webhook' }] });
    const result = await run(a.assessConversation, { session: SESSION, chatId: CHAT, messageIds: ['p2'] });
    expect(result.reply).toBe('Rest and drink water.');
  });
});

describe('recordReply (activities/message-records.ts; the send activity calls it once WhatsApp took the reply)', () => {
  const reply: ReplyRecord = {
    conversationWorkflowId: WHERE.conversationWorkflowId,
    messages: [item(message('m1')), item(message('m2'))].map(recordedMessage),
    triageLevel: 'emergency',
    redFlags: ['chest-pain-warning'],
  };
  const sent = { messageId: 'true_5511977771234@c.us_REPLY1', content: 'Call 192 now.' };
  const records = (ids = plainWorkflowIds) =>
    createMessageRecords({ repo: db.repo, client: client as never, taskQueue: 'q', ids });

  it('logs the reply and starts one workflow per message of the burst, the first replied and the rest coalesced', async () => {
    const { recordReply } = records();
    await run(recordReply, SESSION, CHAT, reply, sent);
    const row = await db.repo.getMessage(SESSION, sent.messageId);
    expect(row).toMatchObject({ direction: 'outbound', senderType: 'assistant', content: 'Call 192 now.' });
    expect(row?.metadata).toMatchObject({
      workflowId: WHERE.conversationWorkflowId,
      inReplyTo: ['m1', 'm2'],
      triageLevel: 'emergency',
    });
    expect(started.map((s) => [s.workflowId, s.args[0]?.outcome, s.args[0]?.answeredBy])).toEqual([
      [`inbound:${SESSION}:m1`, 'replied', `inbound:${SESSION}:m1`],
      [`inbound:${SESSION}:m2`, 'coalesced', `inbound:${SESSION}:m1`],
    ]);
    expect(started[0]!.args[0]).toMatchObject({ replyMessageId: sent.messageId, coveredMessageIds: ['m1', 'm2'] });
    expect(started[0]!.attributes).toMatchObject({ ChatId: CHAT, WhatsAppSession: SESSION, TriageLevel: 'emergency' });

    // Retried after a crash: nothing is logged or started twice.
    await run(recordReply, SESSION, CHAT, reply, sent);
    expect(started).toHaveLength(2);
    expect((await db.repo.getHistory({ session: SESSION, chatId: CHAT, limit: 10 })).length).toBe(1);
  });

  it('takes the patient from the conversation when it says who it is (null: none), without reading the chat', async () => {
    await db.repo.linkPatient(SESSION, CHAT, 'patient-in-db');
    await run(records().recordReply, SESSION, CHAT, { ...reply, patientId: 'patient-42' }, sent);
    expect(started.map((s) => s.attributes.PatientId)).toEqual(['patient-42', 'patient-42']);
    started = [];
    await run(
      records().recordReply,
      SESSION,
      CHAT,
      { ...reply, messages: [recordedMessage(item(message('m3')))], patientId: null },
      {
        ...sent,
        messageId: 'true_5511977771234@c.us_REPLY2',
      },
    );
    expect(started[0]!.attributes).not.toHaveProperty('PatientId');
    // Not said: read from the chat.
    started = [];
    await run(
      records().recordReply,
      SESSION,
      CHAT,
      { ...reply, messages: [recordedMessage(item(message('m4')))] },
      {
        ...sent,
        messageId: 'true_5511977771234@c.us_REPLY3',
      },
    );
    expect(started[0]!.attributes.PatientId).toBe('patient-in-db');
  });

  it('with pseudonymous ids names the workflows and attributes without the phone number, the level only as escalated', async () => {
    const ids = createWorkflowIds({ payloadKey: Buffer.alloc(32, 3).toString('base64') });
    await run(records(ids).recordReply, SESSION, CHAT, { ...reply, messages: reply.messages.slice(0, 1) }, sent);
    expect(started[0]!.workflowId).toBe(ids.inbound(SESSION, 'm1'));
    expect(started[0]!.workflowId).not.toContain('77771234');
    expect(started[0]!.attributes).toEqual({
      ChatId: ids.chatAttribute(SESSION, CHAT),
      WhatsAppSession: SESSION,
      TriageLevel: 'escalated',
    });
  });
});

describe('recordStaffMessages', () => {
  it('records a message typed on the clinic phone as a human reply and hands the chat to a human', async () => {
    const a = activities();
    const result = await run(a.recordStaffMessages, {
      ...WHERE,
      items: [item(message('staff-1', { fromMe: true, text: 'I will call you' }))],
    });
    expect(result).toEqual({ human: 1 });
    expect(await db.repo.getMessage(SESSION, 'staff-1')).toMatchObject({
      direction: 'outbound',
      senderType: 'human',
      content: 'I will call you',
    });
    expect((await db.repo.getChatSession(SESSION, CHAT))?.status).toBe('handoff');
    expect(started.map((s) => s.args[0]?.outcome)).toEqual(['staff']);
  });

  it("recognises one of the pipeline's own sends echoed back and records nothing", async () => {
    const a = activities();
    await db.repo.logMessage({
      session: SESSION,
      chatId: CHAT,
      messageId: 'ours-1',
      timestamp: new Date(),
      direction: 'outbound',
      senderType: 'assistant',
      messageType: 'text',
      content: 'our reply',
      deliveryStatus: 'sent',
    });
    const result = await run(a.recordStaffMessages, { ...WHERE, items: [item(message('ours-1', { fromMe: true }))] });
    expect(result).toEqual({ human: 0 });
    expect(await db.repo.getMessage(SESSION, 'ours-1')).toMatchObject({ senderType: 'assistant' });
    expect(started).toEqual([]);
  });
});

describe('openConversation', () => {
  it('gives the settings, and on a fresh start what the database knows: the chat is escalated, its patient', async () => {
    const a = activities();
    expect(await run(a.openConversation, { session: SESSION, chatId: CHAT, restore: true })).toEqual({
      settings: expect.objectContaining({ quietWindowMs: expect.any(Number) }),
      restored: {},
    });
    await db.repo.setChatStatus(SESSION, CHAT, 'escalated');
    await db.repo.linkPatient(SESSION, CHAT, 'patient-9');
    expect((await run(a.openConversation, { session: SESSION, chatId: CHAT, restore: true })).restored).toEqual({
      pausedReason: 'escalated',
      patientId: 'patient-9',
    });
  });

  it('reads nothing of the chat for a run continued as new (its state came with it)', async () => {
    const a = activities();
    await db.repo.setChatStatus(SESSION, CHAT, 'handoff');
    const opened = await run(a.openConversation, { session: SESSION, chatId: CHAT, restore: false });
    expect(opened.restored).toBeUndefined();
    expect(opened.settings.quietWindowMs).toEqual(expect.any(Number));
  });
});
