/**
 * The workflow thread as scripts/patch-temporal-sdk.cjs leaves it (npm's postinstall): the install is
 * patched, a workflow that never yields still ends (the main thread's guard terminates the thread and the
 * worker fails, instead of Node's per-call watchdog failing the task), and the stack-trace query says it is
 * not enabled instead of answering.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { unpatchedSdkFiles } from '../../worker/sdk-patch';
import { bundleWorkflows, createTimeSkippingEnv, TEMPORAL_TEST_TIMEOUT_MS, withWorker } from '../helpers/temporal';
import { releaseSignal, type spinForever, type waitForRelease } from './fixtures/thread-guard-workflows';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

const ROOT = path.resolve(__dirname, '..', '..');

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflows(path.join(__dirname, 'fixtures', 'thread-guard-workflows.ts')),
  ]);
});
afterAll(async () => {
  await env?.teardown();
});

it('the installed SDK is patched (npm ci ran the postinstall)', () => {
  expect(unpatchedSdkFiles()).toEqual([]);
  const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'patch-temporal-sdk.cjs'), '--check'], {
    encoding: 'utf8',
  });
  expect(out).toMatch(/is patched/);
});

it('a workflow that never yields makes the worker fail with a deadlock error within the guard time', async () => {
  const taskQueue = `guard-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: bundle,
  });
  const running = worker.run();
  const startedAt = Date.now();
  await env.client.workflow.start<typeof spinForever>('spinForever', { taskQueue, workflowId: `spin-${randomUUID()}` });
  await expect(running).rejects.toThrow(/Potential deadlock detected: the workflow thread answered nothing for \d+ ms/);
  const tookMs = Date.now() - startedAt;
  // The SDK's isolateExecutionTimeout (5 s by default, not settable through the typed options).
  expect(tookMs).toBeGreaterThanOrEqual(5000);
  expect(tookMs).toBeLessThan(30_000);
});

it('a workflow that waits answers its own queries, and the stack-trace query says it is not enabled', async () => {
  await withWorker(env, { bundle }, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof waitForRelease>('waitForRelease', {
      taskQueue,
      workflowId: `wait-${randomUUID()}`,
    });
    const err: unknown = await handle.query('__stack_trace').then(
      () => new Error('the stack-trace query answered'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).cause)).toMatch(/Workflow stack traces are not enabled on this worker/);
    await handle.signal(releaseSignal);
    await expect(handle.result()).resolves.toBe('released');
  });
});
