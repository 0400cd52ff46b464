/**
 * DELIVERY_TIMEOUT under time skipping, in a test environment of its own: the time-skipping server
 * only skips time when nothing else is pending in it, so this test does not share a server.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SESSION, startPipeline, type Pipeline } from '../helpers/pipeline';
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

describe('delivery timeout', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    // Acks that never come within DELIVERY_TIMEOUT.
    pipeline = await startPipeline({
      env,
      bundle,
      simulator: { timing: { ackDelaysMs: [3_600_000, 3_600_000, 3_600_000] } },
      configEnv: { DELIVERY_TIMEOUT: '10 minutes' },
    });
  });
  afterAll(async () => {
    await pipeline?.close();
  });

  it('flags a reply still undelivered after DELIVERY_TIMEOUT', async () => {
    const { id, chatId } = pipeline.patientSays('5511977770010', 'I have a sore throat');
    await pipeline.waitFor(() => pipeline.sentTo(chatId).length > 0, 'the reply');
    const outcome = await pipeline.inboundResult(id);
    expect(outcome).toMatchObject({ outcome: 'replied', deliveryStatus: 'sent' });
    const reply = await pipeline.db.repo.getMessage(SESSION, outcome.replyMessageId!);
    expect(reply).toMatchObject({ deliveryStatus: 'sent', statusReason: 'not delivered after 10 minute(s)' });
    expect(reply!.metadata.flags).toEqual(['undelivered']);
    expect(pipeline.sentTo(chatId)).toHaveLength(1);
  });
});
