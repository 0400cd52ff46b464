/**
 * Catch-up end to end: messages whose webhook WPPConnect never posted are found by the session keeper's
 * catchUpMessages pass and answered by the real pipeline (workflows/index.ts, real activities, SQLite,
 * the Koa app and the simulator), exactly once each.
 */
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createSessionGate } from '../../activities/session-activities';
import type { SentRecord } from '../../wppconnect/simulator/engine';
import {
  inboundWorkflowId,
  SA_CHAT_ID,
  SA_WHATSAPP_SESSION,
  sessionKeeperWorkflowId,
  sessionStatusQuery,
  type InboundWorkflowResult,
  type SessionKeeperStatus,
} from '../../workflows/definitions';
import type { sessionKeeperWorkflow } from '../../workflows/session-keeper';
import { captureHistory } from '../helpers/histories';
import { SESSION, startPipeline, type Pipeline } from '../helpers/pipeline';
import { bundleWorkflows, createTimeSkippingEnv, TEMPORAL_TEST_TIMEOUT_MS } from '../helpers/temporal';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS * 2);

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

async function sentBySimulator(): Promise<SentRecord[]> {
  const res = await fetch(`${pipeline.simulator.url}/__sim/sent?session=${SESSION}`);
  expect(res.status).toBe(200);
  return (await res.json()) as SentRecord[];
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

    const outcomes = await Promise.all(
      lost.map(
        (m) =>
          env.client.workflow.getHandle(inboundWorkflowId(SESSION, m.id)).result() as Promise<InboundWorkflowResult>,
      ),
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(Array.from({ length: 20 }, () => 'replied'));
    const deliveredOutcome = (await env.client.workflow
      .getHandle(inboundWorkflowId(SESSION, delivered.id))
      .result()) as InboundWorkflowResult;
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
