/**
 * conversationWorkflow runs for the life of a chat: it continues-as-new when its history grows, carrying
 * its queue, pause state and the requestIds it has seen, so nothing is lost or sent twice across runs.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  conversationStateQuery,
  conversationWorkflowId,
  sendMessageSignal,
  type ConversationWorkflowInput,
  type OutboundRequest,
} from '../../contracts';
import { SESSION, startPipeline, type Pipeline } from '../helpers/pipeline';
import { bundleWorkflows, createTimeSkippingEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../helpers/temporal';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let pipeline: Pipeline;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  pipeline = await startPipeline({ env, bundle });
});
afterAll(async () => {
  await pipeline?.close();
  await env?.teardown();
});

describe('conversationWorkflow continue-as-new', () => {
  it('continues as new under a small history limit and still sends every request exactly once, in order', async () => {
    const chatId = '5511966660001@c.us';
    const request = (n: number): OutboundRequest => ({
      requestId: `can-${n}`,
      session: SESSION,
      chatId,
      type: 'text',
      text: `Reminder number ${n}`,
    });
    const signal = (n: number) =>
      env.client.workflow.signalWithStart('conversationWorkflow', {
        workflowId: conversationWorkflowId(SESSION, chatId),
        taskQueue: pipeline.taskQueue,
        args: [{ session: SESSION, chatId, historyLimit: 60 } satisfies ConversationWorkflowInput],
        signal: sendMessageSignal,
        signalArgs: [{ request: request(n) }],
      });

    const first = await signal(1);
    const firstRunId = first.signaledRunId;
    for (let n = 2; n <= 12; n++) {
      await signal(n);
      if (n % 3 === 0) await signal(n - 1); // a retried signal from a caller
    }
    const expected = Array.from({ length: 12 }, (_, i) => `Reminder number ${i + 1}`);
    await pipeline.waitFor(() => pipeline.sentTo(chatId).length >= 12, '12 sends', 60_000);

    const handle = env.client.workflow.getHandle(conversationWorkflowId(SESSION, chatId));
    const described = await handle.describe();
    expect(described.runId).not.toBe(firstRunId);

    // A caller retrying a request from before the continue-as-new is still recognised.
    await signal(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(pipeline.sentTo(chatId).map((s) => s.text)).toEqual(expected);
    expect(await handle.query(conversationStateQuery)).toMatchObject({ queueLength: 0, paused: false });
  });
});
