/**
 * Records workflow histories for the replay test. Only writes when CAPTURE_HISTORIES=1, so normal test
 * runs never change the fixtures. Histories are kept as protobuf bytes (base64 inside a small JSON
 * wrapper): the SDK's JSON conversion depends on which protobufjs copy loaded the types.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');

interface SavedHistory {
  workflowType: string;
  historyBase64: string;
}

export async function captureHistory(handle: WorkflowHandle, workflowType: string, name: string): Promise<void> {
  if (process.env.CAPTURE_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  const bytes = temporal.api.history.v1.History.encode(history).finish();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const saved: SavedHistory = { workflowType, historyBase64: Buffer.from(bytes).toString('base64') };
  writeFileSync(path.join(HISTORIES_DIR, `${workflowType}.${name}.json`), `${JSON.stringify(saved)}\n`);
}

export function loadSavedHistories(): {
  file: string;
  workflowType: string;
  history: temporal.api.history.v1.History;
}[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const saved = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as SavedHistory;
      const history = temporal.api.history.v1.History.decode(Buffer.from(saved.historyBase64, 'base64'));
      return { file, workflowType: saved.workflowType, history };
    });
}
