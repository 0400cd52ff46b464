/**
 * Replays saved histories of every workflow type against the current workflow code: a change that
 * would make running workflows non-deterministic fails here, before it reaches a worker in production.
 * The histories are recorded by the pipeline and session-keeper tests with CAPTURE_HISTORIES=1
 * (see test/helpers/histories.ts); re-record them only for a deliberate, versioned change.
 */
import { Worker } from '@temporalio/worker';
import { bundleWorkflows, TEMPORAL_TEST_TIMEOUT_MS } from '../helpers/temporal';
import { loadSavedHistories } from '../helpers/histories';

jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);

const WORKFLOW_TYPES = ['inboundMessageWorkflow', 'conversationWorkflow', 'sessionKeeperWorkflow'];

const loadHistories = loadSavedHistories;

describe('workflow replay', () => {
  it('has a saved history for every workflow type', () => {
    const types = new Set(loadHistories().map((h) => h.workflowType));
    for (const type of WORKFLOW_TYPES) expect(types).toContain(type);
  });

  it('replays every saved history with the current workflow code without a non-determinism error', async () => {
    const histories = loadHistories();
    const bundle = await bundleWorkflows();
    const results = Worker.runReplayHistories(
      { workflowBundle: bundle, replayName: 'saved-histories' },
      histories.map((h) => ({ workflowId: h.file, history: h.history })),
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of results) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(histories.length);
  });
});
