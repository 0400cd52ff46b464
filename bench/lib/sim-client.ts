/**
 * The simulator's /__sim control routes over HTTP (wppconnect/simulator/control.ts): the bench plays
 * the patients, the phone and the network through them.
 */
import { Agent, request } from 'undici';

export interface SentRecordView {
  session: string;
  route: string;
  messageId: string;
  chatId: string;
  type: string;
  text?: string;
  ack: number;
  /** ISO time the simulator accepted the send. */
  at: string;
}

export interface InjectResultView {
  id: string;
  chatId: string;
  webhook: 'posted' | 'skipped' | 'not-connected' | 'no-webhook-url';
}

export interface FaultsPatch {
  latencyMs?: number;
  send5xxRate?: number;
  hangRate?: number;
  dropWebhookRate?: number;
  duplicateWebhookRate?: number;
  outOfOrderAcks?: boolean;
  seed?: number;
}

export interface SimSessionView {
  name: string;
  status: string | null;
  client: boolean;
  loggedIn: boolean;
}

export interface SimClient {
  inject(input: { from: string; text: string; name?: string; session?: string }): Promise<InjectResultView>;
  sent(session?: string): Promise<SentRecordView[]>;
  setFaults(patch: FaultsPatch): Promise<void>;
  unlink(session?: string): Promise<void>;
  /** true when there was a QR to scan. */
  scan(session?: string): Promise<boolean>;
  sessions(): Promise<SimSessionView[]>;
  close(): Promise<void>;
}

export function createSimClient(baseUrl: string, defaultSession: string): SimClient {
  const agent = new Agent({ connections: 64, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const call = async <T>(
    method: 'GET' | 'POST',
    route: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> => {
    const res = await request(`${baseUrl}/__sim/${route}`, {
      method,
      dispatcher: agent,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.body.json()) as T;
    return { status: res.statusCode, json };
  };
  const ok = <T>(what: string, r: { status: number; json: T }): T => {
    if (r.status >= 300) throw new Error(`simulator ${what} answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json;
  };
  return {
    async inject(input) {
      return ok('inject', await call<InjectResultView>('POST', 'inject', { session: defaultSession, ...input }));
    },
    async sent(session = defaultSession) {
      return ok('sent', await call<SentRecordView[]>('GET', `sent?session=${encodeURIComponent(session)}`));
    },
    async setFaults(patch) {
      ok('faults', await call('POST', 'faults', patch));
    },
    async unlink(session = defaultSession) {
      ok('unlink', await call('POST', 'unlink', { session }));
    },
    async scan(session = defaultSession) {
      return (await call('POST', 'scan', { session })).status === 200;
    },
    async sessions() {
      return ok('state', await call<{ sessions: SimSessionView[] }>('GET', 'state')).sessions;
    },
    close: () => agent.close(),
  };
}
