import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { FAILURE_CONVERTER_PATH } from '../temporal/data-converter';
import {
  bundleWorkflowCode,
  type NativeConnection,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';

/**
 * Builds the two workers of the pipeline: the main task queue (workflows + every activity but sends) and
 * the send task queue, where `maxTaskQueueActivitiesPerSecond` is the global anti-ban rate limit
 * (WPPCONNECT_SENDS_PER_SECOND): Temporal's matching service enforces it across all worker processes.
 */

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Written by `npm run build:workflows`; used when present so production workers start without bundling. */
export const PREBUILT_BUNDLE_PATH = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

export async function loadWorkflowBundle(): Promise<WorkflowBundleWithSourceMap | { code: string }> {
  if (existsSync(PREBUILT_BUNDLE_PATH)) return { code: readFileSync(PREBUILT_BUNDLE_PATH, 'utf8') };
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quietBundlerLogger,
  });
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  sendTaskQueue: string;
  sendsPerSecond: number;
  workflowBundle: WorkflowBundleWithSourceMap | { code: string };
  activities: object;
  sendActivities: object;
  dataConverter?: DataConverter;
  maxCachedWorkflows?: number;
  maxConcurrentActivities?: number;
  shutdownGraceMs?: number;
}

export interface PipelineWorkers {
  main: Worker;
  sends: Worker;
  /** Runs both until shutdown (SIGINT/SIGTERM by default) and rejects if either fails. */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createWorkers(setup: WorkerSetup): Promise<PipelineWorkers> {
  const common = {
    connection: setup.connection,
    namespace: setup.namespace,
    dataConverter: setup.dataConverter,
    shutdownGraceTime: setup.shutdownGraceMs ?? 30_000,
  };
  const main = await Worker.create({
    ...common,
    taskQueue: setup.taskQueue,
    workflowBundle: setup.workflowBundle,
    activities: setup.activities,
    maxCachedWorkflows: setup.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: setup.maxConcurrentActivities,
  });
  const sends = await Worker.create({
    ...common,
    taskQueue: setup.sendTaskQueue,
    activities: setup.sendActivities,
    maxTaskQueueActivitiesPerSecond: setup.sendsPerSecond,
    maxConcurrentActivityTaskExecutions: Math.max(2, Math.ceil(setup.sendsPerSecond * 4)),
  });
  const shutdown = () => {
    for (const w of [main, sends]) {
      if (w.getState() === 'RUNNING') w.shutdown();
    }
  };
  return {
    main,
    sends,
    shutdown,
    async run() {
      // One worker failing takes the other down with it: a half-running pipeline would hide the failure.
      const runs = [main.run(), sends.run()].map((p) =>
        p.catch((err: unknown) => {
          shutdown();
          throw err;
        }),
      );
      const results = await Promise.allSettled(runs);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
