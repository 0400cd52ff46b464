/**
 * Temporal test environments on the offline toolchain that scripts/install-tools builds:
 * the Java time-skipping test server and the Temporal CLI dev server, both run by
 * @temporalio/testing as `existing-path` executables (its default download needs GitHub).
 *
 * Typical workflow test:
 *
 *   jest.setTimeout(TEMPORAL_TEST_TIMEOUT_MS);
 *   let env: TestWorkflowEnvironment;
 *   let bundle: WorkflowBundleWithSourceMap;
 *   beforeAll(async () => {
 *     [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
 *   });
 *   afterAll(() => env?.teardown());
 *   it('...', () => withWorker(env, { bundle, activities }, async (taskQueue) => { ... }));
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import {
  TestWorkflowEnvironment,
  type ClientOptionsForTestEnv,
  type EphemeralServerExecutable,
} from '@temporalio/testing';
import {
  bundleWorkflowCode,
  type BundleOptions,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { SA_CHAT_ID, SA_PATIENT_ID, SA_TRIAGE_LEVEL, SA_WHATSAPP_SESSION } from '../../contracts';
import { FAILURE_CONVERTER_PATH } from '../../temporal/data-converter';

/** Starting a server and bundling workflows take seconds on a busy machine: use in jest.setTimeout. */
export const TEMPORAL_TEST_TIMEOUT_MS = 120_000;

/** The product's custom search attributes (docs/product.md §5), all Keyword. */
export const CUSTOM_SEARCH_ATTRIBUTES = [SA_CHAT_ID, SA_WHATSAPP_SESSION, SA_PATIENT_ID, SA_TRIAGE_LEVEL];

const ROOT = path.resolve(__dirname, '..', '..');
export const WORKFLOWS_INDEX = path.join(ROOT, 'workflows', 'index.ts');

type Env = Record<string, string | undefined>;

export interface TemporalToolPaths {
  cli: string;
  testServer: string;
}

/** Where scripts/install-tools puts the tools, or the paths given in TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH. */
export function temporalToolPaths(env: Env = process.env): TemporalToolPaths {
  const tools = env.MEDICAL_ASSISTANT_TOOLS || path.join(homedir(), '.cache', 'medical-assistant');
  return {
    cli: env.TEMPORAL_CLI_PATH || path.join(tools, 'bin', 'temporal'),
    testServer: env.TEMPORAL_TEST_SERVER_PATH || path.join(tools, 'bin', 'temporal-test-server'),
  };
}

/**
 * The installed tool when it exists. Without it, a laptop with internet may let the SDK download its
 * own server; in CI that download cannot work, so we fail at once with the command that fixes it.
 */
export function resolveExecutable(
  toolPath: string,
  variable: string,
  env: Env = process.env,
): EphemeralServerExecutable {
  if (existsSync(toolPath)) return { type: 'existing-path', path: toolPath };
  if (env[variable]) throw new Error(`${variable}=${toolPath} does not exist`);
  if (env.CI === 'true' || env.CI === '1') {
    throw new Error(`${toolPath} is missing and CI cannot download Temporal servers: run scripts/install-tools first`);
  }
  return { type: 'cached-download' };
}

export interface TemporalEnvOptions {
  /** Where to read TEMPORAL_CLI_PATH, TEMPORAL_TEST_SERVER_PATH, MEDICAL_ASSISTANT_TOOLS and CI from. */
  env?: Env;
  /** For env.client, e.g. a dataConverter with the payload codec. */
  client?: ClientOptionsForTestEnv;
}

let runtimeConfigured = false;
/** The SDK logs every worker start at INFO; tests only want warnings. Must run before the Runtime exists. */
function quietRuntime(): void {
  if (runtimeConfigured) return;
  runtimeConfigured = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Another helper in this test file created the Runtime first: keep its logger.
  }
}

/**
 * The Java time-skipping test server (timers complete as soon as nothing else can happen).
 *
 * Custom search attributes (checked against test server 1.38.0): the Java test server does NOT accept
 * arbitrary ones. A start naming ChatId fails with `INVALID_ARGUMENT: search attribute ChatId is not
 * defined`, and an upsert of an unknown attribute fails the workflow task over and over (the workflow
 * hangs). It does implement OperatorService.AddSearchAttributes (ListSearchAttributes is UNIMPLEMENTED),
 * so we register the four product attributes as Keyword right after start; starts and upserts then
 * work, and `describe()` and `workflowInfo().typedSearchAttributes` show the values. It has no real
 * visibility store, so list queries by attribute need the dev server (createDevServerEnv).
 *
 * One time-skipping wait at a time: `env.client`'s result()/execute() and `env.sleep()` each unlock
 * time skipping for their duration and lock it again after. Two of them in flight together (e.g.
 * `Promise.all` of two results) unbalance the server's lock: it throws "Unbalanced lock and unlock
 * calls" and the test hangs until its timeout. Await results one by one, or use resultsTogether().
 */
export async function createTimeSkippingEnv(options: TemporalEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = options.env ?? process.env;
  const { testServer } = temporalToolPaths(env);
  const testEnv = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: resolveExecutable(testServer, 'TEMPORAL_TEST_SERVER_PATH', env) },
    client: options.client,
  });
  try {
    await registerSearchAttributes(testEnv);
  } catch (err) {
    await testEnv.teardown();
    throw err;
  }
  return testEnv;
}

async function registerSearchAttributes(testEnv: TestWorkflowEnvironment): Promise<void> {
  const searchAttributes: Record<string, number> = {};
  for (const key of CUSTOM_SEARCH_ATTRIBUTES) searchAttributes[key.name] = INDEXED_VALUE_TYPE_KEYWORD;
  await testEnv.connection.operatorService.addSearchAttributes({
    namespace: testEnv.namespace ?? 'default',
    searchAttributes,
  });
}

/**
 * Awaits several workflows' results at once on a time-skipping environment: one unlock of time
 * skipping around all of them, with a plain client whose result() leaves the lock alone (see above).
 */
export async function resultsTogether<T = unknown>(
  testEnv: TestWorkflowEnvironment,
  workflowIds: string[],
): Promise<T[]> {
  const testService = testEnv.connection.testService;
  if (!testService) throw new Error('resultsTogether needs an environment from createTimeSkippingEnv()');
  const plain = new Client({ connection: testEnv.connection, namespace: testEnv.namespace ?? 'default' });
  await testService.unlockTimeSkipping({});
  try {
    return await Promise.all(workflowIds.map((id) => plain.workflow.getHandle(id).result() as Promise<T>));
  } finally {
    await testService.lockTimeSkipping({});
  }
}

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const INDEXED_VALUE_TYPE_KEYWORD = 2;

/** A real Temporal server (the CLI's dev server, in memory) with the custom search attributes registered. */
export async function createDevServerEnv(options: TemporalEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = options.env ?? process.env;
  const { cli } = temporalToolPaths(env);
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: resolveExecutable(cli, 'TEMPORAL_CLI_PATH', env),
      searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
    },
    client: options.client,
  });
}

/**
 * Bundles workflow code once (webpack takes seconds): call it in beforeAll and pass the bundle to
 * every withWorker of the file. Defaults to the product's workflows/index.ts; `options` take e.g. a
 * payloadConverterPath.
 */
export async function bundleWorkflows(
  workflowsPath: string = WORKFLOWS_INDEX,
  options: Omit<BundleOptions, 'workflowsPath'> = {},
): Promise<WorkflowBundleWithSourceMap> {
  quietRuntime();
  // The product's workflows encode failure messages like production (temporal/failure-converter.ts).
  const product = workflowsPath === WORKFLOWS_INDEX ? { failureConverterPath: FAILURE_CONVERTER_PATH } : {};
  return bundleWorkflowCode({ logger: new DefaultLogger('WARN'), ...product, ...options, workflowsPath });
}

export interface TestWorkerOptions {
  bundle: WorkflowBundleWithSourceMap;
  activities?: WorkerOptions['activities'];
  /** Defaults to a fresh queue per call so tests sharing one server never steal each other's tasks. */
  taskQueue?: string;
  /** Anything else Worker.create accepts (interceptors, rate limits...). */
  worker?: Omit<
    WorkerOptions,
    'connection' | 'namespace' | 'taskQueue' | 'workflowBundle' | 'workflowsPath' | 'activities'
  >;
}

/** Runs a worker on the environment while `fn` runs, then shuts it down (also when `fn` throws). */
export async function withWorker<R>(
  testEnv: TestWorkflowEnvironment,
  options: TestWorkerOptions,
  fn: (taskQueue: string) => Promise<R>,
): Promise<R> {
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const worker = await Worker.create({
    ...options.worker,
    connection: testEnv.nativeConnection,
    namespace: testEnv.namespace ?? 'default',
    taskQueue,
    workflowBundle: options.bundle,
    activities: options.activities,
  });
  return worker.runUntil(fn(taskQueue));
}
