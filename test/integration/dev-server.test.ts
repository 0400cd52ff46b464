// Proves the dev server from scripts/install-tools (the Temporal CLI) runs workflows and has the
// product's custom search attributes registered, so visibility queries by them work.
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SA_CHAT_ID, SA_PATIENT_ID, SA_TRIAGE_LEVEL, SA_WHATSAPP_SESSION } from '../../contracts';
import { bundleWorkflows, createDevServerEnv, TEMPORAL_TEST_TIMEOUT_MS, withWorker } from '../helpers/temporal';
import type { tagWithSearchAttributes } from '../workflows/fixtures/timer-workflows';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

describe('Temporal dev server', () => {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    [env, bundle] = await Promise.all([
      createDevServerEnv(),
      bundleWorkflows(path.join(__dirname, '..', 'workflows', 'fixtures', 'timer-workflows.ts')),
    ]);
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow whose four custom search attributes show on describe and in a visibility query', async () => {
    const testEnv = env!;
    const workflowId = `dev-server-search-attributes-${Date.now()}`;
    const chatId = `5511${Date.now()}@c.us`;
    const result = await withWorker(testEnv, { bundle }, (taskQueue) =>
      testEnv.client.workflow.execute<typeof tagWithSearchAttributes>('tagWithSearchAttributes', {
        taskQueue,
        workflowId,
        args: [{ triageLevel: 'urgent' }],
        typedSearchAttributes: [
          { key: SA_CHAT_ID, value: chatId },
          { key: SA_WHATSAPP_SESSION, value: 'medical-assistant' },
          { key: SA_PATIENT_ID, value: 'patient-7' },
        ],
      }),
    );
    expect(result).toEqual({
      chatId,
      whatsAppSession: 'medical-assistant',
      patientId: 'patient-7',
      triageLevel: 'urgent',
    });

    const description = await testEnv.client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(SA_CHAT_ID)).toBe(chatId);
    expect(description.typedSearchAttributes.get(SA_WHATSAPP_SESSION)).toBe('medical-assistant');
    expect(description.typedSearchAttributes.get(SA_PATIENT_ID)).toBe('patient-7');
    expect(description.typedSearchAttributes.get(SA_TRIAGE_LEVEL)).toBe('urgent');

    // Visibility is eventually consistent even on the dev server: poll briefly for the indexed row.
    const query = `ChatId = '${chatId}' AND TriageLevel = 'urgent' AND PatientId = 'patient-7'`;
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of testEnv.client.workflow.list({ query })) ids.push(execution.workflowId);
      return ids.length > 0 ? ids : undefined;
    });
    expect(found).toEqual([workflowId]);
  });
});

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  attempts = 50,
  delayMs = 200,
): Promise<T | undefined> {
  for (let i = 0; i < attempts; i += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  return undefined;
}
