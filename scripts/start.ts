/**
 * Orchestrates the local system behind `npm start` (scripts/start prepares dependencies first):
 * migrations, the Temporal dev server, the WPPConnect simulator (unless WPPCONNECT_URL is set), the
 * worker and the API. Every child runs in its own process group so that Ctrl-C reaches only this
 * process, which then stops the children first and Temporal last.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { ConfigError, loadConfig, type Config, type RawEnv } from '../config/config';
import { SEARCH_ATTRIBUTE_NAMES, sessionKeeperWorkflowId } from '../contracts';

const DEV_API_KEY = 'dev-api-key';
/** The operator `npm start` creates outside production (docs/product.md §8): public knowledge, like the dev API key. */
export const DEV_OPERATOR = { username: 'operator', password: 'dev-operator-password', name: 'Development operator' };
const execFileAsync = promisify(execFile);
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export interface StartPlan {
  dataDir: string;
  /** Environment every child gets: the user's, plus the addresses of what this script runs. */
  childEnv: RawEnv;
  /** Absent when TEMPORAL_ADDRESS points at a remote cluster. */
  temporalDev?: { port: number; uiPort: number; dbFile: string };
  /** Absent when WPPCONNECT_URL is set (a real WPPConnect Server). */
  simulator?: { port: number; url: string };
  apiUrl: string;
  readyTimeoutMs: number;
}

function portFrom(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(name, `must be a port number, got "${value}"`);
  }
  return port;
}

/** Pure: decides what to run and with which environment. Throws ConfigError on a bad value. */
export function planStart(env: RawEnv): StartPlan {
  const dataDir = env.DATA_DIR?.trim() || './data';
  const childEnv: RawEnv = { ...env };

  let temporalDev: StartPlan['temporalDev'];
  const address = env.TEMPORAL_ADDRESS?.trim();
  const [addressHost, addressPort] = address ? [address.replace(/:\d+$/, ''), /:(\d+)$/.exec(address)?.[1]] : [];
  if (addressHost === undefined || LOCAL_HOSTS.has(addressHost)) {
    const port =
      portFrom(env.TEMPORAL_DEV_PORT, 'TEMPORAL_DEV_PORT') ?? portFrom(addressPort, 'TEMPORAL_ADDRESS') ?? 7233;
    const uiPort = portFrom(env.TEMPORAL_UI_PORT, 'TEMPORAL_UI_PORT') ?? port + 1000;
    temporalDev = { port, uiPort, dbFile: path.join(dataDir, 'temporal.db') };
    childEnv.TEMPORAL_ADDRESS = `localhost:${port}`;
    // The Web UI calls the API's codec server from the browser: allow its origin.
    childEnv.CODEC_CORS_ORIGINS =
      env.CODEC_CORS_ORIGINS?.trim() || `http://localhost:${uiPort},http://127.0.0.1:${uiPort}`;
  }

  let simulator: StartPlan['simulator'];
  if (!env.WPPCONNECT_URL?.trim()) {
    const port = portFrom(env.SIMULATOR_PORT, 'SIMULATOR_PORT') ?? 21465;
    simulator = { port, url: `http://localhost:${port}` };
    childEnv.WPPCONNECT_URL = `${simulator.url}/api`;
    childEnv.SIMULATOR_PORT = String(port);
  }

  const apiPort = portFrom(env.API_PORT, 'API_PORT') ?? 3000;
  const apiUrl = `http://localhost:${apiPort}`;
  childEnv.API_PORT = String(apiPort);
  childEnv.PUBLIC_URL = env.PUBLIC_URL?.trim() || apiUrl;
  if (!env.DATABASE_URL?.trim()) childEnv.DATABASE_URL = `sqlite:${path.join(dataDir, 'medical-assistant.sqlite')}`;

  const timeoutSeconds = Number(env.START_TIMEOUT_SECONDS ?? '240');
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new ConfigError('START_TIMEOUT_SECONDS', `must be a positive number, got "${env.START_TIMEOUT_SECONDS}"`);
  }
  return { dataDir, childEnv, temporalDev, simulator, apiUrl, readyTimeoutMs: timeoutSeconds * 1000 };
}

/** Arguments of `temporal server start-dev`: persistent state, our search attributes, the UI codec. */
export function temporalDevArgs(plan: StartPlan, config: Config): string[] {
  if (!plan.temporalDev) return [];
  const { port, uiPort, dbFile } = plan.temporalDev;
  const args = ['server', 'start-dev', '--db-filename', dbFile, '--port', String(port), '--ui-port', String(uiPort)];
  // The dev server warns about every poller it closes on shutdown; errors are what a developer needs.
  args.push('--log-level', config.logLevel === 'debug' || config.logLevel === 'trace' ? 'warn' : 'error');
  if (config.temporal.namespace !== 'default') args.push('--namespace', config.temporal.namespace);
  for (const name of SEARCH_ATTRIBUTE_NAMES) args.push('--search-attribute', `${name}=Keyword`);
  if (config.temporal.payloadKey) args.push('--ui-codec-endpoint', `${plan.apiUrl}/codec`);
  return args;
}

// ---------------------------------------------------------------------------------------------
// Child processes

const COLORS = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m', '\x1b[90m'];
const RESET = '\x1b[0m';

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<void>;
  done: boolean;
}

class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;
  private colorIndex = 0;
  private readonly useColor = process.stdout.isTTY === true;

  constructor(
    private readonly logDir: string,
    private readonly onUnexpectedExit: (name: string, code: number | null, signal: string | null) => void,
  ) {}

  get isStopping(): boolean {
    return this.stopping;
  }

  say(line: string): void {
    process.stdout.write(`${this.useColor ? '\x1b[1m[start]\x1b[0m' : '[start]'} ${line}\n`);
  }

  /** Runs a long-lived child in its own process group, its output prefixed with its name. */
  start(name: string, command: string, args: readonly string[], env: RawEnv, opts: { oneShot?: boolean } = {}): Child {
    const log = fs.createWriteStream(path.join(this.logDir, `${name}.log`), { flags: 'a' });
    const proc = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const color = COLORS[this.colorIndex++ % COLORS.length] ?? '';
    const prefix = this.useColor ? `${color}[${name}]${RESET} ` : `[${name}] `;
    for (const stream of [proc.stdout, proc.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        process.stdout.write(`${prefix}${line}\n`);
        log.write(`${line}\n`);
      });
    }
    let resolveExit!: () => void;
    const child: Child = { name, process: proc, exited: new Promise((r) => (resolveExit = r)), done: false };
    proc.on('error', (err) => {
      this.say(`${name} could not be started: ${err.message}`);
      child.done = true;
      resolveExit();
      if (!opts.oneShot && !this.stopping) this.onUnexpectedExit(name, null, null);
    });
    proc.on('exit', (code, signal) => {
      child.done = true;
      log.end();
      resolveExit();
      if (!opts.oneShot && !this.stopping) this.onUnexpectedExit(name, code, signal);
    });
    if (!opts.oneShot) {
      this.children.push(child);
      this.say(`started ${name} (pid ${proc.pid ?? '?'})`);
    }
    return child;
  }

  /** Runs a one-shot child to completion; resolves with its exit code. */
  async run(name: string, command: string, args: readonly string[], env: RawEnv): Promise<number> {
    const child = this.start(name, command, args, env, { oneShot: true });
    this.children.push(child);
    await child.exited;
    this.children.splice(this.children.indexOf(child), 1);
    return child.process.exitCode ?? 1;
  }

  private static signalGroup(child: Child, signal: NodeJS.Signals): void {
    if (child.process.pid === undefined) return;
    try {
      process.kill(-child.process.pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  private static async stopOne(child: Child, graceMs: number): Promise<void> {
    if (!child.done) {
      Supervisor.signalGroup(child, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        child.exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) process.stdout.write(`[start] ${child.name} did not stop within ${graceMs} ms: killing it\n`);
    }
    // Also reaps grandchildren that outlived their parent in the group.
    Supervisor.signalGroup(child, 'SIGKILL');
    await child.exited;
  }

  /** Stops every child except `last` in parallel, then `last` (Temporal must outlive its clients). */
  async stopAll(lastName: string | undefined, graceMs: number): Promise<void> {
    this.stopping = true;
    const first = this.children.filter((c) => c.name !== lastName);
    await Promise.all(first.map((c) => Supervisor.stopOne(c, graceMs)));
    const last = this.children.find((c) => c.name === lastName);
    if (last) await Supervisor.stopOne(last, graceMs);
  }

  /** Last resort when this process exits abruptly: no child may outlive it. */
  killAllNow(): void {
    for (const child of this.children) if (!child.done) Supervisor.signalGroup(child, 'SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------
// Waiting

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function httpStatus(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

class StartAborted extends Error {}

async function waitFor(what: string, deadline: number, aborted: () => boolean, probe: () => Promise<boolean>) {
  while (!(await probe())) {
    if (aborted()) throw new StartAborted(what);
    if (Date.now() > deadline) throw new Error(`${what} was not ready in time (START_TIMEOUT_SECONDS)`);
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------------------------
// Main

function banner(plan: StartPlan, config: Config): string[] {
  const session = config.wppconnect.sessions[0] ?? 'medical-assistant';
  const keys = plan.childEnv.API_KEYS?.trim();
  // The built-in development key is public knowledge; a key the user configured is never printed.
  const key = keys ? '<one of your API_KEYS>' : DEV_API_KEY;
  const ui = plan.temporalDev ? `http://localhost:${plan.temporalDev.uiPort}` : undefined;
  const ns = encodeURIComponent(config.temporal.namespace);
  const operator =
    config.nodeEnv === 'production'
      ? 'sign in as an operator created with `npm run operator:add`'
      : `sign in as ${DEV_OPERATOR.username} / ${DEV_OPERATOR.password}`;
  const lines = [
    `Console        ${plan.apiUrl}/console   (${operator})`,
    `API            ${plan.apiUrl}   (API key: ${key})`,
    `API docs       ${plan.apiUrl}/docs`,
    `Health         ${plan.apiUrl}/health/ready`,
  ];
  if (ui) {
    lines.push(`Temporal UI    ${ui}/namespaces/${ns}/workflows`);
    lines.push(
      `Session keeper ${ui}/namespaces/${ns}/workflows/${encodeURIComponent(sessionKeeperWorkflowId(session))}`,
    );
  }
  lines.push(`Temporal gRPC  ${config.temporal.address} (namespace ${config.temporal.namespace})`);
  lines.push(`QR code        curl -H 'X-API-Key: ${key}' ${plan.apiUrl}/api/sessions/${session}/qr -o qr.png`);
  if (plan.simulator) {
    lines.push(`Simulator      ${plan.simulator.url} (WPPConnect stand-in, session auto-connected)`);
    const patientEnv = plan.simulator.port === 21465 ? '' : `SIMULATOR_PORT=${plan.simulator.port} `;
    lines.push(`Play a patient ${patientEnv}npm run patient -- "I have a headache"   (or without text for a chat)`);
  } else {
    lines.push(`WPPConnect     ${config.wppconnect.url}`);
  }
  lines.push(`Logs           ${path.join(plan.dataDir, 'logs')}/`);
  return lines;
}

async function main(): Promise<void> {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  let plan: StartPlan;
  let config: Config;
  try {
    plan = planStart(process.env);
    config = loadConfig(plan.childEnv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`[start] ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }

  const logDir = path.join(plan.dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(config.media.storagePath, { recursive: true });

  let failure: string | undefined;
  let shuttingDown: Promise<void> | undefined;
  const graceMs = 15_000;
  const supervisor = new Supervisor(logDir, (name, code, signal) => {
    failure = `${name} exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code ?? '?'}`})`;
    supervisor.say(`${failure}: stopping the rest (see ${path.join(logDir, `${name}.log`)})`);
    void shutdown(1);
  });

  const shutdown = (code: number): Promise<void> => {
    shuttingDown ??= (async () => {
      await supervisor.stopAll(plan.temporalDev ? 'temporal' : undefined, graceMs);
      supervisor.say(code === 0 ? 'everything stopped' : 'stopped');
      process.exit(code);
    })();
    return shuttingDown;
  };

  // Ctrl-C in a terminal reaches us twice under `npm start` (from the terminal, and forwarded by npm):
  // only a signal well after the first one means "stop waiting, kill everything".
  let firstSignalAt: number | undefined;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (firstSignalAt !== undefined) {
        if (Date.now() - firstSignalAt < 1500) return;
        supervisor.say('second signal: killing everything now');
        supervisor.killAllNow();
        process.exit(130);
      }
      firstSignalAt = Date.now();
      supervisor.say(`${sig} received: stopping the API, worker and simulator, then Temporal`);
      void shutdown(failure ? 1 : 0);
    });
  }
  process.on('exit', () => supervisor.killAllNow());
  // A closed terminal or pipe must not crash us before the children are stopped.
  process.stdout.on('error', () => undefined);

  const busy: string[] = [];
  const ports: Array<[number, string, string]> = [[Number(plan.childEnv.API_PORT), 'API', 'API_PORT']];
  if (plan.temporalDev) {
    ports.push([plan.temporalDev.port, 'Temporal dev server', 'TEMPORAL_DEV_PORT']);
    ports.push([plan.temporalDev.uiPort, 'Temporal UI', 'TEMPORAL_UI_PORT']);
  }
  if (plan.simulator) ports.push([plan.simulator.port, 'simulator', 'SIMULATOR_PORT']);
  if (config.worker.metricsPort > 0) ports.push([config.worker.metricsPort, 'worker metrics', 'WORKER_METRICS_PORT']);
  for (const [port, what, variable] of ports) {
    if (await portInUse(port)) busy.push(`port ${port} (${what}) is already in use; set ${variable} to use another`);
  }
  if (busy.length > 0) {
    for (const line of busy) supervisor.say(line);
    supervisor.say('is another `npm start` still running?');
    process.exit(1);
  }

  const node = process.execPath;
  const tsx = (file: string, ...args: string[]): [string, string[]] => [node, ['--import', 'tsx', file, ...args]];
  const deadline = Date.now() + plan.readyTimeoutMs;
  const aborted = () => shuttingDown !== undefined;

  try {
    supervisor.say(`migrating ${config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl : 'the database'}`);
    const migrateCode = await supervisor.run('migrate', ...tsx('db/cli.ts', 'up'), plan.childEnv);
    if (migrateCode !== 0) throw new Error(`database migration failed (exit code ${migrateCode})`);
    if (config.nodeEnv !== 'production') {
      const operatorEnv = { ...plan.childEnv, OPERATOR_PASSWORD: DEV_OPERATOR.password };
      const args = [DEV_OPERATOR.username, '--name', DEV_OPERATOR.name, '--if-missing'];
      const code = await supervisor.run('operator', ...tsx('scripts/operator-add.ts', ...args), operatorEnv);
      if (code !== 0) throw new Error(`creating the development operator failed (exit code ${code})`);
    }

    if (plan.temporalDev) {
      const cli = process.env.TEMPORAL_CLI_PATH || 'temporal';
      supervisor.start('temporal', cli, temporalDevArgs(plan, config), plan.childEnv);
      const address = `127.0.0.1:${plan.temporalDev.port}`;
      await waitFor('Temporal dev server', deadline, aborted, async () => {
        const health = await execFileAsync(cli, ['operator', 'cluster', 'health', '--address', address]).catch(
          () => undefined,
        );
        return health !== undefined && /SERVING/.test(health.stdout);
      });
      supervisor.say(`Temporal is up at ${address}, Web UI on http://localhost:${plan.temporalDev.uiPort}`);
    }

    if (plan.simulator) {
      const { port, url } = plan.simulator;
      const session = config.wppconnect.sessions[0] ?? 'medical-assistant';
      // The simulator must verify the tokens the worker mints with WPPCONNECT_SECRET_KEY.
      const simulatorEnv = { ...plan.childEnv, SECRET_KEY: config.wppconnect.secretKey };
      const simulatorArgs = ['--port', String(port), '--auto-connect', '--session', session];
      supervisor.start('simulator', ...tsx('simulator/main.ts', ...simulatorArgs), simulatorEnv);
      await waitFor(
        'WPPConnect simulator',
        deadline,
        aborted,
        async () => (await httpStatus(`${url}/healthz`)) === 200,
      );
    }

    supervisor.start('worker', ...tsx('worker/main.ts'), plan.childEnv);
    supervisor.start('api', ...tsx('api/main.ts'), plan.childEnv);

    if (plan.simulator) {
      await waitFor('API', deadline, aborted, async () => (await httpStatus(`${plan.apiUrl}/health/ready`)) === 200);
    } else {
      // A real WhatsApp session is only ready after someone scans the QR: do not wait for that.
      await waitFor('API', deadline, aborted, async () => (await httpStatus(`${plan.apiUrl}/health/live`)) === 200);
    }
  } catch (err) {
    if (err instanceof StartAborted) return; // a signal or a dead child is already shutting down
    supervisor.say(`start failed: ${(err as Error).message}`);
    await shutdown(1);
    return;
  }

  supervisor.say('ready: the medical assistant is running');
  for (const line of banner(plan, config)) supervisor.say(`  ${line}`);
  if (!plan.simulator) {
    supervisor.say('  To link the WhatsApp number: fetch the QR code above (it rotates about every 20 s, fetch again');
    supervisor.say('  if it expired), then on the phone open WhatsApp > Settings > Linked devices > Link a device and');
    supervisor.say(`  scan it. ${plan.apiUrl}/health/ready answers 200 once the session is CONNECTED.`);
  }
  supervisor.say('Press Ctrl-C to stop everything.');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`[start] ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
