/**
 * `npm start` run for real, like a user would: on free non-default ports, it brings up the Temporal dev
 * server, the simulator, the worker and the API; the patient console gets an answer; Ctrl-C (SIGINT)
 * stops everything and frees every port. Needs the Temporal CLI (scripts/install-tools).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
jest.setTimeout(420_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing accepts connections on the port (IPv4 or IPv6 loopback). */
async function portIsFree(port: number): Promise<boolean> {
  const accepts = (host: string) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  return !(await accepts('127.0.0.1')) && !(await accepts('::1'));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Run {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Run {
  let output = '';
  const proc = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { proc, output: () => output, exited };
}

/** Resolves when `pattern` appears in the output; rejects with the output if the process exits first. */
async function waitForOutput(r: Run, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void r.exited.then(() => (exited = true));
  while (!pattern.test(r.output())) {
    if (exited || Date.now() > deadline) {
      throw new Error(
        `${pattern} not seen (${exited ? 'process exited' : 'timed out'}); output:\n${r.output().slice(-6000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const startedPids = (output: string) =>
  new Map([...output.matchAll(/\[start\] started (\S+) \(pid (\d+)\)/g)].map((m) => [m[1] ?? '', Number(m[2])]));

describe('npm start (scripts/start)', () => {
  let dataDir: string;
  let ports: { api: number; temporal: number; ui: number; simulator: number; metrics: number };
  let env: NodeJS.ProcessEnv;
  const leftovers: Run[] = [];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ma-start-'));
    ports = {
      api: await freePort(),
      temporal: await freePort(),
      ui: await freePort(),
      simulator: await freePort(),
      metrics: await freePort(),
    };
    const base = { ...process.env };
    // A user's shell settings must not point the run elsewhere.
    for (const name of ['TEMPORAL_ADDRESS', 'WPPCONNECT_URL', 'PUBLIC_URL', 'DATABASE_URL', 'API_KEYS', 'CI']) {
      delete base[name];
    }
    env = {
      ...base,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${path.join(dataDir, 'app.sqlite')}`,
      MEDIA_STORAGE_PATH: path.join(dataDir, 'media'),
      API_PORT: String(ports.api),
      TEMPORAL_DEV_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      SIMULATOR_PORT: String(ports.simulator),
      WORKER_METRICS_PORT: String(ports.metrics),
      LOG_LEVEL: 'warn',
      START_TIMEOUT_SECONDS: '300',
      FORCE_COLOR: '0',
    };
  });

  afterAll(() => {
    // Only if a test failed half-way: nothing started here may outlive the suite.
    for (const r of leftovers) {
      for (const pid of startedPids(r.output()).values()) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('when a port is taken, names it and the variable to change, starts nothing and exits 1', async () => {
    const blocker = net.createServer().listen(ports.api, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    try {
      const r = run('bash', ['scripts/start'], env);
      leftovers.push(r);
      const { code } = await r.exited;
      expect(code).toBe(1);
      expect(r.output()).toContain(`port ${ports.api} (API) is already in use; set API_PORT to use another`);
      expect(startedPids(r.output()).size).toBe(0);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('starts everything, answers a patient, and on SIGINT stops every process and frees every port', async () => {
    const start = run('bash', ['scripts/start'], env);
    leftovers.push(start);
    await waitForOutput(start, /\[start\] ready: /, 330_000);

    const out = start.output();
    expect(out).toContain(`API            http://localhost:${ports.api}`);
    expect(out).toContain(`Temporal UI    http://localhost:${ports.ui}/namespaces/default/workflows`);
    expect(out).toContain(`Simulator      http://localhost:${ports.simulator}`);
    expect(out).toContain(`/api/sessions/medical-assistant/qr`);
    const pids = startedPids(out);
    expect([...pids.keys()].sort()).toEqual(['api', 'simulator', 'temporal', 'worker']);
    // Child output is prefixed with the child's name.
    expect(out).toMatch(/^\[migrate\] /m);

    const ready = await fetch(`http://localhost:${ports.api}/health/ready`);
    expect(ready.status).toBe(200);

    // The development operator exists and signs in to the console the banner names.
    expect(out).toContain(
      `Console        http://localhost:${ports.api}/console   (sign in as operator / dev-operator-password)`,
    );
    const form = await fetch(`http://localhost:${ports.api}/console/login`);
    const loginCookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const signIn = await fetch(`http://localhost:${ports.api}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
      body: new URLSearchParams({ _csrf: token, username: 'operator', password: 'dev-operator-password' }),
      redirect: 'manual',
    });
    expect([signIn.status, signIn.headers.get('location')]).toEqual([303, '/console/inbox']);

    const patient = run(
      process.execPath,
      ['--import', 'tsx', 'scripts/patient.ts', 'I have had a headache since this morning', '--timeout', '120'],
      { ...env, SIMULATOR_URL: `http://localhost:${ports.simulator}`, PATIENT_PHONE: '5511999990042' },
    );
    const patientExit = await patient.exited;
    expect({ code: patientExit.code, output: patient.output() }).toEqual({ code: 0, output: expect.any(String) });
    expect(patient.output()).toContain('you: I have had a headache since this morning');
    expect(patient.output()).toMatch(/^assistant: \S.+/m);
    expect(patient.output()).toMatch(/^ {2}\[(sent|delivered|read)\]$/m);

    start.proc.kill('SIGINT');
    const { code } = await start.exited;
    expect({ code, tail: start.output().slice(-400) }).toEqual({
      code: 0,
      tail: expect.stringContaining('everything stopped'),
    });
    // Temporal goes last, after its clients.
    const stopOrder = start.output().slice(start.output().indexOf('SIGINT received'));
    expect(stopOrder).toContain('stopping the API, worker and simulator, then Temporal');

    for (const [name, pid] of pids) expect({ name, alive: isAlive(pid) }).toEqual({ name, alive: false });
    for (const [name, port] of Object.entries(ports)) {
      expect({ name, free: await portIsFree(port) }).toEqual({ name, free: true });
    }
  });

  it('when a child dies, says which one, stops the rest and exits non-zero', async () => {
    const start = run('bash', ['scripts/start'], env);
    leftovers.push(start);
    await waitForOutput(start, /\[start\] ready: /, 330_000);
    const pids = startedPids(start.output());
    const simulator = pids.get('simulator');
    expect(simulator).toEqual(expect.any(Number));

    process.kill(-simulator!, 'SIGKILL');
    const { code } = await start.exited;
    expect(code).toBe(1);
    expect(start.output()).toContain('[start] simulator exited unexpectedly (signal SIGKILL): stopping the rest');
    for (const [name, pid] of pids) expect({ name, alive: isAlive(pid) }).toEqual({ name, alive: false });
    for (const [name, port] of Object.entries(ports)) {
      expect({ name, free: await portIsFree(port) }).toEqual({ name, free: true });
    }
  });
});
