/**
 * The durable pipeline end to end under the time-skipping test server: simulator webhooks into the real
 * app, real activities, SQLite. Time skipping stays locked while the tests poll (acks and the quiet
 * window run in real time) and unlocks while they await workflow results.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { MedicalCore } from '../../triage/types';
import {
  conversationStateQuery,
  conversationWorkflowId,
  handoffSignal,
  inboundMessageSignal,
  inboundWorkflowId,
  SA_PATIENT_ID,
} from '../../contracts';
import { captureHistory } from '../helpers/histories';
import { API_KEY, SESSION, startPipeline, type Pipeline } from '../helpers/pipeline';
import { bundleWorkflows, createTimeSkippingEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../helpers/temporal';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let pipeline: Pipeline;

/** Tags each reply with the last patient text it answers, and lets a test hold an assessment back. */
let holdNextAssessmentMs = 0;
const taggingCore = (real: MedicalCore): MedicalCore => ({
  async assess(input) {
    const delay = holdNextAssessmentMs;
    holdNextAssessmentMs = 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const result = await real.assess(input);
    const lastPatient = [...input.messages].reverse().find((m) => m.role === 'patient');
    return { ...result, reply: `${result.reply}\n[re: ${lastPatient?.text ?? ''}]` };
  },
});

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  pipeline = await startPipeline({ env, bundle, medicalCore: taggingCore, configEnv: { QUIET_WINDOW_MS: '800' } });
});

afterAll(async () => {
  await pipeline?.close();
  await env?.teardown();
});

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the pipeline', () => {
  it('answers one patient message with exactly one reply, logs both, and walks the delivery status to read', async () => {
    const patient = '5511988880001';
    const { id, chatId } = pipeline.patientSays(patient, 'I have had a mild headache since this morning');

    const [reply] = await pipeline.waitFor(() => {
      const sent = pipeline.sentTo(chatId);
      return sent.length > 0 && sent;
    }, 'the reply');
    await pipeline.waitFor(async () => {
      const history = await pipeline.db.repo.getHistory({ session: SESSION, chatId, limit: 10 });
      return history.find((m) => m.direction === 'outbound')?.deliveryStatus === 'read';
    }, 'delivery status read');

    const history = await pipeline.db.repo.getHistory({ session: SESSION, chatId, limit: 10 });
    expect(history.map((m) => [m.direction, m.senderType, m.messageId])).toEqual([
      ['inbound', 'patient', id],
      ['outbound', 'assistant', reply!.messageId],
    ]);
    expect(history[0]!.content).toBe('I have had a mild headache since this morning');
    expect(history[1]!.content).toBe(reply!.text);
    expect(reply!.text).toMatch(/not a diagnosis|não é um diagnóstico|no es un diagnóstico/i);

    const outcome = await pipeline.inboundResult(id);
    expect(outcome).toMatchObject({ outcome: 'replied', replyMessageId: reply!.messageId });
    await settle(300);
    expect(pipeline.sentTo(chatId)).toHaveLength(1);
    await captureHistory(
      env.client.workflow.getHandle(inboundWorkflowId(SESSION, id)),
      'inboundMessageWorkflow',
      'replied',
    );
  });

  it('gives three messages sent within a second one reply, and a second patient their own reply', async () => {
    const burst = ['Hi', 'I have a sore throat', 'and a mild fever since yesterday'];
    const ids: string[] = [];
    let chatId = '';
    for (const text of burst) {
      const sent = pipeline.patientSays('5511988880002', text);
      ids.push(sent.id);
      chatId = sent.chatId;
      await settle(300);
    }
    const other = pipeline.patientSays('5511988880003', 'I have a cough');

    await pipeline.waitFor(
      () => pipeline.sentTo(chatId).length > 0 && pipeline.sentTo(other.chatId).length > 0,
      'both replies',
    );
    // One at a time: many concurrent result() calls keep the time-skipping server from skipping.
    const outcomes = [];
    for (const i of ids) outcomes.push(await pipeline.inboundResult(i));
    expect(outcomes.map((o) => o.outcome)).toEqual(['replied', 'coalesced', 'coalesced']);
    expect(outcomes[1]!.answeredBy).toBe(inboundWorkflowId(SESSION, ids[0]!));
    expect((await pipeline.inboundResult(other.id)).outcome).toBe('replied');

    await settle(300);
    const replies = pipeline.sentTo(chatId);
    expect(replies).toHaveLength(1);
    // One reply written with the whole burst as context: it answers the last message of the burst.
    expect(replies[0]!.text).toContain('[re: and a mild fever since yesterday]');
    expect(pipeline.sentTo(other.chatId)).toHaveLength(1);
    await captureHistory(
      env.client.workflow.getHandle(inboundWorkflowId(SESSION, ids[1]!)),
      'inboundMessageWorkflow',
      'coalesced',
    );
  });

  it("keeps the patient's order of replies even when the medical core answers the first message last", async () => {
    holdNextAssessmentMs = 2000;
    const first = pipeline.patientSays('5511988880004', 'first question: I have back pain');
    await settle(1200); // longer than the quiet window: two separate turns
    const second = pipeline.patientSays('5511988880004', 'second question: can I take a shower?');

    await pipeline.waitFor(() => pipeline.sentTo(first.chatId).length >= 2, 'two replies', 30_000);
    const replies = pipeline.sentTo(first.chatId);
    expect(replies[0]!.text).toContain('[re: first question: I have back pain]');
    expect(replies[1]!.text).toContain('[re: second question: can I take a shower?]');
    expect((await pipeline.inboundResult(first.id)).outcome).toBe('replied');
    expect((await pipeline.inboundResult(second.id)).outcome).toBe('replied');
    await captureHistory(
      env.client.workflow.getHandle(conversationWorkflowId(SESSION, first.chatId)),
      'conversationWorkflow',
      'two-turns',
    );
  });

  it('takes a message delivered twice to the conversation (a redelivered webhook) only once', async () => {
    const { id, chatId } = pipeline.patientSays('5511988880008', 'I have a sore throat');
    await pipeline.waitFor(() => pipeline.sentTo(chatId).length === 1, 'the reply');
    const conversation = env.client.workflow.getHandle(conversationWorkflowId(SESSION, chatId));
    const stored = await pipeline.db.repo.getMessage(SESSION, id);
    // The same message again, straight to the conversation (the API would have answered "duplicate").
    await conversation.signal(inboundMessageSignal, {
      message: {
        session: SESSION,
        chatId,
        messageId: id,
        sentAt: stored!.timestamp.toISOString(),
        senderId: chatId,
        isGroup: false,
        messageType: 'text',
        rawType: 'chat',
        text: 'I have a sore throat',
      },
      receivedVia: 'catch-up',
    });
    await settle(1500); // longer than the quiet window
    expect(await conversation.query(conversationStateQuery)).toMatchObject({ queueLength: 0, repliesSent: 1 });
    expect(pipeline.sentTo(chatId)).toHaveLength(1);
    expect((await pipeline.inboundResult(id)).outcome).toBe('replied');
  });

  it('pauses the assistant while a human has the chat, and answers again after resume', async () => {
    const patient = '5511988880005';
    const chatId = `${patient}@c.us`;
    const first = pipeline.patientSays(patient, 'hello, I need help with a rash');
    await pipeline.waitFor(() => pipeline.sentTo(chatId).length === 1, 'first reply');
    await pipeline.inboundResult(first.id);

    const conversation = env.client.workflow.getHandle(conversationWorkflowId(SESSION, chatId));
    await conversation.signal(handoffSignal, { action: 'handoff', by: 'nurse' });
    const during = pipeline.patientSays(patient, 'are you there?');
    expect(await pipeline.inboundResult(during.id)).toMatchObject({ outcome: 'paused', reason: 'handoff' });
    expect(pipeline.sentTo(chatId)).toHaveLength(1);

    await conversation.signal(handoffSignal, { action: 'resume', by: 'nurse' });
    expect(await conversation.query(conversationStateQuery)).toMatchObject({ paused: false });
    const after = pipeline.patientSays(patient, 'the rash is itchy');
    await pipeline.waitFor(() => pipeline.sentTo(chatId).length === 2, 'reply after resume');
    expect((await pipeline.inboundResult(after.id)).outcome).toBe('replied');
  });

  it('stores the media of an image message on disk, never in the workflow history, and still answers', async () => {
    const { id, chatId } = pipeline.patientSays('5511988880006', '', {
      type: 'image',
      caption: 'a red rash on my arm',
    });
    expect((await pipeline.inboundResult(id)).outcome).toBe('replied');
    const stored = await pipeline.db.repo.getMessage(SESSION, id);
    expect(stored).toMatchObject({ messageType: 'image', caption: 'a red rash on my arm' });
    expect(stored!.mediaPath).toMatch(/^inbound\/[0-9a-f]{2}\/[0-9a-f]{32}\.jpg$/);
    const bytes = readFileSync(path.join(pipeline.mediaStore.root, stored!.mediaPath!));
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const history = await env.client.workflow.getHandle(conversationWorkflowId(SESSION, chatId)).fetchHistory();
    const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    expect(raw.includes(bytes)).toBe(false);
    expect(raw.includes(Buffer.from(bytes.toString('base64').slice(0, 64)))).toBe(false);
    expect(raw.includes(Buffer.from('a red rash on my arm'))).toBe(true); // the history itself was read
    expect(pipeline.sentTo(chatId)).toHaveLength(1);
  });

  it('shows the patient a chat is linked to on the message workflows', async () => {
    const patient = '5511988880007';
    const chatId = `${patient}@c.us`;
    const first = pipeline.patientSays(patient, 'hello');
    await pipeline.inboundResult(first.id);
    const res = await fetch(`${pipeline.apiUrl}/api/conversations/${encodeURIComponent(chatId)}/patient`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ patientId: 'patient-42' }),
    });
    expect(res.status).toBeLessThan(300);
    const next = pipeline.patientSays(patient, 'I have a fever');
    await pipeline.inboundResult(next.id);
    const described = await env.client.workflow.getHandle(inboundWorkflowId(SESSION, next.id)).describe();
    expect(described.typedSearchAttributes.get(SA_PATIENT_ID)).toBe('patient-42');
    const conversation = await env.client.workflow.getHandle(conversationWorkflowId(SESSION, chatId)).describe();
    expect(conversation.typedSearchAttributes.get(SA_PATIENT_ID)).toBe('patient-42');
  });
});
