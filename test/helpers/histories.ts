/**
 * Records workflow histories for the replay test. Only writes when CAPTURE_HISTORIES=1, so normal test
 * runs never change the fixtures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');

export async function captureHistory(handle: WorkflowHandle, workflowType: string, name: string): Promise<void> {
  if (process.env.CAPTURE_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const file = path.join(HISTORIES_DIR, `${workflowType}.${name}.json`);
  writeFileSync(file, `${JSON.stringify({ workflowType, history: JSON.parse(historyToJSON(history)) as unknown })}\n`);
}
