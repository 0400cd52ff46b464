/**
 * The simulator's /__sim control routes over HTTP (simulator/control.ts): the one client the bench, the
 * chaos run, `npm run patient` and the tests use to play the patients, the phone and the network.
 */
import { Agent, request } from 'undici';
import type { InjectResult, PhoneMessageResult, SentRecord, SimulatorFaults } from './engine';
import type { WebhookRecord } from './webhooks';

/** The simulator does not answer, or something else answers at its address. */
export class SimulatorUnavailable extends Error {}

/** What the simulator was asked to send (GET /__sim/sent). */
export type SentRecordView = SentRecord;
export type InjectResultView = InjectResult;
export type FaultsPatch = Partial<SimulatorFaults> & { seed?: number };

export interface SimSessionView {
  /** The server's record of the session (`reset` after a close during start). */
  record?: string;
  name: string;
  status: string | null;
  client: boolean;
  loggedIn: boolean;
  /** The session record's browser phase, and which session's browser (maybe an orphan) holds the profile. */
  browser?: string | null;
  profileHeldBy?: string | null;
  webhook?: string | null;
}

export interface SimClient {
  inject(input: { from: string; text: string; name?: string; session?: string }): Promise<InjectResultView>;
  sent(session?: string): Promise<SentRecordView[]>;
  setFaults(patch: FaultsPatch): Promise<void>;
  unlink(session?: string): Promise<void>;
  /** true when there was a QR to scan. */
  scan(session?: string): Promise<boolean>;
  sessions(): Promise<SimSessionView[]>;
  /** The clinic types on its linked phone (a `fromMe` message, with or without an onselfmessage webhook). */
  phoneMessage(input: {
    to: string;
    text: string;
    session?: string;
    deliverWebhook?: boolean;
  }): Promise<PhoneMessageResult>;
  /** Server behaviour switches (onselfmessage webhooks). */
  configure(patch: { onSelfMessage?: boolean }): Promise<void>;
  /** The WPPConnect Server process restarts: every browser, orphans included, is gone. */
  restartServer(): Promise<void>;
  /** The server's secret key changes: tokens made with the old one are refused. */
  setSecret(secretKey: string): Promise<void>;
  /** The session's browser crashes while its status stays CONNECTED. */
  crash(session?: string): Promise<void>;
  webhooks(filter?: { event?: string; session?: string }): Promise<WebhookRecord[]>;
  close(): Promise<void>;
}

export function createSimClient(baseUrl: string, defaultSession: string): SimClient {
  const agent = new Agent({ connections: 64, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const call = async <T>(
    method: 'GET' | 'POST',
    route: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> => {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`${baseUrl}/__sim/${route}`, {
        method,
        dispatcher: agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error) : (err as Error);
      throw new SimulatorUnavailable(
        `the WPPConnect simulator is not reachable at ${baseUrl} (${cause.message}).\n` +
          'Start the whole system first with `npm start` (or set SIMULATOR_URL).',
      );
    }
    const text = await res.body.text();
    if (res.statusCode === 404 && text.includes('Cannot')) {
      throw new SimulatorUnavailable(
        `${baseUrl} answers but has no /__sim/${route}: is it the simulator (not a real WPPConnect Server)?`,
      );
    }
    return { status: res.statusCode, json: (text === '' ? undefined : JSON.parse(text)) as T };
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
    async phoneMessage(input) {
      return ok(
        'phone-message',
        await call<PhoneMessageResult>('POST', 'phone-message', { session: defaultSession, ...input }),
      );
    },
    async configure(patch) {
      ok('config', await call('POST', 'config', patch));
    },
    async restartServer() {
      ok('restart-server', await call('POST', 'restart-server', {}));
    },
    async setSecret(secretKey) {
      ok('secret', await call('POST', 'secret', { secretKey }));
    },
    async crash(session = defaultSession) {
      ok('crash', await call('POST', 'crash', { session }));
    },
    async webhooks(filter = {}) {
      const query = new URLSearchParams();
      if (filter.event !== undefined) query.set('event', filter.event);
      if (filter.session !== undefined) query.set('session', filter.session);
      return ok('webhooks', await call<WebhookRecord[]>('GET', `webhooks?${query.toString()}`));
    },
    close: () => agent.close(),
  };
}
