/**
 * What happens when sending goes wrong, and the emergency path, end to end under time skipping.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { conversationStateQuery, conversationWorkflowId, inboundWorkflowId, sendMessageSignal } from '../../contracts';
import type { IWhatsAppService } from '../../wppconnect/types';
import { captureHistory } from '../helpers/histories';
import { API_KEY, SESSION, startPipeline, type Pipeline } from '../helpers/pipeline';
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

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sending failures', () => {
  let pipeline: Pipeline;
  let sendCalls = 0;
  let failFirst = 0;

  beforeAll(async () => {
    pipeline = await startPipeline({
      env,
      bundle,
      wrapWpp: (wpp, simulator): IWhatsAppService => ({
        ...wpp,
        sendText: (session, input) => {
          sendCalls += 1;
          // The simulator answers 500 "Erro ao enviar a mensagem." while the fault is on.
          simulator.state.setFaults({ send5xxRate: sendCalls <= failFirst ? 1 : 0 });
          return wpp.sendText(session, input);
        },
      }),
    });
  });
  afterAll(async () => {
    await pipeline?.close();
  });
  beforeEach(() => {
    sendCalls = 0;
    failFirst = 0;
  });

  it('sends a reply exactly once when WPPConnect answers 5xx three times and then accepts it', async () => {
    failFirst = 3;
    const { id, chatId } = pipeline.patientSays('5511977770001', 'I have a cough since yesterday');
    const outcome = await pipeline.inboundResult(id);
    expect(outcome.outcome).toBe('replied');
    expect(sendCalls).toBe(4);
    await settle(200);
    const sent = pipeline.sentTo(chatId);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.messageId).toBe(outcome.replyMessageId);
  });

  it('ends the reply as failed when the number still does not exist when asked again 16 s later (400)', async () => {
    const patient = '5511977770002';
    pipeline.simulator.state.faults.unknownNumbers.push(patient);
    const { id, chatId } = pipeline.patientSays(patient, 'hello, I have a headache');
    const outcome = await pipeline.inboundResult(id);
    expect(outcome).toMatchObject({ outcome: 'failed', reason: 'recipient does not exist on WhatsApp' });
    // wa-js caches a failed look-up for 15 s: asked once more after that, then given up.
    expect(sendCalls).toBe(2);
    expect(pipeline.sentTo(chatId)).toHaveLength(0);
    const history = await pipeline.db.repo.getHistory({ session: SESSION, chatId, limit: 10 });
    const failed = history.find((m) => m.direction === 'outbound');
    expect(failed).toMatchObject({ deliveryStatus: 'failed', statusReason: 'recipient does not exist on WhatsApp' });
    await captureHistory(
      env.client.workflow.getHandle(inboundWorkflowId(SESSION, id)),
      'inboundMessageWorkflow',
      'failed',
    );
  });

  it('sends a message another service asked for through sendMessage, once, even when the signal is repeated', async () => {
    const chatId = '5511977770003@c.us';
    const request = {
      requestId: 'req-test-1',
      session: SESSION,
      chatId,
      type: 'text' as const,
      text: 'Your appointment is tomorrow at 9:00',
    };
    for (let i = 0; i < 2; i++) {
      await env.client.workflow.signalWithStart('conversationWorkflow', {
        workflowId: conversationWorkflowId(SESSION, chatId),
        taskQueue: pipeline.taskQueue,
        args: [{ session: SESSION, chatId }],
        signal: sendMessageSignal,
        signalArgs: [{ request }],
      });
    }
    const conversation = env.client.workflow.getHandle(conversationWorkflowId(SESSION, chatId));
    const [sent] = await pipeline.waitFor(() => {
      const all = pipeline.sentTo(chatId);
      return all.length > 0 && all;
    }, 'the outbound message');
    const status = async () => {
      const res = await fetch(`${pipeline.apiUrl}/api/messages/${request.requestId}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      return (await res.json()) as Record<string, unknown>;
    };
    await pipeline.waitFor(async () => (await status()).status === 'read', 'the request read');
    await settle(500);
    expect(pipeline.sentTo(chatId).map((m) => m.text)).toEqual(['Your appointment is tomorrow at 9:00']);
    expect(await status()).toMatchObject({ status: 'read', messageId: sent!.messageId });
    const history = await pipeline.db.repo.getHistory({ session: SESSION, chatId, limit: 10 });
    expect(history.map((m) => [m.direction, m.senderType, m.deliveryStatus])).toEqual([['outbound', 'system', 'read']]);
    expect(await conversation.query(conversationStateQuery)).toMatchObject({ queueLength: 0, paused: false });
    await captureHistory(conversation, 'conversationWorkflow', 'send-message');
  });
});

describe('an emergency', () => {
  let pipeline: Pipeline;
  let alerts: Record<string, unknown>[];
  let receiver: Server;

  beforeAll(async () => {
    alerts = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        alerts.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const alertUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
    pipeline = await startPipeline({ env, bundle, configEnv: { CLINICIAN_ALERT_URL: alertUrl } });
  });
  afterAll(async () => {
    await pipeline?.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('sends emergency instructions, escalates the chat, alerts a clinician and pauses the bot until resume', async () => {
    const patient = '5511977770020';
    const first = pipeline.patientSays(
      patient,
      'I have crushing chest pain spreading to my left arm and I am sweating',
    );
    const chatId = first.chatId;
    const outcome = await pipeline.inboundResult(first.id);
    expect(outcome).toMatchObject({ outcome: 'replied', triageLevel: 'emergency' });

    const [reply] = pipeline.sentTo(chatId);
    expect(reply!.text).toMatch(/emergency/i);
    expect(reply!.text).toMatch(/not a diagnosis/i);
    expect(await pipeline.db.repo.getChatSession(SESSION, chatId)).toMatchObject({ status: 'escalated' });
    await pipeline.waitFor(() => alerts.some((a) => a.kind === 'escalation'), 'the clinician alert');
    expect(alerts.find((a) => a.kind === 'escalation')).toMatchObject({
      session: SESSION,
      chatId,
      triageLevel: 'emergency',
    });
    const conversation = env.client.workflow.getHandle(conversationWorkflowId(SESSION, chatId));
    expect(await conversation.query(conversationStateQuery)).toMatchObject({ paused: true, pausedReason: 'escalated' });
    const described = await env.client.workflow.getHandle(inboundWorkflowId(SESSION, first.id)).describe();
    expect(described.typedSearchAttributes.get({ name: 'TriageLevel', type: 'KEYWORD' } as never)).toBe('emergency');

    const next = pipeline.patientSays(patient, 'hello? what should I do now');
    expect(await pipeline.inboundResult(next.id)).toMatchObject({ outcome: 'paused', reason: 'escalated' });
    expect(pipeline.sentTo(chatId)).toHaveLength(1);
    await pipeline.waitFor(() => alerts.some((a) => a.kind === 'message-while-escalated'), 'the follow-up alert');

    // A clinician gives the chat back through the REST API.
    const res = await fetch(`${pipeline.apiUrl}/api/conversations/${encodeURIComponent(chatId)}/resume`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(res.status).toBeLessThan(300);
    await pipeline.waitFor(async () => !(await conversation.query(conversationStateQuery)).paused, 'resume');
    const after = pipeline.patientSays(patient, 'thank you, the ambulance came, I have a small cough now');
    expect((await pipeline.inboundResult(after.id)).outcome).toBe('replied');
    expect(pipeline.sentTo(chatId)).toHaveLength(2);
    await captureHistory(conversation, 'conversationWorkflow', 'escalated-and-resumed');
  });
});
