/**
 * Posts webhooks the way WPPConnect Server does (wppconnect/CONTRACT.md §5.1): one POST per event with axios'
 * headers, no auth, no retry, no ordering (each started without waiting for earlier ones), and
 * only a log line on failure. Every attempt is recorded for `GET /__sim/webhooks`.
 */
import { Agent, request } from 'undici';
import type { Json } from './payloads';
import type { Rng } from './rng';

export interface WebhookRecord {
  seq: number;
  at: string;
  session?: string;
  event: string;
  url: string;
  /** delivered (2xx), rejected (non-2xx), failed (no response), dropped (fault), pending. */
  outcome: 'pending' | 'delivered' | 'rejected' | 'failed' | 'dropped';
  status?: number;
  error?: string;
  /** true for the extra copy posted by the duplicate-webhook fault. */
  duplicate: boolean;
  body: Json;
}

export interface WebhookFaults {
  dropWebhookRate: number;
  duplicateWebhookRate: number;
}

export interface WebhookSender {
  post(url: string, body: Json, onResponse?: (status: number) => void): void;
  records(): WebhookRecord[];
  clear(): void;
  /** Resolves when every POST started so far has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const HEADERS = {
  accept: 'application/json, text/plain, */*',
  'content-type': 'application/json',
  'user-agent': 'axios/1.21.1',
  'accept-encoding': 'gzip, compress, deflate, br',
};
const MAX_RECORDS = 5000;

export function createWebhookSender(deps: { rng: Rng; faults: () => WebhookFaults }): WebhookSender {
  // The real sender has no timeout; a long one keeps a dead receiver from pinning sockets forever.
  const agent = new Agent({ headersTimeout: 120_000, bodyTimeout: 120_000 });
  const log: WebhookRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  let seq = 0;

  function record(url: string, body: Json, duplicate: boolean): WebhookRecord {
    const entry: WebhookRecord = {
      seq: ++seq,
      at: new Date().toISOString(),
      session: typeof body.session === 'string' ? body.session : undefined,
      event: String(body.event),
      url,
      outcome: 'pending',
      duplicate,
      body,
    };
    log.push(entry);
    if (log.length > MAX_RECORDS) log.shift();
    return entry;
  }

  function send(url: string, body: Json, duplicate: boolean, onResponse?: (status: number) => void): void {
    const entry = record(url, body, duplicate);
    const attempt = (async () => {
      try {
        const res = await request(url, {
          method: 'POST',
          headers: HEADERS,
          body: JSON.stringify(body),
          dispatcher: agent,
        });
        await res.body.dump();
        entry.status = res.statusCode;
        entry.outcome = res.statusCode >= 200 && res.statusCode < 300 ? 'delivered' : 'rejected';
        onResponse?.(res.statusCode);
      } catch (err) {
        // Like the real server: logged ("Error calling Webhook."), never retried.
        entry.outcome = 'failed';
        entry.error = (err as { code?: string; message?: string }).code ?? (err as Error).message;
      }
    })();
    inFlight.add(attempt);
    void attempt.finally(() => inFlight.delete(attempt));
  }

  return {
    post(url, body, onResponse) {
      const faults = deps.faults();
      if (deps.rng.chance(faults.dropWebhookRate)) {
        record(url, body, false).outcome = 'dropped';
        return;
      }
      send(url, body, false, onResponse);
      if (deps.rng.chance(faults.duplicateWebhookRate)) send(url, body, true);
    },
    records: () => log.slice(),
    clear: () => {
      log.length = 0;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async close() {
      await agent.destroy();
    },
  };
}
