import type { WorkflowGateway } from '../api/workflows';
import type { ChangeCursor, IConversationRepository } from '../db/types';
import type { MediaStore } from '../media/store';
import type { Logger } from '../observability/logger';
import { loadSessionCard } from './data';

/**
 * The console's live updates. The worker and the API are separate processes, so nothing here listens to
 * in-process events: while at least one browser is connected, one loop per API process polls the database
 * cheaply (new message and delivery-event ids; escalations and chats updated since a moment ago, indexed)
 * and, for browsers on the sessions page, the session keepers' status. Browsers receive only which chat
 * or session changed, and fetch what they show through their own signed-in requests.
 */

export type FeedEvent =
  | { type: 'chat'; session: string; chatId: string; why: 'message' | 'delivery' | 'escalation' | 'status' }
  | { type: 'escalations'; open: number }
  | { type: 'session'; session: string; state: string; qrAvailable: boolean; qrVersion?: string };

export type FeedListener = (event: FeedEvent) => void;

export interface LiveFeed {
  /**
   * Starts the polling loops on the first subscriber. `ready` resolves once changes are tracked from now on:
   * a browser that loads what it shows after that misses nothing.
   */
  subscribe(listener: FeedListener, opts?: { sessions?: boolean }): { unsubscribe(): void; ready: Promise<void> };
  close(): void;
}

export interface LiveFeedOptions {
  repo: IConversationRepository;
  gateway: WorkflowGateway;
  mediaStore: MediaStore;
  sessions: readonly string[];
  logger: Logger;
  /** Database poll interval (default 500 ms: a new emergency reaches the inbox well within 2 s). */
  intervalMs?: number;
  /** Session keeper poll interval (default 1 s). */
  sessionIntervalMs?: number;
  now?: () => number;
}

/** Rows updated in place are looked for again this far back: writers on other hosts may lag a little. */
const OVERLAP_MS = 10_000;
const BATCH = 500;

export function createLiveFeed(opts: LiveFeedOptions): LiveFeed {
  const { repo, logger } = opts;
  const now = opts.now ?? Date.now;
  const intervalMs = opts.intervalMs ?? 500;
  const sessionIntervalMs = opts.sessionIntervalMs ?? 1000;
  const listeners = new Map<FeedListener, { sessions: boolean }>();

  let cursor: ChangeCursor | undefined;
  let lastPollAt = 0;
  /** `kind id` → updatedAt (ms) of rows already reported within the overlap window. */
  const seen = new Map<string, number>();
  let openEscalations: number | undefined;
  let dbTimer: NodeJS.Timeout | undefined;
  let sessionTimer: NodeJS.Timeout | undefined;
  const sessionSignatures = new Map<string, string>();
  let failing = false;
  let closed = false;

  const emit = (event: FeedEvent, sessionsOnly = false): void => {
    for (const [listener, wants] of listeners) {
      if (sessionsOnly && !wants.sessions) continue;
      try {
        listener(event);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'console feed listener failed');
      }
    }
  };

  const reportFailure = (err: unknown, what: string): void => {
    if (!failing) logger.warn({ errName: (err as Error).name, errMessage: (err as Error).message }, what);
    failing = true;
  };

  /** True when this row version was not reported yet. */
  const fresh = (kind: string, id: string, updatedAt: Date): boolean => {
    const key = `${kind} ${id}`;
    if (seen.get(key) === updatedAt.getTime()) return false;
    seen.set(key, updatedAt.getTime());
    return true;
  };

  let starting: Promise<void> | undefined;
  /** The cursor of "now", taken once when watching starts. */
  const start = (): Promise<void> => {
    if (cursor !== undefined) return Promise.resolve();
    starting ??= (async () => {
      const startedAt = now();
      const initial = await repo.latestChangeCursor(new Date(startedAt - OVERLAP_MS));
      openEscalations = await repo.countOpenEscalations();
      lastPollAt = startedAt;
      cursor = initial;
    })().finally(() => {
      starting = undefined;
    });
    return starting;
  };

  const pollDatabase = async (): Promise<void> => {
    if (cursor === undefined) return start();
    const startedAt = now();
    const updatedAfter = new Date(lastPollAt - OVERLAP_MS);
    const changes = await repo.getChangesSince({ ...cursor, updatedAfter }, BATCH);
    lastPollAt = startedAt;
    cursor = { ...changes.next, updatedAfter };
    for (const [key, at] of seen) if (at <= updatedAfter.getTime()) seen.delete(key);

    const chats = new Map<string, FeedEvent & { type: 'chat' }>();
    const touch = (session: string, chatId: string, why: 'message' | 'delivery' | 'escalation' | 'status') => {
      const id = `${session}\n${chatId}`;
      // The most telling reason wins: an escalation over a status change over a message over an ack.
      const order = ['delivery', 'message', 'status', 'escalation'];
      const existing = chats.get(id);
      if (!existing || order.indexOf(why) > order.indexOf(existing.why))
        chats.set(id, { type: 'chat', session, chatId, why });
    };
    for (const m of changes.messages) touch(m.session, m.chatId, 'message');
    for (const d of changes.deliveries) touch(d.session, d.chatId, 'delivery');
    let escalationChanged = false;
    for (const e of changes.escalations) {
      if (!fresh('escalation', String(e.id), e.updatedAt)) continue;
      escalationChanged = true;
      touch(e.session, e.chatId, 'escalation');
    }
    for (const c of changes.chats) {
      if (fresh('chat', `${c.session}\n${c.chatId}`, c.updatedAt)) touch(c.session, c.chatId, 'status');
    }
    for (const event of chats.values()) emit(event);
    if (escalationChanged || chats.size > 0) {
      const open = await repo.countOpenEscalations();
      if (open !== openEscalations) {
        openEscalations = open;
        emit({ type: 'escalations', open });
      }
    }
  };

  const pollSessions = async (): Promise<void> => {
    for (const session of opts.sessions) {
      const card = await loadSessionCard(opts, session);
      const status = card.status;
      const event: FeedEvent = {
        type: 'session',
        session,
        state: status === 'unavailable' ? 'UNAVAILABLE' : (status?.state ?? 'NO_KEEPER'),
        qrAvailable: typeof status === 'object' && status !== null && status.qrAvailable,
        ...(card.qrVersion ? { qrVersion: card.qrVersion } : {}),
      };
      const signature = JSON.stringify(event);
      if (sessionSignatures.get(session) === signature) continue;
      sessionSignatures.set(session, signature);
      emit(event, true);
    }
  };

  const wantsSessions = (): boolean => [...listeners.values()].some((w) => w.sessions);

  const scheduleDatabase = (): void => {
    if (closed || listeners.size === 0 || dbTimer) return;
    dbTimer = setTimeout(() => {
      if (listeners.size === 0) {
        // Nobody watches any more: the next subscriber starts from "now" instead of replaying the gap.
        dbTimer = undefined;
        cursor = undefined;
        seen.clear();
        return;
      }
      void pollDatabase()
        .then(() => {
          failing = false;
        })
        .catch((err: unknown) => reportFailure(err, 'console feed could not read the database'))
        .finally(() => {
          dbTimer = undefined;
          scheduleDatabase();
        });
    }, intervalMs);
    dbTimer.unref();
  };

  const scheduleSessions = (delayMs = sessionIntervalMs): void => {
    if (closed || !wantsSessions() || sessionTimer) return;
    sessionTimer = setTimeout(() => {
      void pollSessions()
        .catch((err: unknown) => reportFailure(err, 'console feed could not read the session status'))
        .finally(() => {
          sessionTimer = undefined;
          scheduleSessions();
        });
    }, delayMs);
    sessionTimer.unref();
  };

  return {
    subscribe(listener, { sessions = false } = {}) {
      listeners.set(listener, { sessions });
      if (sessions) {
        // Every session is reported once more (a refresh for pages already open), then only changes.
        sessionSignatures.clear();
        scheduleSessions(0);
      }
      const ready = start().catch((err: unknown) => reportFailure(err, 'console feed could not read the database'));
      scheduleDatabase();
      return {
        ready,
        unsubscribe() {
          listeners.delete(listener);
        },
      };
    },
    close() {
      closed = true;
      listeners.clear();
      if (dbTimer) clearTimeout(dbTimer);
      if (sessionTimer) clearTimeout(sessionTimer);
    },
  };
}
