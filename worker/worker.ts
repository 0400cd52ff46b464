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
/** This file runs compiled (dist/worker/worker.js, production) or from source under tsx (development, tests). */
const COMPILED = __filename.endsWith('.js');
/** Written by `npm run build` (and `npm run build:workflows`) beside the compiled program. */
export const PREBUILT_BUNDLE_PATH = COMPILED
  ? path.resolve(__dirname, '..', 'workflow-bundle.js')
  : path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

/** The workflow code as the worker runs it (webpack); what `npm run build` writes to PREBUILT_BUNDLE_PATH. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quietBundlerLogger,
  });
}

/**
 * The compiled worker loads the bundle `npm run build` wrote beside it, so it starts without webpack. From
 * source the workflows are always bundled afresh: a bundle left in dist/ by an earlier build may be stale.
 */
export async function loadWorkflowBundle(): Promise<WorkflowBundleWithSourceMap | { code: string }> {
  if (COMPILED && existsSync(PREBUILT_BUNDLE_PATH)) return { code: readFileSync(PREBUILT_BUNDLE_PATH, 'utf8') };
  return bundleWorkflows();
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/**
 * Slots of the send worker: four seconds of sends at the rate limit (an attempt is a gate query, perhaps a
 * look-up and the send), plus the sends that wait out a quiet window meanwhile.
 */
export function sendSlots(sendsPerSecond: number, quietWindowMs: number): number {
  return Math.max(2, Math.ceil(sendsPerSecond * (4 + quietWindowMs / 1000)));
}

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  sendTaskQueue: string;
  sendsPerSecond: number;
  /**
   * QUIET_WINDOW_MS: a lone message's send waits out the rest of the window in its slot on the send worker,
   * so the send worker has slots for the sends that rate starts during a window too.
   */
  quietWindowMs?: number;
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
    maxConcurrentActivityTaskExecutions: sendSlots(setup.sendsPerSecond, setup.quietWindowMs ?? 0),
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
