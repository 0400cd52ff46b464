/**
 * `npm run chaos` (`-- --short` for CI, `-- --long` for 1,000 messages from 100 patients): patients write
 * while the system is abused — the worker killed with SIGKILL twice and restarted, the API killed and
 * restarted once, the simulator failing 10% of sends with 5xx, dropping 5% of webhooks and duplicating 5%,
 * and the WhatsApp session unlinked (CLOSED) until the phone scans the QR the keeper brings up. The worker
 * and the API run compiled, as in production (`npm run build` first; `--no-build` uses dist/ as it is).
 * Then it checks that nothing was lost or doubled, in the database, at the simulator and in Temporal, and
 * exits non-zero on any violation. docs/benchmarks.md describes the run.
 */
import { parseArgs } from 'node:util';
import { buildProgram } from './lib/build';
import { checksTable, runChecks } from './lib/checks';
import { describeAllocator, findJemalloc, SESSION, startCluster, type Cluster } from './lib/cluster';
import { playPlan, type Injected } from './lib/load';
import { describeMachine, machineFacts } from './lib/machine';
import { collectOutcome, waitForAllAnswered, type Outcome } from './lib/outcome';
import { planConversations } from './lib/patients';
import { sleep } from './lib/processes';
import { renderText, type Table } from './lib/table';
import { workflowChecks } from './lib/workflow-checks';

interface Scenario {
  patients: number;
  messagesPerPatient: number;
  meanGapMs: number;
  quietWindowMs: number;
  /** Seconds from the start of the plan. */
  killWorkerAt: [number, number];
  workerDownSeconds: number;
  restartApiAt: number;
  unlinkAt: number;
  sessionDownSeconds: number;
  deliveryTimeout: string;
  /** How long after the faults end every message must be answered. */
  settleSeconds: number;
}

const FULL: Scenario = {
  patients: 50,
  messagesPerPatient: 10,
  meanGapMs: 9000,
  quietWindowMs: 1000,
  killWorkerAt: [15, 80],
  workerDownSeconds: 5,
  restartApiAt: 35,
  unlinkAt: 45,
  sessionDownSeconds: 30,
  deliveryTimeout: '45s',
  settleSeconds: 300,
};

const LONG: Scenario = {
  patients: 100,
  messagesPerPatient: 10,
  meanGapMs: 12_000,
  quietWindowMs: 1000,
  killWorkerAt: [20, 105],
  workerDownSeconds: 5,
  restartApiAt: 45,
  unlinkAt: 60,
  sessionDownSeconds: 30,
  deliveryTimeout: '45s',
  settleSeconds: 600,
};

const SHORT: Scenario = {
  patients: 10,
  messagesPerPatient: 6,
  meanGapMs: 6000,
  quietWindowMs: 1000,
  killWorkerAt: [6, 34],
  workerDownSeconds: 2,
  restartApiAt: 14,
  unlinkAt: 20,
  sessionDownSeconds: 10,
  deliveryTimeout: '30s',
  settleSeconds: 300,
};

const say = (line: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Timeline {
  rows: string[][];
  start: number;
}

function mark(t: Timeline, event: string, detail = ''): void {
  const at = ((Date.now() - t.start) / 1000).toFixed(1);
  t.rows.push([`${at} s`, event, detail]);
  say(`${event}${detail ? ` (${detail})` : ''}`);
}

async function at(t: Timeline, seconds: number): Promise<void> {
  const wait = t.start + seconds * 1000 - Date.now();
  if (wait > 0) await sleep(wait);
}

async function killAndRestartWorker(cluster: Cluster, t: Timeline, downSeconds: number, n: number): Promise<void> {
  await cluster.killWorker();
  mark(t, `worker killed with SIGKILL (#${n})`);
  await sleep(downSeconds * 1000);
  const started = Date.now();
  await cluster.startWorker();
  mark(t, `worker restarted (#${n})`, `polling after ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function sessionOutage(cluster: Cluster, t: Timeline, downSeconds: number): Promise<void> {
  await cluster.sim.unlink();
  mark(t, 'session unlinked on the phone (CLOSED)');
  await sleep(downSeconds * 1000);
  // The keeper must have restarted the session to a QR by now; the operator scans it.
  const deadline = Date.now() + 120_000;
  while (!(await cluster.sim.scan())) {
    if (Date.now() > deadline) throw new Error('the keeper never brought the session back to a QR code');
    await sleep(500);
  }
  mark(t, 'QR scanned by the operator');
  while (!(await cluster.sim.sessions()).some((s) => s.name === SESSION && s.client)) {
    if (Date.now() > deadline) throw new Error('the session never came back to CONNECTED');
    await sleep(200);
  }
  mark(t, 'session CONNECTED again');
}

async function runScenario(cluster: Cluster, sc: Scenario, t: Timeline): Promise<Injected[]> {
  const plan = planConversations({
    patients: sc.patients,
    messagesPerPatient: sc.messagesPerPatient,
    quietWindowMs: sc.quietWindowMs,
    meanGapMs: sc.meanGapMs,
    burstChance: 0.15,
    rampMs: 3000,
    seed: 7,
    phonePrefix: '5511930',
  });
  const spanS = ((plan[plan.length - 1]?.atMs ?? 0) / 1000).toFixed(0);
  await cluster.sim.setFaults({ send5xxRate: 0.1, dropWebhookRate: 0.05, duplicateWebhookRate: 0.05, seed: 7 });
  t.start = Date.now();
  mark(t, 'patients start writing', `${plan.length} messages from ${sc.patients} patients over ${spanS} s`);
  mark(t, 'faults on', '10% send 5xx, 5% webhooks dropped, 5% duplicated');
  const chaos = (async () => {
    await at(t, sc.killWorkerAt[0]);
    await killAndRestartWorker(cluster, t, sc.workerDownSeconds, 1);
    await at(t, sc.restartApiAt);
    await cluster.killApi();
    mark(t, 'API killed with SIGKILL');
    await cluster.startApi();
    mark(t, 'API restarted');
    await at(t, sc.unlinkAt);
    await sessionOutage(cluster, t, sc.sessionDownSeconds);
    await at(t, sc.killWorkerAt[1]);
    await killAndRestartWorker(cluster, t, sc.workerDownSeconds, 2);
  })();
  const injected = await playPlan(cluster.sim, plan);
  mark(t, 'patients done writing');
  await chaos;
  await cluster.sim.setFaults({ send5xxRate: 0, dropWebhookRate: 0, duplicateWebhookRate: 0 });
  mark(t, 'faults off');
  return injected;
}

async function settle(cluster: Cluster, injected: Injected[], sc: Scenario, t: Timeline): Promise<Outcome> {
  let last = 0;
  await waitForAllAnswered(cluster.db.repo, cluster.sim, SESSION, injected, {
    timeoutMs: sc.settleSeconds * 1000,
    everyMs: 2000,
    onPoll: (answered, total) => {
      if (Date.now() - last > 10_000) {
        last = Date.now();
        say(`${answered}/${total} messages answered`);
      }
    },
  });
  mark(t, `every message answered (or ${sc.settleSeconds / 60} minutes passed)`);
  // Replies wait for their acks up to DELIVERY_TIMEOUT before being flagged; late duplicates would show meanwhile.
  const deadline = Date.now() + Number.parseInt(sc.deliveryTimeout, 10) * 1000 + 30_000;
  for (;;) {
    const outcome = await collectOutcome(cluster.db.repo, cluster.sim, SESSION, injected);
    const open = outcome.chats
      .flatMap((c) => c.replies)
      .filter((r) => !['delivered', 'read', 'failed'].includes(r.row.deliveryStatus) && !r.row.statusReason).length;
    if (open === 0 || Date.now() > deadline) {
      mark(t, 'delivery settled', `${open} replies still without a final status`);
      await sleep(3000);
      return collectOutcome(cluster.db.repo, cluster.sim, SESSION, injected);
    }
    await sleep(2000);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      short: { type: 'boolean' },
      long: { type: 'boolean' },
      keep: { type: 'boolean' },
      'no-build': { type: 'boolean' },
    },
  });
  if (values.short && values.long) throw new Error('--short and --long exclude each other');
  const form = values.short ? 'short' : values.long ? 'long' : 'full';
  const sc = values.short ? SHORT : values.long ? LONG : FULL;
  const facts = machineFacts();
  if (!values['no-build']) buildProgram(say);
  say(
    `starting the cluster (${form} run: ${sc.patients * sc.messagesPerPatient} messages from ${sc.patients} patients)`,
  );
  // The image's allocator when this machine has it (apt-get install libjemalloc2); glibc's otherwise.
  const jemalloc = findJemalloc();
  say(`the worker and the API: ${describeAllocator(jemalloc, 'libjemalloc2 is not installed')}`);
  const cluster = await startCluster({
    program: 'compiled',
    jemalloc,
    quietWindowMs: sc.quietWindowMs,
    sendsPerSecond: 50,
    deliveryTimeout: sc.deliveryTimeout,
    ackDelaysMs: [100, 300, 600],
    logLevel: 'info',
    keep: values.keep === true,
    // Short keeper intervals so the run finishes in minutes (production: 30 s checks, 5 min catch-up).
    keeperTimings: {
      healthyCheckMs: 2000,
      startingCheckMs: 1000,
      catchUpEveryMs: 5000,
      backoffBaseMs: 1000,
      backoffMaxMs: 5000,
    },
  });
  let violations = 0;
  const tables: Table[] = [];
  try {
    await cluster.startWorker();
    await cluster.startApi();
    await cluster.waitReady();
    const t: Timeline = { rows: [], start: Date.now() };
    const injected = await runScenario(cluster, sc, t);
    const outcome = await settle(cluster, injected, sc, t);
    const webhookFates = injected.reduce<Record<string, number>>((acc, m) => {
      acc[m.webhook] = (acc[m.webhook] ?? 0) + 1;
      return acc;
    }, {});
    t.rows.push([
      '',
      'inject results',
      Object.entries(webhookFates)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ]);
    const report = runChecks(outcome, injected);
    const temporal = await workflowChecks(cluster.client, SESSION, outcome, injected);
    report.checks.push(...temporal.checks);
    report.info.push(...temporal.info);
    report.violations += temporal.checks.reduce((n, c) => n + c.violations, 0);
    violations = report.violations;
    tables.push({ title: 'Chaos timeline', headers: ['at', 'event', 'detail'], rows: t.rows });
    tables.push(checksTable(report));
    for (const c of report.checks) for (const e of c.examples) say(`violation (${c.name}): ${e}`);
  } finally {
    await cluster.stop();
  }
  process.stdout.write(`\n${describeMachine(facts).join('\n')}\n\n${tables.map(renderText).join('\n')}`);
  if (values.keep) say(`logs and databases kept in ${cluster.dir}`);
  say(violations === 0 ? 'PASS: nothing lost, nothing doubled' : `FAIL: ${violations} violation(s)`);
  process.exit(violations === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`[chaos] failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(2);
});
