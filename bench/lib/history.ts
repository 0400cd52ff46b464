/**
 * How much history the run made Temporal keep: every workflow execution of the namespace (every run of a
 * chain continued as new counts), by workflow type, with its history length. Closed executions come from
 * the visibility listing; a running one is described, since the listing may hold its length from when it
 * started.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';

export interface TypeHistory {
  type: string;
  /** Workflow executions (runs), running ones included. */
  runs: number;
  running: number;
  /** Status name → runs, e.g. COMPLETED 950, CONTINUED_AS_NEW 3, RUNNING 200. */
  statuses: Record<string, number>;
  events: number;
  /** History size in bytes, when the server reports it. */
  bytes: number;
}

export interface HistoryStats {
  byType: TypeHistory[];
  runs: number;
  events: number;
  bytes: number;
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export async function historyStats(client: Client): Promise<HistoryStats> {
  const infos: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list()) infos.push(info);
  const lengths = new Map<WorkflowExecutionInfo, { events: number; bytes: number }>();
  for (const info of infos) lengths.set(info, { events: info.historyLength, bytes: info.historySize ?? 0 });
  await inBatches(
    infos.filter((i) => i.status.name === 'RUNNING'),
    16,
    async (info) => {
      try {
        const d = await client.workflow.getHandle(info.workflowId, info.runId).describe();
        lengths.set(info, { events: d.historyLength, bytes: d.historySize ?? 0 });
      } catch {
        // It closed meanwhile: the listed length stands.
      }
    },
  );
  const byType = new Map<string, TypeHistory>();
  for (const info of infos) {
    const t = byType.get(info.type) ?? { type: info.type, runs: 0, running: 0, statuses: {}, events: 0, bytes: 0 };
    const l = lengths.get(info) ?? { events: 0, bytes: 0 };
    t.runs += 1;
    if (info.status.name === 'RUNNING') t.running += 1;
    t.statuses[info.status.name] = (t.statuses[info.status.name] ?? 0) + 1;
    t.events += l.events;
    t.bytes += l.bytes;
    byType.set(info.type, t);
  }
  const types = [...byType.values()].sort((a, b) => b.events - a.events);
  return {
    byType: types,
    runs: infos.length,
    events: types.reduce((n, t) => n + t.events, 0),
    bytes: types.reduce((n, t) => n + t.bytes, 0),
  };
}
