/**
 * `npm run bench` (`-- --quick` for a smoke run, `--no-build` to use dist/ as it is, `--keep` to keep logs
 * and databases, `--profile` to write CPU profiles of the worker and the API, `--no-fsync` for a Temporal
 * server that never waits for the disk, `--glibc` for glibc's malloc instead of the image's preloaded jemalloc;
 * the last three do not write bench/results.md). On real processes, the
 * worker and the API compiled as production runs them (`npm run build` first), it measures in one run:
 *   (a) webhook ingest at fixed open-loop rates (150 requests/s is the target), beside a trivial route;
 *   (b) light-load latency of a patient message → its reply, durable pipeline and direct anchor;
 *   (c) each path's capacity: a step load of increasing offered rates, each held for a while; the highest
 *       step the path sustains (≥ 95% of offered, bounded latency, drained at the end) is its capacity;
 *   (d) what the durable path costs per answered message: Temporal history events and server writes;
 *   (e) resident memory, and (f) CPU per process per answered message, where the time goes.
 * Prints the tables and writes bench/results.md (not with --quick). docs/benchmarks.md explains every figure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase, type Database } from '../db';
import { buildProgram } from './lib/build';
import {
  describeAllocator,
  findJemalloc,
  httpStatus,
  SESSION,
  startCluster,
  WEBHOOK_TOKEN,
  type Cluster,
} from './lib/cluster';
import { historyStats, type HistoryStats } from './lib/history';
import { onMessageBody, openLoop, playPlan, type Injected, type OpenLoopResult } from './lib/load';
import { describeMachine, machineFacts } from './lib/machine';
import { freePort, sleep, stopGracefully, waitUntil, type ManagedProcess } from './lib/processes';
import { filesBytes, selfCpuSeconds, snapshot, type ProcSnapshot } from './lib/procstat';
import { difference, scrape, type Samples } from './lib/prometheus';
import { fmt, mib, summarize, sustainedRate } from './lib/stats';
import { patientsFor, planStep } from './lib/steps';
import { renderMarkdown, renderText, type Table } from './lib/table';
import { createAnswerTracker, type AnswerTracker } from './lib/tracker';

const OWN_NUMBER = '5511999990000';
const DIRECT_SESSION = 'bench-direct';
const INGEST_NAMESPACE = 'bench-ingest';

interface Settings {
  quietWindowMs: number;
  ingest: { rates: number[]; seconds: number; warmupSeconds: number; trivialSeconds: number; chats: number };
  warmup: { rate: number; seconds: number };
  light: { rate: number; seconds: number };
  steps: {
    rates: number[];
    seconds: number;
    /** The start of a step (the load just went up) is left out of the rates. */
    settleSeconds: number;
    meanGapMs: number;
    /** A step passes only if its p95 latency stays under this. */
    maxP95Ms: number;
    /** ...and every message of it is answered within this long after it ends. */
    drainMs: number;
    /** Sustained / offered a step must reach. */
    keepUp: number;
  };
}

const FULL: Settings = {
  quietWindowMs: 500,
  ingest: { rates: [50, 100, 150, 200], seconds: 10, warmupSeconds: 2, trivialSeconds: 5, chats: 300 },
  warmup: { rate: 3, seconds: 10 },
  light: { rate: 1.5, seconds: 60 },
  steps: {
    rates: [5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 130, 160, 200, 250, 300],
    seconds: 20,
    settleSeconds: 4,
    meanGapMs: 20_000,
    maxP95Ms: 5000,
    drainMs: 30_000,
    keepUp: 0.95,
  },
};

const QUICK: Settings = {
  quietWindowMs: 500,
  ingest: { rates: [50, 150], seconds: 3, warmupSeconds: 1, trivialSeconds: 2, chats: 100 },
  warmup: { rate: 2, seconds: 5 },
  light: { rate: 1.5, seconds: 15 },
  steps: { ...FULL.steps, rates: [10, 20, 25, 30], seconds: 10, settleSeconds: 2 },
};

/** The issue's targets (docs/benchmarks.md): reported beside the figures, never a pass/fail of a test. */
const TARGETS = {
  durableCapacity: 30,
  capacityRatio: 0.25,
  lightP50ExtraMs: 250,
  ingestRate: 150,
  ingestP99Ms: 150,
  workerRssMiB: 250,
  eventsPerMessage: 25,
};

const say = (line: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Machine load while the bench runs (other engineers share the 2 cores).

interface LoadSampler {
  samples: number[];
  stop(): void;
}

function sampleLoad(): LoadSampler {
  const samples: number[] = [os.loadavg()[0] ?? 0];
  const timer = setInterval(() => samples.push(os.loadavg()[0] ?? 0), 5000);
  timer.unref();
  return { samples, stop: () => clearInterval(timer) };
}

// ---------------------------------------------------------------------------------------------
// (a) Webhook ingest

async function ingestPhase(cluster: Cluster, s: Settings): Promise<{ table: Table; at150?: OpenLoopResult }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Its own namespace and a task queue no worker polls: the figure is what it costs the API to make a
  // message durable (one signal-with-start accepted by Temporal), without a worker competing for the cores.
  const api = cluster.spawnProgram('api-ingest', 'api', {
    API_PORT: String(port),
    PUBLIC_URL: url,
    TEMPORAL_NAMESPACE: INGEST_NAMESPACE,
    TEMPORAL_TASK_QUEUE: 'bench-ingest',
  });
  await waitUntil('ingest API', async () => (await httpStatus(`${url}/health/live`)) === 200, {
    timeoutMs: 120_000,
    process: api,
  });
  let n = 0;
  // Many chats, a few messages each: the first webhook of a chat starts its conversation, the next ones signal it.
  const webhook = () => ({
    method: 'POST' as const,
    path: `/api/webhook/${WEBHOOK_TOKEN}`,
    body: onMessageBody(
      SESSION,
      OWN_NUMBER,
      `55119800${String(n++ % s.ingest.chats).padStart(4, '0')}`,
      'I have a mild cough',
    ),
  });
  const live = () => ({ method: 'GET' as const, path: '/health/live' });
  const rows: string[][] = [];
  let at150: OpenLoopResult | undefined;
  const row = (rate: number, what: string, r: OpenLoopResult, cpu: string) => {
    const sum = summarize(r.latenciesMs);
    const errors = Object.entries(r.statuses)
      .filter(([k]) => !/^2/.test(k))
      .map(([k, v]) => `${k}×${v}`)
      .join(' ');
    rows.push([
      String(rate),
      what,
      String(r.sent),
      `${r.ok}${r.errors > 0 ? ` (${errors})` : ''}`,
      fmt(r.ok / (r.elapsedMs / 1000), 0),
      fmt(sum.p50),
      fmt(sum.p99),
      fmt(sum.max),
      cpu,
    ]);
  };
  for (const rate of s.ingest.rates) {
    await openLoop(url, rate, s.ingest.warmupSeconds * 1000, webhook);
    const trivial = await openLoop(url, rate, s.ingest.trivialSeconds * 1000, live);
    const before = { api: snapshot(api.pid), temporal: snapshot(cluster.temporal.pid) };
    const hook = await openLoop(url, rate, s.ingest.seconds * 1000, webhook);
    const after = { api: snapshot(api.pid), temporal: snapshot(cluster.temporal.pid) };
    const perRequest = (a?: ProcSnapshot, b?: ProcSnapshot) =>
      a && b ? fmt(((a.cpuSeconds - b.cpuSeconds) * 1000) / Math.max(1, hook.ok), 2) : '—';
    const h = summarize(hook.latenciesMs);
    say(`ingest ${rate}/s: webhook p50 ${fmt(h.p50)} ms p99 ${fmt(h.p99)} ms, ${hook.ok}/${hook.sent} 2xx`);
    row(rate, 'GET /health/live', trivial, '');
    row(
      rate,
      'POST /api/webhook (onmessage)',
      hook,
      `${perRequest(after.api, before.api)} / ${perRequest(after.temporal, before.temporal)}`,
    );
    if (rate === TARGETS.ingestRate) at150 = hook;
  }
  await stopGracefully(api);
  return {
    at150,
    table: {
      title: '(a) Webhook ingest, open loop (no worker running)',
      headers: [
        'offered req/s',
        'route',
        'sent',
        '2xx',
        'achieved req/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'CPU ms/req API / Temporal',
      ],
      rows,
      notes: [
        `${s.ingest.seconds} s per rate (the trivial route ${s.ingest.trivialSeconds} s) after ${s.ingest.warmupSeconds} s of webhooks at the same rate; latency from the scheduled send time to the answer.`,
        `Each webhook is a distinct onmessage from one of ${s.ingest.chats} chats in turn: its 202 means the chat's conversation workflow took it (one signal-with-start; the first of a chat starts the workflow).`,
        `A separate API process (compiled) on namespace ${INGEST_NAMESPACE} and a task queue no worker polls: the figure is the ingest path alone, nothing else competes for the cores.`,
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Paths under test

interface PathCtx {
  name: 'durable' | 'direct';
  label: string;
  session: string;
  phonePrefix: string;
  tracker: AnswerTracker;
  /** Every message injected on this path so far (a step's rate counts replies to earlier ones too). */
  all: Injected[];
}

/** Polls the database until every message is answered or `deadline` (epoch ms) passes; true when all are. */
async function drain(p: PathCtx, messages: readonly Injected[], deadline: number): Promise<boolean> {
  for (;;) {
    await p.tracker.refreshReplies();
    if (messages.every((m) => m.chatId === '' || p.tracker.isAnswered(m.id))) return true;
    if (Date.now() > deadline) return false;
    await sleep(1000);
  }
}

interface Played {
  injected: Injected[];
  startedAt: number;
  latencies: number[];
  unanswered: number;
}

async function play(
  cluster: Cluster,
  p: PathCtx,
  plan: ReturnType<typeof planStep>,
  drainMs: number,
): Promise<Played & { drained: boolean; plannedEnd: number }> {
  const startedAt = Date.now();
  const plannedEnd = startedAt + (plan[plan.length - 1]?.atMs ?? 0);
  const injected = await playPlan(cluster.sim, plan, { session: p.session });
  const failed = injected.filter((m) => m.webhook !== 'posted').length;
  if (failed > 0) say(`${p.label}: ${failed} injects were not posted as webhooks`);
  p.all.push(...injected);
  const drained = await drain(p, injected, Math.max(Date.now(), plannedEnd) + drainMs);
  await p.tracker.refreshSends();
  const latencies: number[] = [];
  let unanswered = 0;
  for (const m of injected) {
    const at = p.tracker.answeredAt(m.id);
    if (at === undefined) unanswered += 1;
    else latencies.push(at - m.injectedAt);
  }
  return { injected, startedAt, latencies, unanswered, drained, plannedEnd };
}

// ---------------------------------------------------------------------------------------------
// (c) Step load

interface StepResult {
  rate: number;
  patients: number;
  messages: number;
  offered: number;
  sustained: number;
  /** Replies sent in a window as long as the step's, later by its p50 latency, per second (the old measure). */
  counted: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  unanswered: number;
  passed: boolean;
  why: string;
  /** Seconds after the step's last message until its last reply (when it drained at all). */
  drainSeconds?: number;
}

async function runStep(cluster: Cluster, p: PathCtx, s: Settings, rate: number, seed: number): Promise<StepResult> {
  const st = s.steps;
  const plan = planStep({
    rate,
    durationMs: st.seconds * 1000,
    meanGapMs: st.meanGapMs,
    quietWindowMs: s.quietWindowMs,
    seed,
    phonePrefix: p.phonePrefix,
  });
  const played = await play(cluster, p, plan, st.drainMs);
  const from = played.startedAt + st.settleSeconds * 1000;
  const to = played.startedAt + st.seconds * 1000;
  const windowSeconds = (to - from) / 1000;
  const sum = summarize(played.latencies);
  const inWindow = played.injected.filter((m) => m.injectedAt >= from && m.injectedAt < to);
  let lastAnswer = 0;
  for (const m of played.injected) lastAnswer = Math.max(lastAnswer, p.tracker.answeredAt(m.id) ?? 0);
  const offered = inWindow.length / windowSeconds;
  // The pace of the replies to the window's messages (bench/lib/stats.ts): the offered rate when the path
  // keeps up, its own rate when it falls behind.
  const answered = inWindow.flatMap((m) => {
    const answeredAt = p.tracker.answeredAt(m.id);
    return answeredAt === undefined ? [] : [{ injectedAt: m.injectedAt, answeredAt }];
  });
  // A path cannot answer faster than it is written to: a slope a little under 1 (latencies that happened to
  // shrink over the window) reads as the offered rate.
  const sustained = Math.min(sustainedRate(answered, offered), offered);
  // The measure before 360c7d4, shown beside it: replies sent over as long, later by the step's p50 latency.
  const shift = Number.isFinite(sum.p50) ? sum.p50 : 0;
  let countedIn = 0;
  for (const m of p.all) {
    const at = p.tracker.answeredAt(m.id);
    if (at !== undefined && at >= from + shift && at < to + shift) countedIn += 1;
  }
  const counted = countedIn / windowSeconds;
  const reasons: string[] = [];
  if (!(sustained >= st.keepUp * offered)) reasons.push(`sustained ${fmt(sustained / offered, 2)}× offered`);
  if (played.unanswered > 0) reasons.push(`${played.unanswered} unanswered ${st.drainMs / 1000} s after`);
  if (!(sum.p95 <= st.maxP95Ms)) reasons.push(`p95 ${fmt(sum.p95 / 1000)} s`);
  const result: StepResult = {
    rate,
    patients: patientsFor(rate, st.meanGapMs),
    messages: played.injected.length,
    offered,
    sustained,
    counted,
    p50: sum.p50,
    p95: sum.p95,
    p99: sum.p99,
    max: sum.max,
    unanswered: played.unanswered,
    passed: reasons.length === 0,
    why: reasons.length === 0 ? 'kept up' : reasons.join(', '),
    drainSeconds: played.unanswered === 0 ? Math.max(0, lastAnswer - played.plannedEnd) / 1000 : undefined,
  };
  say(
    `${p.label} step ${rate} msg/s: offered ${fmt(offered)} sustained ${fmt(sustained)} (counted ${fmt(counted)}) p50 ${fmt(sum.p50, 0)} p95 ${fmt(sum.p95, 0)} ms → ${result.passed ? 'PASS' : `FAIL (${result.why})`}`,
  );
  if (played.unanswered > 0) {
    // The backlog must be gone before anything else is measured.
    say(`${p.label}: waiting for the backlog to drain`);
    const done = await drain(p, played.injected, Date.now() + 600_000);
    if (!done) say(`${p.label}: backlog still not drained after 10 minutes`);
    await p.tracker.refreshSends();
  }
  await sleep(2000);
  return result;
}

interface StepRun {
  steps: StepResult[];
  /** The highest passing step's sustained rate; 0 when none passed. */
  capacity: number;
  /** No step failed: the capacity is at least the highest step offered. */
  neverSaturated: boolean;
}

/** Steps run between the last pass and the first failure to narrow the capacity down. */
const REFINE_STEPS = 2;

async function stepLoad(cluster: Cluster, p: PathCtx, s: Settings): Promise<StepRun> {
  const steps: StepResult[] = [];
  let seed = 100;
  let lastPass: StepResult | undefined;
  let failedAt: number | undefined;
  for (const rate of s.steps.rates) {
    const r = await runStep(cluster, p, s, rate, seed++);
    steps.push(r);
    if (r.passed) lastPass = r;
    else {
      failedAt = rate;
      break;
    }
  }
  // Up to two steps between the last that passed and the first that failed (halving the gap each time), so
  // the capacity is not read a whole step low: 15 passed and 20 failed tries 18, then 19 or 17.
  for (let tries = 0; tries < REFINE_STEPS && failedAt !== undefined && lastPass !== undefined; tries++) {
    if (failedAt - lastPass.rate < 2) break;
    const mid = Math.round((lastPass.rate + failedAt) / 2);
    const r = await runStep(cluster, p, s, mid, seed++);
    steps.push(r);
    if (r.passed) lastPass = r;
    else failedAt = mid;
  }
  return {
    steps,
    capacity: lastPass?.sustained ?? 0,
    neverSaturated: failedAt === undefined,
  };
}

function stepTable(label: string, run: StepRun, s: Settings): Table {
  return {
    title: `(c) Capacity, step load: ${label}`,
    headers: [
      'offered step msg/s',
      'chats',
      'messages',
      'offered msg/s',
      'sustained msg/s',
      'replies in the shifted window msg/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'drained s',
      'result',
    ],
    rows: run.steps.map((r) => [
      String(r.rate),
      String(r.patients),
      String(r.messages),
      fmt(r.offered),
      fmt(r.sustained),
      fmt(r.counted),
      fmt(r.p50, 0),
      fmt(r.p95, 0),
      fmt(r.p99, 0),
      fmt(r.max, 0),
      r.drainSeconds === undefined ? '—' : fmt(r.drainSeconds),
      r.passed ? 'pass' : `FAIL: ${r.why}`,
    ]),
    notes: [
      `capacity: ${fmt(run.capacity)} msg/s${run.neverSaturated ? ' (never saturated: at least this much)' : ''}.`,
      `Each step ${s.steps.seconds} s; offered = messages injected after its first ${s.steps.settleSeconds} s, sustained = the offered rate divided by the slope of reply times against injection times over those messages, both sorted (at most the offered rate; the path's own pace when it falls behind). A step passes when sustained ≥ ${s.steps.keepUp * 100}% of offered, p95 ≤ ${s.steps.maxP95Ms / 1000} s and every message is answered within ${s.steps.drainMs / 1000} s of the step's end; the run stops at the first failing step, then tries up to ${REFINE_STEPS} steps between the last pass and the first failure, halving the gap.`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Snapshots of every process, for CPU / IO / memory deltas

interface Snap {
  at: number;
  procs: Record<string, ProcSnapshot | undefined>;
  self: number;
  temporalDbBytes: number;
  answered: number;
}

function procsOf(cluster: Cluster, direct?: ManagedProcess): Record<string, number | undefined> {
  return {
    'Temporal server': cluster.temporal.pid,
    worker: cluster.worker?.pid,
    API: cluster.api?.pid,
    simulator: cluster.simulator.pid,
    'direct receiver': direct?.pid,
  };
}

function snap(cluster: Cluster, direct: ManagedProcess | undefined, answered: number): Snap {
  const procs: Snap['procs'] = {};
  for (const [name, pid] of Object.entries(procsOf(cluster, direct))) {
    procs[name] = pid === undefined ? undefined : snapshot(pid);
  }
  return {
    at: Date.now(),
    procs,
    self: selfCpuSeconds(),
    temporalDbBytes: filesBytes(cluster.temporalDbFiles),
    answered,
  };
}

function cpuRows(label: string, a: Snap, b: Snap): string[][] {
  const answered = b.answered - a.answered;
  const seconds = (b.at - a.at) / 1000;
  const rows: string[][] = [];
  const row = (name: string, cpu: number) =>
    rows.push([
      label,
      name,
      fmt(cpu, 1),
      fmt((cpu / seconds) * 100, 0),
      answered > 0 ? fmt((cpu * 1000) / answered, 2) : '—',
    ]);
  for (const name of Object.keys(b.procs)) {
    const x = a.procs[name];
    const y = b.procs[name];
    if (x && y) row(name, y.cpuSeconds - x.cpuSeconds);
  }
  row('load generator (this script)', b.self - a.self);
  return rows;
}

// ---------------------------------------------------------------------------------------------

function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(1)} KiB`;
}

function met(ok: boolean | undefined): string {
  if (ok === undefined) return '—';
  return ok ? 'met' : 'NOT met';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      keep: { type: 'boolean' },
      'no-build': { type: 'boolean' },
      profile: { type: 'boolean' },
      'no-fsync': { type: 'boolean' },
      glibc: { type: 'boolean' },
    },
  });
  const s = values.quick ? QUICK : FULL;
  // The image preloads jemalloc (Dockerfile): the worker's memory after a load depends on it.
  const jemalloc = values.glibc ? undefined : findJemalloc();
  if (!values.glibc && jemalloc === undefined) {
    throw new Error(
      'libjemalloc2 is not installed: the production image preloads it (Dockerfile), so the figures would not ' +
        "be production's. Install it (apt-get install libjemalloc2), or pass --glibc to measure on glibc's malloc.",
    );
  }
  const facts = machineFacts();
  const load = sampleLoad();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  if (!values['no-build']) buildProgram(say);

  const metricsPort = await freePort();
  say(`starting the cluster (${values.quick ? 'quick' : 'full'} run)`);
  const keep = values.keep === true || values.profile === true;
  // CPU profiles of the worker and the API, written when they exit (kept with the logs).
  const profileDir = path.join(os.tmpdir(), `medical-assistant-profiles-${process.pid}`);
  if (values.profile) mkdirSync(profileDir, { recursive: true });
  const cluster = await startCluster({
    quietWindowMs: s.quietWindowMs,
    sendsPerSecond: 1000,
    ackDelaysMs: [50, 150, 300],
    keep,
    program: 'compiled',
    namespaces: [INGEST_NAMESPACE],
    extraEnv: { WORKER_METRICS_PORT: String(metricsPort) },
    nodeArgs: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    jemalloc,
    // A server that never waits for the disk: how much of the durable path's limit is the stand-in's fsyncs.
    temporalArgs: values['no-fsync'] ? ['--sqlite-pragma', 'synchronous=off'] : [],
  });

  const tables: Table[] = [];
  const summary: string[][] = [];
  let directDb: Database | undefined;
  let direct: ManagedProcess | undefined;
  try {
    // (a) ingest, before anything else runs.
    const ingest = await ingestPhase(cluster, s);
    tables.push(ingest.table);

    // The pipeline: worker and API compiled; the direct anchor beside them on its own session.
    await cluster.startWorker();
    await cluster.startApi();
    await cluster.waitReady();
    const directPort = await freePort();
    const directDbUrl = `sqlite:${path.join(cluster.dir, 'direct.sqlite')}`;
    directDb = await openDatabase(directDbUrl);
    direct = cluster.spawnService('direct', 'bench/direct/main.ts', {
      DIRECT_PORT: String(directPort),
      DIRECT_SESSION,
      DATABASE_URL: directDbUrl,
    });
    const directProcess = direct;
    await waitUntil(
      'direct receiver',
      async () =>
        (await httpStatus(`http://127.0.0.1:${directPort}/health`)) === 200 &&
        (await cluster.sim.sessions()).some((x) => x.name === DIRECT_SESSION && x.client),
      { timeoutMs: 60_000, process: directProcess },
    );

    const paths: PathCtx[] = [
      {
        name: 'durable',
        label: 'durable pipeline',
        session: SESSION,
        phonePrefix: '551191',
        tracker: createAnswerTracker(cluster.db.sequelize, cluster.sim, SESSION),
        all: [],
      },
      {
        name: 'direct',
        label: 'direct anchor',
        session: DIRECT_SESSION,
        phonePrefix: '551192',
        tracker: createAnswerTracker(directDb.sequelize, cluster.sim, DIRECT_SESSION),
        all: [],
      },
    ];
    const answeredOn = (p: PathCtx) => p.all.filter((m) => p.tracker.isAnswered(m.id)).length;

    const light = new Map<string, Played>();
    const capacity = new Map<string, StepRun>();
    const cpu: string[][] = [];
    let durableCost: { history: HistoryStats; answered: number; start: Snap; end: Snap } | undefined;
    let workerMetrics: Samples | undefined;
    let workerAfterDurable: ProcSnapshot | undefined;

    for (const p of paths) {
      // Warm-up (not measured): JIT, caches, connections.
      say(`${p.label}: warm-up`);
      await play(
        cluster,
        p,
        planStep({
          rate: s.warmup.rate,
          durationMs: s.warmup.seconds * 1000,
          meanGapMs: 5000,
          quietWindowMs: s.quietWindowMs,
          seed: 1,
          phonePrefix: `${p.phonePrefix}9`,
        }),
        60_000,
      );
      const metricsBefore = p.name === 'durable' ? await scrape(`http://127.0.0.1:${metricsPort}/metrics`) : undefined;
      const start = snap(cluster, direct, answeredOn(p));

      // (b) light load.
      say(`${p.label}: light load, ${s.light.rate} msg/s for ${s.light.seconds} s`);
      const played = await play(
        cluster,
        p,
        planStep({
          rate: s.light.rate,
          durationMs: s.light.seconds * 1000,
          meanGapMs: s.steps.meanGapMs,
          quietWindowMs: s.quietWindowMs,
          seed: 2,
          phonePrefix: `${p.phonePrefix}8`,
        }),
        60_000,
      );
      light.set(p.name, played);
      const l = summarize(played.latencies);
      say(`${p.label}: light load p50 ${fmt(l.p50, 0)} ms p95 ${fmt(l.p95, 0)} ms`);
      const afterLight = snap(cluster, direct, answeredOn(p));
      cpu.push(...cpuRows(`${p.label}, light load`, start, afterLight));

      // (c) step load.
      const run = await stepLoad(cluster, p, s);
      capacity.set(p.name, run);
      const end = snap(cluster, direct, answeredOn(p));
      cpu.push(...cpuRows(`${p.label}, step load`, afterLight, end));

      if (p.name === 'durable') {
        // Let the last per-message workflows start and the last acks land before counting.
        await sleep(5000);
        const metricsAfter = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
        if (metricsAfter) {
          workerMetrics = difference(metricsAfter, metricsBefore);
          // A gauge: its value now, not a difference.
          workerMetrics.set('temporal_sticky_cache_size', metricsAfter.get('temporal_sticky_cache_size') ?? NaN);
        }
        const endOfDurable = snap(cluster, direct, answeredOn(p));
        workerAfterDurable = cluster.worker ? snapshot(cluster.worker.pid) : undefined;
        say('counting Temporal history (every workflow of the namespace)');
        const history = await historyStats(cluster.client);
        // Everything answered on the durable path, warm-up included: every workflow it made is counted.
        durableCost = { history, answered: answeredOn(p), start, end: endOfDurable };
      }
    }
    await sleep(2000);
    const workerEnd = cluster.worker ? snapshot(cluster.worker.pid) : undefined;
    const apiEnd = cluster.api ? snapshot(cluster.api.pid) : undefined;
    const directEnd = snapshot(directProcess.pid);

    // ---- tables
    const lightRows = paths.map((p) => {
      const played = light.get(p.name);
      const sum = summarize(played?.latencies ?? []);
      return [
        p.label,
        String(played?.injected.length ?? 0),
        String((played?.injected.length ?? 0) - (played?.unanswered ?? 0)),
        fmt(sum.p50, 0),
        fmt(sum.p95, 0),
        fmt(sum.p99, 0),
        fmt(sum.max, 0),
      ];
    });
    const dl = summarize(light.get('durable')?.latencies ?? []);
    const xl = summarize(light.get('direct')?.latencies ?? []);
    const lightExtra = dl.p50 - xl.p50;
    tables.push({
      title: '(b) Light load: patient message → reply',
      headers: ['path', 'messages', 'answered', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      rows: lightRows,
      notes: [
        `${s.light.rate} msg/s offered for ${s.light.seconds} s from ${patientsFor(s.light.rate, s.steps.meanGapMs)} chats, after an unmeasured warm-up; QUIET_WINDOW_MS=${s.quietWindowMs} (in every latency).`,
        `durable p50 − direct p50 = ${fmt(lightExtra, 0)} ms.`,
      ],
    });

    const durableRun = capacity.get('durable');
    const directRun = capacity.get('direct');
    if (durableRun) tables.push(stepTable('durable pipeline', durableRun, s));
    if (directRun) tables.push(stepTable('direct anchor', directRun, s));
    const ratio = durableRun && directRun && directRun.capacity > 0 ? durableRun.capacity / directRun.capacity : NaN;

    let eventsPerMessage = NaN;
    if (durableCost) {
      const { history, answered, start, end } = durableCost;
      eventsPerMessage = history.events / Math.max(1, answered);
      const t0 = start.procs['Temporal server'];
      const t1 = end.procs['Temporal server'];
      const written = t0 && t1 ? t1.writeBytes - t0.writeBytes : NaN;
      const growth = end.temporalDbBytes - start.temporalDbBytes;
      const answeredInWindow = end.answered - start.answered;
      tables.push({
        title: '(d) Durable path: Temporal history and server writes per answered message',
        headers: ['workflow type', 'runs', 'statuses', 'history events', 'events per answered message'],
        rows: [
          ...history.byType.map((t) => [
            t.type,
            String(t.runs),
            Object.entries(t.statuses)
              .map(([k, v]) => `${k.toLowerCase()} ${v}`)
              .join(', '),
            String(t.events),
            fmt(t.events / Math.max(1, answered), 2),
          ]),
          ['all', String(history.runs), '', String(history.events), fmt(eventsPerMessage, 2)],
        ],
        notes: [
          `${answered} messages answered on the durable path (warm-up, light and step loads); every workflow execution of the namespace counted (runs continued as new too), running ones described for their current length. History size reported by the server: ${bytes(history.bytes)} (${bytes(history.bytes / Math.max(1, answered))} per answered message).`,
          `Temporal server during the light and step loads (${answeredInWindow} messages answered): /proc write_bytes ${bytes(written)} = ${bytes(written / Math.max(1, answeredInWindow))} per answered message; its SQLite database (with -wal) grew by ${bytes(growth)} = ${bytes(growth / Math.max(1, answeredInWindow))} per answered message.`,
        ],
      });
    }

    tables.push({
      title: '(e) Resident memory',
      headers: ['process', 'RSS after the durable loads', 'RSS at the end', 'peak RSS (VmHWM)'],
      rows: [
        [
          'worker (node dist/worker/main.js)',
          mib(workerAfterDurable?.rssBytes),
          mib(workerEnd?.rssBytes),
          mib(workerEnd?.peakRssBytes),
        ],
        ['API (node dist/api/main.js)', '', mib(apiEnd?.rssBytes), mib(apiEnd?.peakRssBytes)],
        ['direct receiver (anchor, tsx)', '', mib(directEnd?.rssBytes), mib(directEnd?.peakRssBytes)],
      ],
      notes: [
        'VmRSS from /proc/<pid>/status. "At the end": after both paths ran, the worker idle for the direct loads.',
      ],
    });

    tables.push({
      title: '(f) CPU by process (where the time goes)',
      headers: ['phase', 'process', 'CPU s', '% of one core', 'CPU ms per answered message'],
      rows: cpu,
      notes: [
        'user + system CPU from /proc/<pid>/stat over the phase; the machine has 2 cores (200% in all).',
        'The direct anchor runs through tsx (same JavaScript once loaded); the worker and the API compiled.',
      ],
    });

    if (workerMetrics && durableCost) {
      const w = workerMetrics;
      const answered = Math.max(1, durableCost.end.answered - durableCost.start.answered);
      const get = (name: string) => w.get(name) ?? 0;
      const mean = (base: string) => get(`${base}_sum`) / get(`${base}_count`);
      const count = (label: string, name: string) => [label, fmt(get(name), 0), fmt(get(name) / answered, 2)];
      const ms = (label: string, base: string) => [label, fmt(mean(base), 1), ''];
      tables.push({
        title: '(g) Inside the worker during the durable loads (Temporal SDK metrics)',
        headers: ['metric', 'value', 'per answered message'],
        rows: [
          count('workflow tasks completed', 'temporal_workflow_task_execution_latency_count'),
          ms('workflow task execution, mean ms', 'temporal_workflow_task_execution_latency'),
          ms('workflow task schedule-to-start, mean ms', 'temporal_workflow_task_schedule_to_start_latency'),
          count(
            'temporal_workflow_task_replay_latency_count (new workflows too)',
            'temporal_workflow_task_replay_latency_count',
          ),
          count('temporal_sticky_cache_hit', 'temporal_sticky_cache_hit'),
          ['workflows in the sticky cache at the end', fmt(get('temporal_sticky_cache_size'), 0), ''],
          count('local activities run', 'temporal_local_activity_execution_latency_count'),
          ms('local activity execution, mean ms', 'temporal_local_activity_execution_latency'),
          count('activities run (both task queues)', 'temporal_activity_execution_latency_count'),
          ms('activity schedule-to-start, mean ms', 'temporal_activity_schedule_to_start_latency'),
          count('requests to Temporal (not polls)', 'temporal_request'),
          count('long polls answered', 'temporal_long_request'),
        ],
        notes: [
          `From the worker's Prometheus endpoint (WORKER_METRICS_PORT), difference over the light and step loads (${answered} messages answered).`,
        ],
      });
    }

    // ---- against the issue's targets
    const i150 = ingest.at150 ? summarize(ingest.at150.latenciesMs) : undefined;
    const i150rate = ingest.at150 ? ingest.at150.ok / (ingest.at150.elapsedMs / 1000) : NaN;
    const rssMiB = (workerEnd?.rssBytes ?? NaN) / 1024 / 1024;
    const dcap = durableRun?.capacity ?? NaN;
    summary.push(
      [
        'durable capacity',
        `≥ ${TARGETS.durableCapacity} msg/s`,
        `${fmt(dcap)} msg/s`,
        met(dcap >= TARGETS.durableCapacity),
      ],
      [
        'durable / direct capacity',
        `≥ ${TARGETS.capacityRatio}×`,
        `${fmt(ratio, 2)}× (direct ${fmt(directRun?.capacity ?? NaN)} msg/s${directRun?.neverSaturated ? ', never saturated' : ''})`,
        Number.isNaN(ratio) ? '—' : met(ratio >= TARGETS.capacityRatio),
      ],
      [
        'light-load p50, durable − direct',
        `≤ ${TARGETS.lightP50ExtraMs} ms`,
        `${fmt(lightExtra, 0)} ms (${fmt(dl.p50, 0)} vs ${fmt(xl.p50, 0)})`,
        met(lightExtra <= TARGETS.lightP50ExtraMs),
      ],
      [
        `webhook ingest at ${TARGETS.ingestRate} req/s`,
        `holds the rate, p99 ≤ ${TARGETS.ingestP99Ms} ms`,
        i150 ? `${fmt(i150rate, 0)} req/s, p99 ${fmt(i150.p99)} ms` : '—',
        i150 ? met(i150rate >= 0.97 * TARGETS.ingestRate && i150.p99 <= TARGETS.ingestP99Ms) : '—',
      ],
      [
        'worker RSS after the run',
        `≤ ${TARGETS.workerRssMiB} MiB`,
        mib(workerEnd?.rssBytes),
        met(rssMiB <= TARGETS.workerRssMiB),
      ],
      [
        'history events per answered message',
        `≤ ${TARGETS.eventsPerMessage}`,
        fmt(eventsPerMessage, 1),
        met(eventsPerMessage <= TARGETS.eventsPerMessage),
      ],
    );
  } finally {
    load.stop();
    await directDb?.close().catch(() => undefined);
    await cluster.stop();
  }

  const loads = load.samples;
  const header = [
    ...describeMachine(facts),
    `load average (1 min) during the run: mean ${fmt(loads.reduce((a, b) => a + b, 0) / loads.length, 2)}, max ${fmt(Math.max(...loads), 2)}, at the end ${fmt(os.loadavg()[0] ?? NaN, 2)} (other work on the machine shows here)`,
    `command: \`${command}\``,
    `the worker and the API: compiled, ${describeAllocator(jemalloc, '--glibc; the image preloads jemalloc')}`,
  ];
  const summaryTable: Table = {
    title: 'Against the targets of issue 15',
    headers: ['figure', 'target', 'measured', ''],
    rows: summary,
    notes: ['Timing figures of a shared 2-core machine: compare within one run; they are never a pass/fail of a test.'],
  };
  const all = [summaryTable, ...tables];
  process.stdout.write(`\n${header.join('\n')}\n\n${all.map(renderText).join('\n')}`);
  const md = [
    '# Benchmark results',
    '',
    'Written by `npm run bench`; docs/benchmarks.md explains what each figure means.',
    '',
    ...header.map((l) => `- ${l}`),
    '',
    ...all.map(renderMarkdown),
  ].join('\n');
  if (values.quick || values.profile || values['no-fsync'] || values.glibc)
    say('not the standard run: bench/results.md left as it was');
  else {
    writeFileSync(path.join(__dirname, 'results.md'), md);
    say('wrote bench/results.md');
  }
  if (keep) say(`logs and databases kept in ${cluster.dir}${values.profile ? ` (CPU profiles in ${profileDir})` : ''}`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
