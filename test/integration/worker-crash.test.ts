// A real `kill -9` of the worker process in the middle of several conversations: the Temporal dev server,
// the WPPConnect simulator, the API and the worker all run as separate processes (bench/lib/cluster). After a
// new worker starts, every patient message must be answered exactly once: none missing, no duplicate send.
import { SESSION, startCluster, type Cluster } from '../../bench/lib/cluster';
import type { Injected } from '../../bench/lib/load';
import { collectOutcome, waitForAllAnswered } from '../../bench/lib/outcome';
import { phoneOf } from '../../bench/lib/patients';
import { sleep } from '../../bench/lib/processes';

jest.setTimeout(480_000);

const PATIENTS = 4;
const ROUNDS = 4;
const TEXTS = [
  'I have a mild cough for two days',
  'My throat is a bit sore',
  'I slept badly last night',
  'Thanks, that helps',
];

describe('worker crash (kill -9) with conversations in progress', () => {
  let cluster: Cluster | undefined;
  const injected: Injected[] = [];

  const round = async (r: number): Promise<void> => {
    await Promise.all(
      Array.from({ length: PATIENTS }, async (_, p) => {
        const from = phoneOf('5511940', p);
        const injectedAt = Date.now();
        const res = await cluster!.sim.inject({ from, text: TEXTS[r] ?? 'ok', name: `Patient ${p}` });
        injected.push({ patient: p, from, index: r, burst: r, text: TEXTS[r] ?? 'ok', atMs: 0, injectedAt, ...res });
      }),
    );
  };

  beforeAll(async () => {
    cluster = await startCluster({
      quietWindowMs: 300,
      sendsPerSecond: 100,
      ackDelaysMs: [50, 100, 200],
      logLevel: 'info',
    });
    await cluster.startWorker();
    await cluster.startApi();
    await cluster.waitReady();
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers every message exactly once after the worker is killed mid-conversation and a new one starts', async () => {
    const c = cluster!;
    await round(0);
    // Wait until the pipeline is visibly mid-way: some replies out, then more messages in flight.
    await waitForAllAnswered(c.db.repo, c.sim, SESSION, injected.slice(0, 1), { timeoutMs: 60_000, everyMs: 200 });
    await round(1);
    await sleep(150);
    const killed = c.worker!;
    await c.killWorker();
    expect(await killed.exited).toBe('SIGKILL');
    const sentAtKill = (await c.sim.sent()).length;

    await round(2); // webhooks accepted while no worker runs
    const replacement = await c.startWorker();
    expect(replacement.pid).not.toBe(killed.pid);
    await round(3);

    const total = PATIENTS * ROUNDS;
    await waitForAllAnswered(c.db.repo, c.sim, SESSION, injected, { timeoutMs: 300_000, everyMs: 1000 });
    // Room for a duplicate to show up (a retried send, a replayed workflow) before counting.
    await sleep(5000);
    const outcome = await collectOutcome(c.db.repo, c.sim, SESSION, injected);

    expect(injected).toHaveLength(total);
    expect(injected.filter((m) => m.webhook === 'posted')).toHaveLength(total);
    expect(sentAtKill).toBeGreaterThan(0);
    expect(sentAtKill).toBeLessThan(total);

    const inboundIds = outcome.chats.flatMap((chat) => chat.inbound.map((row) => row.messageId)).sort();
    expect(inboundIds).toEqual(injected.map((m) => m.id).sort());

    const answers = injected.map((m) => ({
      id: m.id,
      replies: outcome.repliesByMessage.get(m.id)?.length ?? 0,
      sent: outcome.repliesByMessage.get(m.id)?.every((reply) => reply.send !== undefined) ?? false,
    }));
    expect(answers).toEqual(injected.map((m) => ({ id: m.id, replies: 1, sent: true })));

    for (const chat of outcome.chats) {
      expect(chat.sends.map((s) => s.messageId).sort()).toEqual(chat.replies.map((r) => r.row.messageId).sort());
    }
    expect(outcome.chats).toHaveLength(PATIENTS);
    expect(outcome.sendsTotal).toBe(outcome.chats.reduce((n, chat) => n + chat.replies.length, 0));
  });
});
