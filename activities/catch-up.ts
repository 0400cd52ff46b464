import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { FailureType, inboundMessageSignal, plainWorkflowIds, type WorkflowIds } from '../contracts';
import type { IConversationRepository } from '../db/types';
import type { Logger } from '../observability/logger';
import { signalConversation } from '../temporal/conversations';
import type { LidResolver } from '../wppconnect/contacts';
import { chatKind } from '../wppconnect/ids';
import { isHousekeepingType, wppMessageToInbound } from '../wppconnect/normalize';
import type { IWhatsAppService, WppChat, WppMessage } from '../wppconnect/types';
import { wppCall } from './session-control';

/**
 * Catch-up for the session keeper: WPPConnect never retries a webhook (wppconnect/CONTRACT.md §5.1, §7.2), so messages
 * whose webhook never arrived are found by reading the chats back (the recovery recipe of wppconnect/CONTRACT.md §4) and
 * handed to their conversations exactly as the webhook would have. Message text goes from WPPConnect
 * straight into the signal, never into the keeper's history.
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

export interface CatchUpConfig {
  sessions: string[];
  taskQueue: string;
}

export interface CatchUpDeps {
  wpp: Pick<IWhatsAppService, 'listChats' | 'getMessages'>;
  repo: Pick<IConversationRepository, 'findExistingMessageIds'>;
  temporalClient: Pick<Client, 'workflow'>;
  config: CatchUpConfig;
  logger: Logger;
  /** Phone numbers behind `@lid` chats, so patient matching by phone works for them too. */
  contacts?: LidResolver;
  /** Workflow ids (pseudonymous with a payload key); readable by default. */
  ids?: WorkflowIds;
  catchUpLimits?: Partial<CatchUpLimits>;
  /** Clock for the catch-up lookback (tests). */
  now?: () => number;
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
  /** Messages handed to their conversations (patients' and the clinic's own, typed on the phone). */
  started: number;
  /** Of those, messages typed on the clinic's linked phone (`fromMe`) that the pipeline did not send. */
  staff: number;
  /** Messages already recorded (handled, or one of the pipeline's own sends). */
  skipped: number;
  /** Chats left for a later pass because of the chat or page bounds. */
  truncated: number;
  /** Chats the server could not read (permanent WPPConnect failure): retried by the next pass. */
  failedChats: number;
}

/**
 * A message a person wrote in a person's chat, read back over REST: the patient's, or the clinic's typed on
 * the linked phone (`fromMe`). Not status broadcasts, channels, notifications, revoked or undecrypted ones.
 */
export function isPersonMessage(msg: WppMessage): boolean {
  if (msg.chatId.endsWith('@broadcast') || msg.from === 'status@broadcast') return false;
  if (msg.chatId.endsWith('@newsletter')) return false;
  return !isHousekeepingType(msg.type);
}

/** Keeps the `max` entries with the newest times. */
export function capMarks(marks: Record<string, number>, max: number): Record<string, number> {
  const entries = Object.entries(marks);
  if (entries.length <= max) return marks;
  entries.sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(entries.slice(0, max));
}

export function createCatchUpActivities(deps: CatchUpDeps) {
  const { wpp, repo, temporalClient, config, logger, contacts } = deps;
  const limits: CatchUpLimits = { ...DEFAULT_CATCH_UP_LIMITS, ...deps.catchUpLimits };
  const now = deps.now ?? Date.now;
  const ids = deps.ids ?? plainWorkflowIds;

  const assertKnownSession = (session: string): void => {
    if (!config.sessions.includes(session)) {
      throw ApplicationFailure.nonRetryable(`session ${session} is not configured`, FailureType.UnknownSession);
    }
  };

  /** Person messages of one chat newer than `floor` and not recorded yet, walking back page by page. */
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
      const written = messages.filter((m) => m.t >= floor && isPersonMessage(m) && !candidates.has(m.id));
      // The pipeline's own sends are recorded under their WhatsApp id, so they are "known" here too.
      const known = await repo.findExistingMessageIds(
        session,
        written.map((m) => m.id),
      );
      for (const m of written) {
        if (known.has(m.id)) skipped += 1;
        else candidates.set(m.id, m);
      }
      const oldest = messages[0];
      const reachedFloor = oldest === undefined || oldest.t < floor;
      const lastPage = messages.length < limits.pageSize;
      // When the oldest message of the page that someone wrote is recorded, everything before it was seen too.
      const oldestWritten = written[0];
      const reachedKnown = oldestWritten !== undefined && known.has(oldestWritten.id);
      if (reachedKnown || reachedFloor || lastPage) {
        return { fresh: [...candidates.values()], examined, newest, truncated: false, skipped };
      }
      before = oldest.id;
    }
    return { fresh: [...candidates.values()], examined, newest, truncated: true, skipped };
  };

  /**
   * Hands the message to its chat's conversation, as the webhook would have; the conversation ignores
   * duplicates, and records a `fromMe` one as a person of the clinic answering unless it is one of the
   * pipeline's own sends (it checks again in its turn).
   */
  const handOver = async (session: string, msg: WppMessage): Promise<void> => {
    const message = wppMessageToInbound(msg, session);
    if (message.contactPhone === undefined && !message.isGroup && chatKind(message.chatId) === 'lid') {
      const phone = await contacts?.phoneFor(session, message.chatId);
      if (phone !== undefined) message.contactPhone = phone;
    }
    await signalConversation(
      temporalClient,
      { ids, taskQueue: config.taskQueue },
      { session, chatId: message.chatId },
      inboundMessageSignal,
      { message, receivedVia: 'catch-up' },
    );
  };

  return {
    /**
     * Finds messages whose webhook never arrived (wppconnect/CONTRACT.md §4 recovery recipe) and hands them to their
     * conversations. Bounded per pass; what is left is found by the next pass.
     */
    async catchUpMessages({ session, marks, reason }: CatchUpInput): Promise<CatchUpResult> {
      assertKnownSession(session);
      const nowSeconds = Math.floor(now() / 1000);
      const lookbackFloor = nowSeconds - limits.lookbackSeconds;
      // onlyUsers: busy groups must never push the 1:1 chats out of the window.
      const chats = await wppCall(() => wpp.listChats(session, { count: limits.maxChats * 2, onlyUsers: true }));
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
        staff: 0,
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
        // Oldest first, so the conversation sees them in the order they were written.
        for (const msg of scan.fresh.sort((a, b) => a.t - b.t)) {
          await handOver(session, msg);
          result.started += 1;
          if (msg.fromMe) result.staff += 1;
        }
        next[chat.id] = scan.newest;
        heartbeat({ chatsScanned: result.chatsScanned, started: result.started });
      }
      result.marks = capMarks(next, limits.maxMarks);
      if (result.started > 0 || result.truncated > 0) {
        logger.info(
          {
            session,
            reason,
            chats: result.chatsScanned,
            started: result.started,
            staff: result.staff,
            truncated: result.truncated,
          },
          'catch-up found messages whose webhook never arrived',
        );
      }
      return result;
    },
  };
}

export type CatchUpActivities = ReturnType<typeof createCatchUpActivities>;
