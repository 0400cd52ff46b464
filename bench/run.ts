/**
 * `npm run bench` (`-- --quick` for a smoke run): measures, in one run on real processes,
 *   (a) webhook ingest latency and throughput at fixed open-loop loads, beside a trivial route of the same app;
 *   (b) end-to-end patient message → reply through the durable pipeline, beside a direct non-durable path;
 *   (c) the worker's and the API's resident memory at the end.
 * Prints the tables and writes bench/results.md (not with --quick; --keep keeps logs and databases). docs/benchmarks.md explains every figure.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../db';
import { httpStatus, SESSION, startCluster, WEBHOOK_TOKEN, type Cluster } from './lib/cluster';
import { onMessageBody, openLoop, playPlan, type OpenLoopResult } from './lib/load';
import { describeMachine, machineFacts } from './lib/machine';
import { replyLatencies, waitForAllAnswered, type Outcome } from './lib/outcome';
import { planConversations, type PlanOptions } from './lib/patients';
import { freePort, rssBytes, sleep, stopGracefully, waitUntil } from './lib/processes';
import { fmt, mib, summarize } from './lib/stats';
import { renderMarkdown, renderText, type Table } from './lib/table';

const OWN_NUMBER = '5511999990000';
const DIRECT_SESSION = 'bench-direct';

interface Load {
  name: string;
  patients: number;
  messagesPerPatient: number;
  /** Average gap between one patient's bursts: sets the offered rate. */
  meanGapMs: number;
}

interface Settings {
  ingestRates: number[];
  ingestSeconds: number;
  warmupSeconds: number;
  /** Run in this order on both paths; the first is light enough for the pipeline to keep up. */
  loads: Load[];
  quietWindowMs: number;
}

const FULL: Settings = {
  ingestRates: [50, 100, 200],
  ingestSeconds: 5,
  warmupSeconds: 1,
  loads: [
    { name: 'light', patients: 20, messagesPerPatient: 5, meanGapMs: 8000 },
    { name: '1000 msgs', patients: 100, messagesPerPatient: 10, meanGapMs: 4000 },
  ],
  quietWindowMs: 500,
};

const QUICK: Settings = {
  ingestRates: [20, 50],
  ingestSeconds: 2,
  warmupSeconds: 0.5,
  loads: [{ name: 'quick', patients: 10, messagesPerPatient: 4, meanGapMs: 2000 }],
  quietWindowMs: 500,
};

const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);

async function ingestPhase(cluster: Cluster, s: Settings): Promise<Table> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // A task queue no worker polls: the figure is what it costs the API to make a message durable (its
  // workflow accepted by Temporal), without the worker competing for the same two cores.
  const api = cluster.spawnService('api-ingest', 'api/main.ts', {
    API_PORT: String(port),
    PUBLIC_URL: url,
    TEMPORAL_TASK_QUEUE: 'bench-ingest',
  });
  await waitUntil('ingest API', async () => (await httpStatus(`${url}/health/live`)) === 200, {
    timeoutMs: 120_000,
    process: api,
  });
  let n = 0;
  const webhook = () => ({
    method: 'POST' as const,
    path: `/api/webhook/${WEBHOOK_TOKEN}`,
    body: onMessageBody(SESSION, OWN_NUMBER, `55119800${String(n++ % 10000).padStart(4, '0')}`, 'I have a mild cough'),
  });
  const live = () => ({ method: 'GET' as const, path: '/health/live' });
  const rows: string[][] = [];
  const row = (rate: number, what: string, r: OpenLoopResult, ratio: string) => {
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
      ratio,
    ]);
  };
  for (const rate of s.ingestRates) {
    await openLoop(url, rate, s.warmupSeconds * 1000, webhook);
    const trivial = await openLoop(url, rate, s.ingestSeconds * 1000, live);
    const hook = await openLoop(url, rate, s.ingestSeconds * 1000, webhook);
    const t = summarize(trivial.latenciesMs);
    const h = summarize(hook.latenciesMs);
    say(`ingest ${rate}/s: webhook p50 ${fmt(h.p50)} ms p99 ${fmt(h.p99)} ms; /health/live p50 ${fmt(t.p50)} ms`);
    row(rate, 'GET /health/live', trivial, '1.0 / 1.0');
    row(rate, 'POST /api/webhook (onmessage)', hook, `${fmt(h.p50 / t.p50)} / ${fmt(h.p99 / t.p99)}`);
  }
  await stopGracefully(api);
  return {
    title: '(a) Webhook ingest, open loop',
    headers: ['offered req/s', 'route', 'sent', '2xx', 'achieved req/s', 'p50 ms', 'p99 ms', 'ratio p50 / p99'],
    rows,
    notes: [
      `${s.ingestSeconds} s per load after a ${s.warmupSeconds} s warm-up; latency from the scheduled send time to the answer.`,
      'Each webhook is a distinct onmessage: 202 means its inboundMessageWorkflow was accepted by Temporal.',
      'ratio = webhook latency / trivial-route latency of the same Koa app at the same load.',
    ],
  };
}

interface E2eResult {
  label: string;
  messages: number;
  answered: number;
  replies: number;
  duplicates: number;
  offeredRate: number;
  sustained: number;
  latencies: number[];
}

function e2eResult(label: string, outcome: Outcome, messages: number, offeredRate: number): E2eResult {
  const lat = replyLatencies(outcome);
  const replies = outcome.chats.reduce((n, c) => n + c.replies.length, 0);
  const sends = outcome.chats.reduce((n, c) => n + c.sends.length, 0);
  return {
    label,
    messages,
    answered: lat.answered,
    replies,
    duplicates: sends - replies,
    offeredRate,
    sustained: lat.answered / ((lat.lastSend - lat.firstInject) / 1000),
    latencies: lat.latenciesMs,
  };
}

async function e2ePhase(
  cluster: Cluster,
  s: Settings,
  load: Load,
  session: string,
  repo: Parameters<typeof waitForAllAnswered>[0],
  pathName: string,
  phonePrefix: string,
): Promise<E2eResult> {
  const label = `${pathName}, ${load.name}`;
  const planOptions: PlanOptions = {
    patients: load.patients,
    messagesPerPatient: load.messagesPerPatient,
    quietWindowMs: s.quietWindowMs,
    meanGapMs: load.meanGapMs,
    burstChance: 0.1,
    rampMs: 2000,
    seed: 42,
    phonePrefix,
  };
  const plan = planConversations(planOptions);
  const spanMs = (plan[plan.length - 1]?.atMs ?? 0) - (plan[0]?.atMs ?? 0);
  const offeredRate = plan.length / Math.max(1, spanMs / 1000);
  say(
    `${label}: ${plan.length} messages from ${load.patients} patients over ${fmt(spanMs / 1000)} s (${fmt(offeredRate)} msg/s offered)`,
  );
  const injected = await playPlan(cluster.sim, plan, { session });
  const notPosted = injected.filter((m) => m.webhook !== 'posted').length;
  if (notPosted > 0) say(`${label}: ${notPosted} injects were not posted as webhooks`);
  let lastLog = 0;
  // Bounded: a run on a starved machine reports what was answered in 10 minutes rather than hang.
  const outcome = await waitForAllAnswered(repo, cluster.sim, session, injected, {
    timeoutMs: 600_000,
    everyMs: 2000,
    onPoll: (answered, total) => {
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        say(`${label}: ${answered}/${total} answered`);
      }
    },
  });
  return e2eResult(label, outcome, plan.length, offeredRate);
}

function e2eTable(results: E2eResult[], s: Settings): Table {
  const rows = results.map((r) => {
    const sum = summarize(r.latencies);
    return [
      r.label,
      String(r.messages),
      String(r.answered),
      String(r.replies),
      String(r.duplicates),
      fmt(r.offeredRate),
      fmt(r.sustained),
      fmt(sum.p50, 0),
      fmt(sum.p95, 0),
      fmt(sum.p99, 0),
      fmt(sum.max, 0),
    ];
  });
  const notes = [
    `Loads: ${s.loads.map((l) => `${l.name} = ${l.patients} patients × ${l.messagesPerPatient} messages`).join('; ')}. QUIET_WINDOW_MS=${s.quietWindowMs}, WPPCONNECT_SENDS_PER_SECOND=1000, rules provider, simulator acks after 50/150/300 ms.`,
    'latency = patient message injected at the simulator → the simulator accepts the send of the reply that covers it (includes the quiet window).',
    'sustained = answered messages / (first inject → last reply sent); below the offered rate the latency is mostly queueing.',
    'duplicates = simulator sends to these chats minus replies recorded in the database (must be 0).',
  ];
  for (const load of s.loads) {
    const durable = results.find((r) => r.label === `durable pipeline, ${load.name}`);
    const direct = results.find((r) => r.label === `direct anchor, ${load.name}`);
    if (!durable || !direct) continue;
    const a = summarize(durable.latencies);
    const b = summarize(direct.latencies);
    notes.push(
      `${load.name}: durable / direct latency p50 ${fmt(a.p50 / b.p50, 2)}×, p99 ${fmt(a.p99 / b.p99, 2)}×; sustained ${fmt(durable.sustained / direct.sustained, 2)}×.`,
    );
  }
  return {
    title: '(b) End to end: patient message → reply',
    headers: [
      'path',
      'messages',
      'answered',
      'replies',
      'duplicates',
      'offered msg/s',
      'sustained msg/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
    ],
    rows,
    notes,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, keep: { type: 'boolean' } } });
  const s = values.quick ? QUICK : FULL;
  const facts = machineFacts();
  say(`starting the cluster (${values.quick ? 'quick' : 'full'} run)`);
  const cluster = await startCluster({
    quietWindowMs: s.quietWindowMs,
    sendsPerSecond: 1000,
    ackDelaysMs: [50, 150, 300],
    keep: values.keep === true,
  });
  const tables: Table[] = [];
  try {
    tables.push(await ingestPhase(cluster, s));

    await cluster.startWorker();
    await cluster.startApi();
    await cluster.waitReady();
    const results: E2eResult[] = [];
    for (const [i, load] of s.loads.entries()) {
      results.push(await e2ePhase(cluster, s, load, SESSION, cluster.db.repo, 'durable pipeline', `551191${i}`));
    }
    // Let the last acks land before reading memory.
    await sleep(1000);
    const workerRss = cluster.worker ? rssBytes(cluster.worker.pid) : undefined;
    const apiRss = cluster.api ? rssBytes(cluster.api.pid) : undefined;

    const directPort = await freePort();
    const directDbUrl = `sqlite:${path.join(cluster.dir, 'direct.sqlite')}`;
    const direct = cluster.spawnService('direct', 'bench/direct/main.ts', {
      DIRECT_PORT: String(directPort),
      DIRECT_SESSION,
      DATABASE_URL: directDbUrl,
    });
    await waitUntil(
      'direct receiver',
      async () =>
        (await httpStatus(`http://127.0.0.1:${directPort}/health`)) === 200 &&
        (await cluster.sim.sessions()).some((x) => x.name === DIRECT_SESSION && x.client),
      { timeoutMs: 60_000, process: direct },
    );
    const directDb = await openDatabase(directDbUrl);
    try {
      for (const [i, load] of s.loads.entries()) {
        results.push(await e2ePhase(cluster, s, load, DIRECT_SESSION, directDb.repo, 'direct anchor', `551192${i}`));
      }
    } finally {
      await directDb.close();
    }
    const directRss = rssBytes(direct.pid);
    tables.push(e2eTable(results, s));
    tables.push({
      title: '(c) Resident memory at the end',
      headers: ['process', 'RSS'],
      rows: [
        ['worker (tsx worker/main.ts)', mib(workerRss)],
        ['API (tsx api/main.ts)', mib(apiRss)],
        ['direct receiver (anchor)', mib(directRss)],
      ],
      notes: ['Worker and API read right after the durable end-to-end phase; the anchor after its own.'],
    });
  } finally {
    await cluster.stop();
  }

  const header = describeMachine(facts);
  process.stdout.write(`\n${header.join('\n')}\n\n${tables.map(renderText).join('\n')}`);
  const md = [
    '# Benchmark results',
    '',
    'Written by `npm run bench`; docs/benchmarks.md explains what each figure means.',
    '',
    ...header.map((l) => `- ${l}`),
    '',
    ...tables.map(renderMarkdown),
  ].join('\n');
  // A quick run is a smoke test: its small numbers must not replace the published ones.
  if (values.quick) say('quick run: bench/results.md left as it was');
  else {
    writeFileSync(path.join(__dirname, 'results.md'), md);
    say('wrote bench/results.md');
  }
  if (values.keep) say(`logs and databases kept in ${cluster.dir}`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
