// Proves the offline toolchain: the Java time-skipping test server from scripts/install-tools starts,
// skips a month of timers, and accepts the product's custom search attributes.
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SA_CHAT_ID, SA_PATIENT_ID, SA_TRIAGE_LEVEL, SA_WHATSAPP_SESSION } from '../../contracts';
import {
  bundleWorkflows,
  createTimeSkippingEnv,
  resolveExecutable,
  resultsTogether,
  TEMPORAL_TEST_TIMEOUT_MS,
  temporalToolPaths,
  withWorker,
} from '../helpers/temporal';
import type { SleepResult, sleepForDays, tagWithSearchAttributes } from './fixtures/timer-workflows';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

const DAY_MS = 86_400_000;

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    [env, bundle] = await Promise.all([
      createTimeSkippingEnv(),
      bundleWorkflows(path.join(__dirname, 'fixtures', 'timer-workflows.ts')),
    ]);
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('completes a workflow that sleeps 30 days, with 30 days of workflow time passing', async () => {
    const testEnv = env!;
    const wallStart = Date.now();
    const result = await withWorker(testEnv, { bundle }, (taskQueue) =>
      testEnv.client.workflow.execute<typeof sleepForDays>('sleepForDays', {
        taskQueue,
        workflowId: 'toolchain-sleep-30-days',
        args: [{ days: 30 }],
      }),
    );
    console.log(`a 30-day sleep took ${Date.now() - wallStart} ms of wall time under time skipping`);
    expect(result.finishedAt - result.startedAt).toBeGreaterThanOrEqual(30 * DAY_MS);
    expect(result.finishedAt - result.startedAt).toBeLessThan(31 * DAY_MS);
  });

  it('awaits three sleeping workflows together with resultsTogether, each after its own timer', async () => {
    const testEnv = env!;
    const ids = [1, 2, 3].map((days) => `toolchain-together-${days}`);
    const results = await withWorker(testEnv, { bundle }, async (taskQueue) => {
      for (const [index, workflowId] of ids.entries()) {
        await testEnv.client.workflow.start<typeof sleepForDays>('sleepForDays', {
          taskQueue,
          workflowId,
          args: [{ days: index + 1 }],
        });
      }
      return resultsTogether<SleepResult>(testEnv, ids);
    });
    expect(results.map((r) => Math.floor((r.finishedAt - r.startedAt) / DAY_MS))).toEqual([1, 2, 3]);
  });

  it('accepts the custom search attributes on start and on upsert, and describe shows all four', async () => {
    const testEnv = env!;
    const workflowId = 'toolchain-search-attributes';
    const result = await withWorker(testEnv, { bundle }, (taskQueue) =>
      testEnv.client.workflow.execute<typeof tagWithSearchAttributes>('tagWithSearchAttributes', {
        taskQueue,
        workflowId,
        args: [{ triageLevel: 'emergency' }],
        typedSearchAttributes: [
          { key: SA_CHAT_ID, value: '5511999990000@c.us' },
          { key: SA_WHATSAPP_SESSION, value: 'medical-assistant' },
          { key: SA_PATIENT_ID, value: 'patient-42' },
        ],
      }),
    );
    expect(result).toEqual({
      chatId: '5511999990000@c.us',
      whatsAppSession: 'medical-assistant',
      patientId: 'patient-42',
      triageLevel: 'emergency',
    });
    const description = await testEnv.client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(SA_CHAT_ID)).toBe('5511999990000@c.us');
    expect(description.typedSearchAttributes.get(SA_WHATSAPP_SESSION)).toBe('medical-assistant');
    expect(description.typedSearchAttributes.get(SA_PATIENT_ID)).toBe('patient-42');
    expect(description.typedSearchAttributes.get(SA_TRIAGE_LEVEL)).toBe('emergency');
  });
});

describe('choosing the Temporal executables', () => {
  const missing = path.join(__dirname, 'fixtures', 'no-such-tool');

  it('uses the path given in TEMPORAL_TEST_SERVER_PATH and TEMPORAL_CLI_PATH over the tools folder', () => {
    const env = {
      MEDICAL_ASSISTANT_TOOLS: '/opt/tools',
      TEMPORAL_CLI_PATH: '/x/temporal',
      TEMPORAL_TEST_SERVER_PATH: '',
    };
    expect(temporalToolPaths(env)).toEqual({ cli: '/x/temporal', testServer: '/opt/tools/bin/temporal-test-server' });
  });

  it('runs an installed tool as an existing-path executable', () => {
    expect(resolveExecutable(__filename, 'TEMPORAL_CLI_PATH', { CI: 'true' })).toEqual({
      type: 'existing-path',
      path: __filename,
    });
  });

  it('in CI, fails on a missing tool with the command that installs it instead of downloading', () => {
    expect(() => resolveExecutable(missing, 'TEMPORAL_CLI_PATH', { CI: 'true' })).toThrow(
      `${missing} is missing and CI cannot download Temporal servers: run scripts/install-tools first`,
    );
  });

  it('fails when the path named by the variable does not exist, even outside CI', () => {
    expect(() => resolveExecutable(missing, 'TEMPORAL_CLI_PATH', { TEMPORAL_CLI_PATH: missing })).toThrow(
      `TEMPORAL_CLI_PATH=${missing} does not exist`,
    );
  });

  it('outside CI, lets the SDK download its own server when nothing is installed', () => {
    expect(resolveExecutable(missing, 'TEMPORAL_CLI_PATH', {})).toEqual({ type: 'cached-download' });
  });
});
