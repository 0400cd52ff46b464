/**
 * The whole system as real processes on loopback ports: the Temporal CLI dev server, the WPPConnect
 * simulator, the worker and the API, sharing one SQLite database in a temporary directory. Used by
 * `npm run bench`, `npm run chaos` and the worker-crash integration test. The worker and the API run from
 * source under tsx, or (`program: 'compiled'`, the bench and the chaos run) as production runs them:
 * `node dist/worker/main.js` and `node dist/api/main.js`, built by `npm run build`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, WorkflowIdConflictPolicy } from '@temporalio/client';
import { openDatabase, type Database } from '../../db';
import type { SessionKeeperTimings } from '../../workflows/session-keeper';
import { SEARCH_ATTRIBUTE_NAMES, sessionKeeperWorkflowId, SA_WHATSAPP_SESSION } from '../../contracts';
import { freePorts, killHard, spawnManaged, stopGracefully, waitUntil, type ManagedProcess } from './processes';
import { createSimClient, type SimClient } from '../../simulator/control-client';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

export const SESSION = 'medical-assistant';
export const SECRET = 'bench-wppconnect-secret';
export const WEBHOOK_TOKEN = 'bench-webhook-token';
export const API_KEY = 'bench-api-key';
export const TASK_QUEUE = 'medical-assistant';

export interface ClusterOptions {
  quietWindowMs: number;
  sendsPerSecond: number;
  /** DELIVERY_TIMEOUT (default "2 minutes"). */
  deliveryTimeout?: string;
  logLevel?: string;
  /** Simulator ack delays (sent → delivered → read), default [50, 150, 300]. */
  ackDelaysMs?: [number, number, number];
  simulatorSeed?: number;
  /**
   * Started by us before the worker starts it (the worker attaches with USE_EXISTING): how the keeper's
   * poll and catch-up intervals are shortened without a configuration variable for them.
   */
  keeperTimings?: Partial<SessionKeeperTimings>;
  /** Keep the temporary directory (logs, databases) after stop(). */
  keep?: boolean;
  extraEnv?: Record<string, string>;
  /** How the worker and the API run: from source under tsx (default) or compiled from dist/. */
  program?: 'source' | 'compiled';
  /** Namespaces the dev server creates besides `default`. */
  namespaces?: string[];
  /** More arguments for `temporal server start-dev` (SQLite pragmas, dynamic config). */
  temporalArgs?: string[];
  /** Node options for the worker and the API (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
  nodeArgs?: string[];
  /**
   * The compiled programs run with the production image's allocator: jemalloc preloaded from this path
   * (findJemalloc()); undefined runs them on glibc's malloc.
   */
  jemalloc?: string;
}

/**
 * Debian's libjemalloc2 (the Dockerfile links it to /usr/local/lib for its LD_PRELOAD), or undefined when it
 * is not installed (`apt-get install libjemalloc2`).
 */
export function findJemalloc(): string | undefined {
  const triplet = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  return ['/usr/local/lib/libjemalloc.so.2', `/usr/lib/${triplet}/libjemalloc.so.2`].find((p) => existsSync(p));
}

/** Which allocator the compiled programs run on, for the run's log and results; `why` says why not jemalloc. */
export function describeAllocator(jemalloc: string | undefined, why: string): string {
  return jemalloc ? `jemalloc preloaded (${jemalloc}) as in the image` : `glibc's malloc (${why})`;
}

/** The production image's environment (Dockerfile) for the compiled programs. */
export function imageEnv(jemalloc: string | undefined): Record<string, string> {
  return {
    MALLOC_ARENA_MAX: '2',
    ...(jemalloc ? { LD_PRELOAD: jemalloc, MALLOC_CONF: 'background_thread:true' } : {}),
  };
}

export interface Cluster {
  dir: string;
  logDir: string;
  apiUrl: string;
  simulatorUrl: string;
  temporalAddress: string;
  /** The dev server's SQLite database and its -wal / -shm files. */
  temporalDbFiles: string[];
  temporal: ManagedProcess;
  simulator: ManagedProcess;
  sim: SimClient;
  client: Client;
  db: Database;
  /** The environment the API and worker get. */
  env: Record<string, string | undefined>;
  readonly api: ManagedProcess | undefined;
  readonly worker: ManagedProcess | undefined;
  /** Runs another TypeScript entry point of this repository as a managed child with `env` plus `overrides`. */
  spawnService(name: string, file: string, overrides: Record<string, string>): ManagedProcess;
  /** Runs the worker or the API (source or compiled, as the cluster was started) with `env` plus `overrides`. */
  spawnProgram(name: string, program: 'worker' | 'api', overrides: Record<string, string>): ManagedProcess;
  /** `overrides` add to (or replace) the environment of this process only. */
  startWorker(overrides?: Record<string, string>): Promise<ManagedProcess>;
  startApi(overrides?: Record<string, string>): Promise<ManagedProcess>;
  killWorker(): Promise<void>;
  killApi(): Promise<void>;
  /** GET /health/ready answers 200 (database, Temporal and the WhatsApp session are up). */
  waitReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function temporalCli(): string {
  const tools = process.env.MEDICAL_ASSISTANT_TOOLS || path.join(homedir(), '.cache', 'medical-assistant');
  const cli = process.env.TEMPORAL_CLI_PATH || path.join(tools, 'bin', 'temporal');
  if (!existsSync(cli)) throw new Error(`Temporal CLI not found at ${cli}: run scripts/install-tools first`);
  return cli;
}

export async function httpStatus(url: string, timeoutMs = 3000): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

const tsx = (file: string, nodeArgs: readonly string[] = []): [string, string[]] => [
  process.execPath,
  [...nodeArgs, '--import', 'tsx', path.join(ROOT, file)],
];

const PROGRAMS = { worker: 'worker/main', api: 'api/main' } as const;

/** `node dist/<program>.js`; fails early when `npm run build` has not been run. */
function compiled(program: keyof typeof PROGRAMS, nodeArgs: readonly string[]): [string, string[]] {
  const file = path.join(ROOT, 'dist', `${PROGRAMS[program]}.js`);
  if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run npm run build first`);
  return [process.execPath, [...nodeArgs, file]];
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'medical-assistant-bench-'));
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const owned: ManagedProcess[] = [];
  let api: ManagedProcess | undefined;
  let worker: ManagedProcess | undefined;
  let db: Database | undefined;
  let connection: Connection | undefined;

  const cleanup = async (): Promise<void> => {
    await Promise.all(owned.filter((p) => p.name !== 'temporal').map((p) => stopGracefully(p, 5000)));
    await connection?.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
    const t = owned.find((p) => p.name === 'temporal');
    if (t) await stopGracefully(t, 5000);
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Temporal's own services bind random ports as it starts: the other ports are picked once it is up.
    const [temporalPort, temporalHttpPort, uiPort] = await freePorts(3);
    const temporalAddress = `127.0.0.1:${temporalPort}`;
    const databaseUrl = `sqlite:${path.join(dir, 'medical-assistant.sqlite')}`;

    // Migrate once here: two processes migrating the same SQLite file at once would race.
    db = await openDatabase(databaseUrl);

    const cli = temporalCli();
    const temporalDb = path.join(dir, 'temporal.db');
    const temporalArgs = [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(temporalPort),
      '--http-port',
      String(temporalHttpPort),
      '--ui-port',
      String(uiPort),
      '--db-filename',
      temporalDb,
      '--log-level',
      'error',
      // SQLite as it is run under a write-heavy load (docs/benchmarks.md, "The Temporal server of the bench"):
      // the default rollback journal wrote every page twice with an fsync per commit, ~4 MB per answered message.
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=normal',
      // A new timer fires no earlier than now + this (default 1 s): the bench's 500 ms quiet window would
      // wait a second. Production's default window (2 s) is above the floor either way.
      '--dynamic-config-value',
      'history.timerProcessorMaxTimeShift="10ms"',
    ];
    for (const name of SEARCH_ATTRIBUTE_NAMES) temporalArgs.push('--search-attribute', `${name}=Keyword`);
    for (const namespace of opts.namespaces ?? []) temporalArgs.push('--namespace', namespace);
    temporalArgs.push(...(opts.temporalArgs ?? []));
    const temporalProcess = spawnManaged({
      name: 'temporal',
      command: cli,
      args: temporalArgs,
      // Go's collector runs 4x less often (docs/benchmarks.md, "The Temporal server of the bench"): the
      // server's CPU per answered message fell about a tenth; a GOGC already set is kept.
      env: { ...process.env, GOGC: process.env.GOGC ?? '400' },
      logDir,
    });
    owned.push(temporalProcess);

    await waitUntil(
      'Temporal dev server',
      async () =>
        /SERVING/.test(
          (await execFileAsync(cli, ['operator', 'cluster', 'health', '--address', temporalAddress])).stdout,
        ),
      { timeoutMs: 90_000, everyMs: 500, process: temporalProcess },
    );
    const [simPort, apiPort] = await freePorts(2);
    const simulatorUrl = `http://127.0.0.1:${simPort}`;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const [simCmd, simArgs] = tsx('simulator/main.ts');
    const ack = opts.ackDelaysMs ?? [50, 150, 300];
    const simulator = spawnManaged({
      name: 'simulator',
      command: simCmd,
      args: [
        ...simArgs,
        '--port',
        String(simPort),
        '--host',
        '127.0.0.1',
        '--auto-connect',
        '--session',
        SESSION,
        '--secret',
        SECRET,
        '--seed',
        String(opts.simulatorSeed ?? 1),
        '--initialize-ms',
        '300',
        '--scan-sync-ms',
        '300',
        '--ack-delays',
        ack.join(','),
      ],
      env: process.env,
      logDir,
    });
    owned.push(simulator);

    await waitUntil('simulator', async () => (await httpStatus(`${simulatorUrl}/healthz`)) === 200, {
      timeoutMs: 60_000,
      process: simulator,
    });

    connection = await Connection.connect({ address: temporalAddress });
    const client = new Client({ connection });

    if (opts.keeperTimings) {
      await client.workflow.start('sessionKeeperWorkflow', {
        workflowId: sessionKeeperWorkflowId(SESSION),
        taskQueue: TASK_QUEUE,
        args: [{ session: SESSION, timings: opts.keeperTimings }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        typedSearchAttributes: [{ key: SA_WHATSAPP_SESSION, value: SESSION }],
      });
    }

    const env: Record<string, string | undefined> = {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      WPPCONNECT_URL: `${simulatorUrl}/api`,
      WPPCONNECT_SESSION: SESSION,
      WPPCONNECT_SECRET_KEY: SECRET,
      WPPCONNECT_TIMEOUT_SECONDS: '10',
      WPPCONNECT_SENDS_PER_SECOND: String(opts.sendsPerSecond),
      WEBHOOK_TOKEN,
      API_KEYS: API_KEY,
      PUBLIC_URL: apiUrl,
      API_PORT: String(apiPort),
      RATE_LIMIT_PER_MINUTE: '1000000',
      MEDIA_STORAGE_PATH: path.join(dir, 'media'),
      QUIET_WINDOW_MS: String(opts.quietWindowMs),
      DELIVERY_TIMEOUT: opts.deliveryTimeout ?? '2 minutes',
      WORKER_METRICS_PORT: '0',
      LOG_LEVEL: opts.logLevel ?? 'warn',
      ...opts.extraEnv,
    };
    const database = db;

    const pollerPids = async (): Promise<Set<number>> => {
      const res = await connection!.workflowService.describeTaskQueue({
        namespace: 'default',
        // TASK_QUEUE_KIND_NORMAL and TASK_QUEUE_TYPE_WORKFLOW (the proto enums are not a direct dependency).
        taskQueue: { name: TASK_QUEUE, kind: 1 },
        taskQueueType: 1,
      });
      return new Set((res.pollers ?? []).map((p) => Number(String(p.identity ?? '').split('@')[0])));
    };

    const cluster: Cluster = {
      dir,
      logDir,
      apiUrl,
      simulatorUrl,
      temporalAddress,
      temporalDbFiles: [temporalDb, `${temporalDb}-wal`, `${temporalDb}-shm`],
      temporal: temporalProcess,
      simulator,
      sim: createSimClient(simulatorUrl, SESSION),
      client,
      db: database,
      env,
      get api() {
        return api;
      },
      get worker() {
        return worker;
      },
      spawnService(name, file, overrides) {
        const [cmd, args] = tsx(file);
        const p = spawnManaged({ name, command: cmd, args, env: { ...env, ...overrides }, logDir });
        owned.push(p);
        return p;
      },
      spawnProgram(name, program, overrides) {
        const nodeArgs = opts.nodeArgs ?? [];
        const image = opts.program === 'compiled' ? imageEnv(opts.jemalloc) : {};
        const [cmd, args] =
          opts.program === 'compiled' ? compiled(program, nodeArgs) : tsx(`${PROGRAMS[program]}.ts`, nodeArgs);
        const p = spawnManaged({ name, command: cmd, args, env: { ...env, ...image, ...overrides }, logDir });
        owned.push(p);
        return p;
      },
      async startWorker(overrides = {}) {
        const p = cluster.spawnProgram('worker', 'worker', overrides);
        worker = p;
        // The SDK's default identity is `<pid>@<host>`: this worker polls once its pid shows among the pollers.
        await waitUntil('worker polling', async () => (await pollerPids()).has(p.pid), {
          timeoutMs: 180_000,
          everyMs: 500,
          process: p,
        });
        return p;
      },
      async startApi(overrides = {}) {
        const p = cluster.spawnProgram('api', 'api', overrides);
        api = p;
        await waitUntil('API live', async () => (await httpStatus(`${apiUrl}/health/live`)) === 200, {
          timeoutMs: 120_000,
          process: p,
        });
        return p;
      },
      async killWorker() {
        if (worker) await killHard(worker);
      },
      async killApi() {
        if (api) await killHard(api);
      },
      async waitReady(timeoutMs = 120_000) {
        await waitUntil('API ready', async () => (await httpStatus(`${apiUrl}/health/ready`)) === 200, {
          timeoutMs,
          everyMs: 300,
        });
      },
      stop: cleanup,
    };
    return cluster;
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}
