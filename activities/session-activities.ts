import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  FailureType,
  inboundMessageSignal,
  plainWorkflowIds,
  sessionStatusQuery,
  type KeeperSessionState,
  type SessionKeeperStatus,
  type WorkflowIds,
} from '../contracts';
import type { IConversationRepository } from '../db/types';
import type { MediaStore } from '../media/store';
import { LogEvent, type Logger } from '../observability/logger';
import { webhookUrlFor } from '../wppconnect/client';
import { isWppError } from '../wppconnect/errors';
import { isHousekeepingType, wppMessageToInbound } from '../wppconnect/normalize';
import { signalConversation } from '../temporal/conversations';
import type { IWhatsAppService, SessionState, WppChat, WppMessage } from '../wppconnect/types';

/**
 * Activities of the session keeper (workflows/session-keeper.ts). They hold everything the workflow
 * must never see: the WPPConnect token (cached inside `wpp`), the webhook token (inside the webhook
 * URL built here), QR bytes (written to the media store) and message text (handed straight to the
 * conversations they hand them to).
 */

export interface CatchUpLimits {
  /** Chats looked at per pass (newest activity first). */
  maxChats: number;
  /** Messages per get-messages page. */
  pageSize: number;
  /** Pages per chat, walking backwards from the newest message. */
  maxPagesPerChat: number;
  /** A chat never seen before is only searched this far back, so a new deployment does not answer old chats. */
  lookbackSeconds: number;
  /** Size cap of the per-chat marks map carried by the workflow. */
  maxMarks: number;
}

export const DEFAULT_CATCH_UP_LIMITS: CatchUpLimits = {
  maxChats: 50,
  pageSize: 50,
  maxPagesPerChat: 5,
  lookbackSeconds: 24 * 60 * 60,
  maxMarks: 500,
};

export interface SessionActivitiesConfig {
  sessions: string[];
  publicUrl: string;
  webhookToken: string;
  taskQueue: string;
}

export interface SessionActivitiesDeps {
  wpp: Pick<
    IWhatsAppService,
    'getSessionStatus' | 'checkConnection' | 'startSession' | 'closeSession' | 'getQrCode' | 'listChats' | 'getMessages'
  >;
  repo: Pick<IConversationRepository, 'findExistingMessageIds'>;
  mediaStore: Pick<MediaStore, 'saveQr' | 'deleteQr'>;
  temporalClient: Pick<Client, 'workflow'>;
  config: SessionActivitiesConfig;
  logger: Logger;
  /** Workflow ids (pseudonymous with a payload key); readable by default. */
  ids?: WorkflowIds;
  catchUpLimits?: Partial<CatchUpLimits>;
  /** Clock for the catch-up lookback (tests). */
  now?: () => number;
}

// ---------------------------------------------------------------------------------------------
// Inputs and outputs

export interface CheckSessionInput {
  session: string;
  /** What the keeper believed before this check: transitions are logged here, where pino lives. */
  previousState: string;
  /** The keeper stored a QR file that must go once the QR phase is over. */
  qrPublished: boolean;
}

export interface CheckSessionResult {
  state: SessionState;
  qrAvailable: boolean;
  /** check-connection-session, asked only when status says CONNECTED (wppconnect/CONTRACT.md §7.6). */
  browserAlive?: boolean;
  qrCleared: boolean;
}

export interface SessionInput {
  session: string;
}

export interface StartSessionResult {
  /** What start-session answered: the state *before* the call (usually CLOSED). */
  state: SessionState;
}

export interface PublishQrInput {
  session: string;
  state: 'QRCODE' | 'PHONECODE';
  /** First QR of this phase: write log event 1005. */
  announce: boolean;
}

export interface PublishQrResult {
  stored: boolean;
}

export interface CatchUpInput {
  session: string;
  /** Per chat: newest message time (unix seconds) already looked at. */
  marks: Record<string, number>;
  reason: 'connected' | 'timer';
}

export interface CatchUpResult {
  /** The new marks (bounded to maxMarks, newest kept). */
  marks: Record<string, number>;
  chatsScanned: number;
  messagesExamined: number;
  started: number;
  /** Patient messages already recorded or already being handled. */
  skipped: number;
  /** Chats left for a later pass because of the chat or page bounds. */
  truncated: number;
  /** Chats the server could not read (permanent WPPConnect failure): retried by the next pass. */
  failedChats: number;
}

// ---------------------------------------------------------------------------------------------

/** isPatientMessage for messages read back over REST: someone else wrote it, in a person's chat. */
export function isIncomingPatientMessage(msg: WppMessage): boolean {
  if (msg.fromMe) return false;
  if (msg.chatId.endsWith('@broadcast') || msg.from === 'status@broadcast') return false;
  if (msg.chatId.endsWith('@newsletter')) return false;
  return !isHousekeepingType(msg.type);
}

/** Maps WPPConnect errors to failures the keeper can branch on; anything else is left to retries. */
function toFailure(err: unknown): unknown {
  if (!isWppError(err)) return err;
  if (err.retryable) return ApplicationFailure.retryable(err.message, err.type);
  return ApplicationFailure.nonRetryable(err.message, err.type);
}

async function wppCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err);
  }
}

/** Keeps the `max` entries with the newest times. */
export function capMarks(marks: Record<string, number>, max: number): Record<string, number> {
  const entries = Object.entries(marks);
  if (entries.length <= max) return marks;
  entries.sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(entries.slice(0, max));
}

export function createSessionActivities(deps: SessionActivitiesDeps) {
  const { wpp, repo, mediaStore, temporalClient, config, logger } = deps;
  const limits: CatchUpLimits = { ...DEFAULT_CATCH_UP_LIMITS, ...deps.catchUpLimits };
  const now = deps.now ?? Date.now;
  const ids = deps.ids ?? plainWorkflowIds;
  const webhookUrl = webhookUrlFor(config.publicUrl, config.webhookToken);

  const assertKnownSession = (session: string): void => {
    if (!config.sessions.includes(session)) {
      throw ApplicationFailure.nonRetryable(`session ${session} is not configured`, FailureType.UnknownSession);
    }
  };

  const startSession = async (session: string): Promise<StartSessionResult> => {
    const status = await wppCall(() => wpp.startSession(session, { webhookUrl }));
    logger.info({ session, state: status.state }, 'start-session requested');
    return { state: status.state };
  };

  /** Patient messages of one chat newer than `floor`, walking back page by page until known ids. */
  const collectChat = async (
    session: string,
    chat: WppChat,
    floor: number,
  ): Promise<{ fresh: WppMessage[]; examined: number; newest: number; truncated: boolean; skipped: number }> => {
    const candidates = new Map<string, WppMessage>();
    let examined = 0;
    let newest = chat.t;
    let before: string | undefined;
    let skipped = 0;
    for (let page = 0; page < limits.maxPagesPerChat; page += 1) {
      const messages = await wppCall(() =>
        wpp.getMessages(session, chat.id, { count: limits.pageSize, ...(before ? { beforeMessageId: before } : {}) }),
      );
      examined += messages.length;
      if (messages.length === 0)
        return { fresh: [...candidates.values()], examined, newest, truncated: false, skipped };
      for (const m of messages) newest = Math.max(newest, m.t);
      // Equal times stay candidates: two messages can share a second, the database decides.
      const patient = messages.filter((m) => m.t >= floor && isIncomingPatientMessage(m) && !candidates.has(m.id));
      const known = await repo.findExistingMessageIds(
        session,
        patient.map((m) => m.id),
      );
      for (const m of patient) {
        if (known.has(m.id)) skipped += 1;
        else candidates.set(m.id, m);
      }
      const oldest = messages[0];
      const reachedFloor = oldest === undefined || oldest.t < floor;
      const lastPage = messages.length < limits.pageSize;
      // When the oldest patient message of the page is recorded, everything before it was seen too.
      const oldestPatient = patient[0];
      const reachedKnown = oldestPatient !== undefined && known.has(oldestPatient.id);
      if (reachedKnown || reachedFloor || lastPage) {
        return { fresh: [...candidates.values()], examined, newest, truncated: false, skipped };
      }
      before = oldest.id;
    }
    return { fresh: [...candidates.values()], examined, newest, truncated: true, skipped };
  };

  /** Hands the message to its chat's conversation, as the webhook would have; the conversation ignores duplicates. */
  const handOver = async (session: string, msg: WppMessage): Promise<void> => {
    const message = wppMessageToInbound(msg, session);
    await signalConversation(
      temporalClient,
      { ids, taskQueue: config.taskQueue },
      { session, chatId: message.chatId },
      inboundMessageSignal,
      { message, receivedVia: 'catch-up' },
    );
  };

  return {
    /** status-session (+ check-connection when CONNECTED); the client regenerates the token on a 401. */
    async checkSession({ session, previousState, qrPublished }: CheckSessionInput): Promise<CheckSessionResult> {
      assertKnownSession(session);
      const status = await wppCall(() => wpp.getSessionStatus(session));
      const browserAlive = status.state === 'CONNECTED' ? await wppCall(() => wpp.checkConnection(session)) : undefined;
      const healthy = status.state === 'CONNECTED' && browserAlive === true;
      if (healthy && previousState !== 'CONNECTED') {
        logger.info({ event: LogEvent.SessionConnected, session }, 'WhatsApp session connected');
      } else if (!healthy && previousState === 'CONNECTED') {
        logger.warn(
          { event: LogEvent.SessionDisconnected, session, state: status.state, browserAlive },
          'WhatsApp session disconnected',
        );
      }
      // Only a QRCODE/PHONECODE status makes a QR meaningful (stale ones stay on the server).
      const inQrPhase = status.state === 'QRCODE' || status.state === 'PHONECODE';
      let qrCleared = false;
      if (qrPublished && !inQrPhase) {
        await mediaStore.deleteQr(session);
        qrCleared = true;
      }
      return { state: status.state, qrAvailable: inQrPhase && status.qrAvailable, browserAlive, qrCleared };
    },

    /** start-session with our webhook URL (it carries WEBHOOK_TOKEN, so it is built here, not in history). */
    async startSession({ session }: SessionInput): Promise<StartSessionResult> {
      assertKnownSession(session);
      return startSession(session);
    },

    /**
     * close-session then start-session: the only way to revive a browser that died while the status
     * stayed CONNECTED, and to apply a changed webhook URL (wppconnect/CONTRACT.md §7.6, §7.9).
     */
    async restartSession({ session }: SessionInput): Promise<StartSessionResult> {
      assertKnownSession(session);
      try {
        await wpp.closeSession(session);
      } catch (err) {
        // close-session answers 500 when nothing runs (never started, or still starting): start anyway.
        if (!isWppError(err) || err.retryable) throw toFailure(err);
        logger.info({ session, failure: err.type }, 'close-session failed; starting anyway');
      }
      return startSession(session);
    },

    /** Copies the current QR PNG to the media store (GET /api/sessions/:session/qr serves it). */
    async publishQr({ session, state, announce }: PublishQrInput): Promise<PublishQrResult> {
      assertKnownSession(session);
      const png = await wppCall(() => wpp.getQrCode(session));
      if (png !== null) await mediaStore.saveQr(session, png);
      if (announce) {
        logger.warn(
          { event: LogEvent.QrCodeAvailable, session, state, qrStored: png !== null },
          'WhatsApp session needs a QR scan (or pairing code)',
        );
      }
      return { stored: png !== null };
    },

    /**
     * Finds patient messages whose webhook never arrived (wppconnect/CONTRACT.md §4 recovery recipe) and hands them to
     * their conversations. Bounded per pass; what is left is found by the next pass.
     */
    async catchUpMessages({ session, marks, reason }: CatchUpInput): Promise<CatchUpResult> {
      assertKnownSession(session);
      const nowSeconds = Math.floor(now() / 1000);
      const lookbackFloor = nowSeconds - limits.lookbackSeconds;
      const chats = await wppCall(() => wpp.listChats(session, { count: limits.maxChats * 2 }));
      const changed = chats
        .filter((c) => !c.isGroup && !c.id.endsWith('@broadcast') && c.t > (marks[c.id] ?? lookbackFloor))
        .sort((a, b) => b.t - a.t);
      const selected = changed.slice(0, limits.maxChats);
      const next: Record<string, number> = { ...marks };
      const result: CatchUpResult = {
        marks: next,
        chatsScanned: 0,
        messagesExamined: 0,
        started: 0,
        skipped: 0,
        truncated: changed.length - selected.length,
        failedChats: 0,
      };
      for (const chat of selected) {
        const floor = Math.max(marks[chat.id] ?? lookbackFloor, lookbackFloor);
        let scan: Awaited<ReturnType<typeof collectChat>>;
        try {
          scan = await collectChat(session, chat, floor);
        } catch (err) {
          // One chat the server cannot open (get-messages "Error on open list") must not block every
          // later pass: skip it, keep its mark, try again next time. Transient failures fail the pass.
          if (!(err instanceof ApplicationFailure) || !err.nonRetryable) throw err;
          result.failedChats += 1;
          logger.warn({ session, failure: err.type }, 'catch-up skipped a chat it could not read');
          continue;
        }
        result.chatsScanned += 1;
        result.messagesExamined += scan.examined;
        result.skipped += scan.skipped;
        if (scan.truncated) result.truncated += 1;
        // Oldest first, so the conversation sees them in the order the patient wrote.
        for (const msg of scan.fresh.sort((a, b) => a.t - b.t)) {
          await handOver(session, msg);
          result.started += 1;
        }
        next[chat.id] = scan.newest;
        heartbeat({ chatsScanned: result.chatsScanned, started: result.started });
      }
      result.marks = capMarks(next, limits.maxMarks);
      if (result.started > 0 || result.truncated > 0) {
        logger.info(
          { session, reason, chats: result.chatsScanned, started: result.started, truncated: result.truncated },
          'catch-up found messages whose webhook never arrived',
        );
      }
      return result;
    },
  };
}

export type SessionActivities = ReturnType<typeof createSessionActivities>;

// ---------------------------------------------------------------------------------------------
// Circuit breaking for sends

export interface SessionGate {
  /**
   * Throws a retryable `WppSessionUnavailable` failure when the keeper knows the session is down, so
   * the send activity backs off instead of hitting a dead session; passes when the keeper is unknown.
   */
  assertSessionUsable(session: string): Promise<void>;
}

export interface SessionGateOptions {
  client: Pick<Client, 'workflow'>;
  ids?: WorkflowIds;
  /** How long one keeper answer is reused (default 2 s). */
  cacheMs?: number;
  /** A keeper that does not answer within this time is treated as absent (default 2 s). */
  queryTimeoutMs?: number;
  now?: () => number;
}

/** States in which the keeper has seen the session fail; UNKNOWN means it has not looked yet. */
const UNUSABLE_STATES = new Set<KeeperSessionState>([
  'CLOSED',
  'INITIALIZING',
  'QRCODE',
  'PHONECODE',
  'AUTH_FAILED',
  'UNREACHABLE',
]);

export function createSessionGate({
  client,
  ids = plainWorkflowIds,
  cacheMs = 2_000,
  queryTimeoutMs = 2_000,
  now = Date.now,
}: SessionGateOptions): SessionGate {
  const cache = new Map<string, { at: number; status: SessionKeeperStatus | null }>();

  const keeperStatus = async (session: string): Promise<SessionKeeperStatus | null> => {
    const cached = cache.get(session);
    if (cached && now() - cached.at < cacheMs) return cached.status;
    let status: SessionKeeperStatus | null;
    try {
      const handle = client.workflow.getHandle(ids.sessionKeeper(session));
      status = await client.workflow.withDeadline(now() + queryTimeoutMs, () => handle.query(sessionStatusQuery));
    } catch {
      // Not running, not queryable, or no worker: the gate must never be the thing that blocks sends.
      status = null;
    }
    cache.set(session, { at: now(), status });
    return status;
  };

  return {
    async assertSessionUsable(session) {
      const status = await keeperStatus(session);
      if (status !== null && UNUSABLE_STATES.has(status.state)) {
        throw ApplicationFailure.retryable(
          `WhatsApp session ${session} is ${status.state} (since ${status.since})`,
          FailureType.SessionUnavailable,
        );
      }
    },
  };
}
