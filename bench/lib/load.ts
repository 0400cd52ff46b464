/**
 * Load generation. Open loop: requests leave on a fixed schedule whatever the answers do, and latency is
 * measured from the scheduled time, so a slow server shows up as latency instead of slowing the load down.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { serializedMessage } from '../../simulator/payloads';
import type { PlannedMessage } from './patients';
import type { InjectResultView, SimClient } from '../../simulator/control-client';
import { sleep } from './processes';

export interface OpenLoopResult {
  offeredRate: number;
  sent: number;
  /** 2xx answers. */
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  /** Per request, scheduled time → answer, ms (2xx only). */
  latenciesMs: number[];
  /** First scheduled request → last answer. */
  elapsedMs: number;
}

/**
 * Waits for a precise moment: timers only for the bulk (they fire up to a millisecond or two late), then
 * setImmediate turns. Never early, since a request sent before its time would flatter the latency.
 */
async function until(moment: number): Promise<void> {
  for (let left = moment - performance.now(); left > 0; left = moment - performance.now()) {
    if (left > 3) await sleep(left - 2);
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface HttpShot {
  path: string;
  method: 'GET' | 'POST';
  body?: string;
}

/** Fires `rate` requests per second for `durationMs`, each built by `shot(i)`. */
export async function openLoop(
  baseUrl: string,
  rate: number,
  durationMs: number,
  shot: (i: number) => HttpShot,
): Promise<OpenLoopResult> {
  const agent = new Agent({ connections: 512, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const interval = 1000 / rate;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  let lastAnswer = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i += 1) {
    const scheduled = start + i * interval;
    await until(scheduled);
    const s = shot(i);
    inFlight.push(
      (async () => {
        try {
          const res = await request(`${baseUrl}${s.path}`, {
            method: s.method,
            dispatcher: agent,
            headers: s.body === undefined ? {} : { 'content-type': 'application/json' },
            body: s.body,
          });
          await res.body.dump();
          const done = performance.now();
          lastAnswer = Math.max(lastAnswer, done);
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          if (res.statusCode >= 200 && res.statusCode < 300) {
            ok += 1;
            latencies.push(done - scheduled);
          } else errors += 1;
        } catch (err) {
          errors += 1;
          const code = (err as { code?: string }).code ?? 'error';
          statuses[code] = (statuses[code] ?? 0) + 1;
        }
      })(),
    );
  }
  await Promise.all(inFlight);
  await agent.close();
  return {
    offeredRate: rate,
    sent: total,
    ok,
    errors,
    statuses,
    latenciesMs: latencies,
    elapsedMs: lastAnswer - start,
  };
}

/** A distinct onmessage webhook body, shaped like the simulator's (and WPPConnect's) own. */
export function onMessageBody(session: string, ownNumber: string, patientPhone: string, text: string): string {
  const chatId = `${patientPhone}@c.us`;
  const id = `false_${chatId}_3A${randomBytes(9).toString('hex').toUpperCase()}`;
  const message = serializedMessage({
    id,
    kind: 'chat',
    t: Math.floor(Date.now() / 1000),
    from: chatId,
    to: `${ownNumber}@c.us`,
    chatId,
    fromMe: false,
    sender: { id: chatId, pushname: 'Bench Patient' },
    notifyName: 'Bench Patient',
    text,
    ack: 1,
  });
  return JSON.stringify({ event: 'onmessage', session, ...message });
}

export interface Injected extends PlannedMessage {
  /** Message id the simulator gave the patient's message. */
  id: string;
  chatId: string;
  /** Epoch ms just before the inject call. */
  injectedAt: number;
  webhook: InjectResultView['webhook'] | 'inject-failed';
}

/** Plays the plan against the simulator on its schedule (open loop); resolves when every inject answered. */
export async function playPlan(
  sim: SimClient,
  plan: readonly PlannedMessage[],
  opts: { session?: string; onProgress?: (done: number) => void } = {},
): Promise<Injected[]> {
  const results: Injected[] = [];
  const start = performance.now();
  const pending: Promise<void>[] = [];
  // One patient's messages are injected one after another, so they reach the simulator in order.
  const lastOf = new Map<string, Promise<void>>();
  for (const m of plan) {
    const wait = start + m.atMs - performance.now();
    if (wait > 1) await sleep(wait);
    const previous = lastOf.get(m.from) ?? Promise.resolve();
    const next = previous.then(async () => {
      const injectedAt = Date.now();
      try {
        const r = await sim.inject({
          from: m.from,
          text: m.text,
          name: `Patient ${m.patient}`,
          ...(opts.session ? { session: opts.session } : {}),
        });
        results.push({ ...m, id: r.id, chatId: r.chatId, injectedAt, webhook: r.webhook });
      } catch {
        results.push({ ...m, id: '', chatId: '', injectedAt, webhook: 'inject-failed' });
      }
      opts.onProgress?.(results.length);
    });
    lastOf.set(m.from, next);
    pending.push(next);
  }
  await Promise.all(pending);
  return results.sort((a, b) => a.injectedAt - b.injectedAt);
}
