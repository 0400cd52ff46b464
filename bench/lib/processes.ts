/**
 * Child processes for the bench, chaos run and crash test: each in its own process group (so a
 * SIGKILL reaches tsx's grandchildren too), its output in a log file, and every group killed when
 * this process exits, however it exits. No orphan may outlive a run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface ManagedProcess {
  name: string;
  /** Process id of the group leader (the node or temporal process itself). */
  pid: number;
  logFile: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>;
  readonly running: boolean;
}

const live = new Set<ManagedProcess>();
let hooksInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Last resort: synchronous, so it also runs from process.on('exit'). */
export function killAllNow(): void {
  for (const p of live) killGroup(p.pid, 'SIGKILL');
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  // Under jest the runner owns signals and uncaught errors; the test's afterAll stops the cluster.
  if (process.env.JEST_WORKER_ID !== undefined) return;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`${err.stack ?? String(err)}\n`);
    killAllNow();
    process.exit(1);
  });
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  env: Record<string, string | undefined>;
  logDir: string;
  cwd?: string;
}

/** Starts a process in its own group; stdout and stderr go (appended) to `<logDir>/<name>.log`. */
export function spawnManaged(opts: SpawnOptions): ManagedProcess {
  installHooks();
  const logFile = path.join(opts.logDir, `${opts.name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${opts.name} could not be started (${opts.command})`);
  let running = true;
  const managed: ManagedProcess = {
    name: opts.name,
    pid: child.pid,
    logFile,
    child,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running = false;
        resolve(signal ?? code ?? 0);
      });
    }),
    get running() {
      return running;
    },
  };
  live.add(managed);
  void managed.exited.then(() => {
    // Grandchildren may outlive the leader: reap the whole group before forgetting it.
    killGroup(managed.pid, 'SIGKILL');
    live.delete(managed);
  });
  return managed;
}

/** `kill -9` of the whole group, resolved once the leader is gone. */
export async function killHard(p: ManagedProcess): Promise<void> {
  killGroup(p.pid, 'SIGKILL');
  await p.exited;
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopGracefully(p: ManagedProcess, graceMs = 10_000): Promise<void> {
  if (!p.running) return;
  killGroup(p.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  await killHard(p);
}

/** `n` distinct ports that were free a moment ago on every interface (the API listens on all of them). */
export async function freePorts(n: number): Promise<number[]> {
  // All held open together, so the kernel cannot hand out the same port twice.
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port ?? 0;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns true; fails with the tail of `logFile` when given. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; everyMs?: number; process?: ManagedProcess },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (opts.process && !opts.process.running) {
      throw new Error(`${what}: ${opts.process.name} exited early\n${logTail(opts.process.logFile)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not ready within ${opts.timeoutMs} ms${opts.process ? `\n${logTail(opts.process.logFile)}` : ''}`,
      );
    }
    await sleep(opts.everyMs ?? 200);
  }
}

export function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Resident set size of a live process in bytes (Linux /proc), undefined when unavailable. */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}
