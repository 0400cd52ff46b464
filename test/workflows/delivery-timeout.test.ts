/**
 * DELIVERY_TIMEOUT under time skipping, in a test environment of its own (the time-skipping server only
 * skips time when nothing else is pending in it): the session keeper's delivery watch flags a reply whose
 * acks never came, and reconciles one whose ack webhooks were lost.
 */
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { sessionKeeperWorkflowId, sessionStatusQuery } from '../../contracts';
import type { sessionKeeperWorkflow } from '../../workflows/session-keeper';
import { SESSION, startPipeline, type Pipeline } from '../helpers/pipeline';
import { bundleWorkflows, createTimeSkippingEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../helpers/temporal';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let pipeline: Pipeline;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  // Acks that never come within DELIVERY_TIMEOUT.
  pipeline = await startPipeline({
    env,
    bundle,
    simulator: { timing: { ackDelaysMs: [3_600_000, 3_600_000, 3_600_000] } },
    configEnv: { DELIVERY_TIMEOUT: '10 minutes' },
  });
  await env.client.workflow.start<typeof sessionKeeperWorkflow>('sessionKeeperWorkflow', {
    workflowId: sessionKeeperWorkflowId(SESSION),
    taskQueue: pipeline.taskQueue,
    args: [{ session: SESSION, timings: { deliveryWatchEveryMs: 60_000 } }],
    // The session's status-find webhook may have started it already (with the same default interval).
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
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

describe('the delivery watch', () => {
  it('flags a reply still undelivered after DELIVERY_TIMEOUT, and reports it in the keeper status', async () => {
    const { id, chatId } = pipeline.patientSays('5511977770010', 'I have a sore throat');
    const [sent] = await pipeline.waitFor(() => {
      const all = pipeline.sentTo(chatId);
      return all.length > 0 && all;
    }, 'the reply');
    expect((await pipeline.inboundResult(id)).outcome).toBe('replied');

    await env.sleep('12 minutes');
    const reply = await pipeline.waitFor(async () => {
      const m = await pipeline.db.repo.getMessage(SESSION, sent!.messageId);
      return Array.isArray(m?.metadata.flags) && m;
    }, 'the flag');
    expect(reply).toMatchObject({ deliveryStatus: 'sent', statusReason: 'not delivered after 10 minute(s)' });
    expect(reply.metadata.flags).toEqual(['undelivered']);
    const status = await env.client.workflow.getHandle(sessionKeeperWorkflowId(SESSION)).query(sessionStatusQuery);
    expect(status.repliesFlagged).toBe(1);
    expect(pipeline.sentTo(chatId)).toHaveLength(1);
  });

  it('records the delivery WPPConnect knows of when the ack webhooks were lost, without flagging it', async () => {
    const { chatId } = pipeline.patientSays('5511977770011', 'I have a mild cough');
    const [sent] = await pipeline.waitFor(() => {
      const all = pipeline.sentTo(chatId);
      return all.length > 0 && all;
    }, 'the reply');
    // WhatsApp has it as read, but that ack's webhook never reached the API (WPPConnect does not retry).
    pipeline.simulator.state.findMessage(SESSION, sent!.messageId)!.message.json.ack = 3;

    await env.sleep('12 minutes');
    const reply = await pipeline.waitFor(async () => {
      const m = await pipeline.db.repo.getMessage(SESSION, sent!.messageId);
      return m?.deliveryStatus === 'read' && m;
    }, 'the reconciled status');
    expect(reply.metadata.flags).toBeUndefined();
    expect(reply.statusReason).toBeNull();
  });
});
