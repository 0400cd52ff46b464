import { activityInfo, ApplicationFailure, heartbeat, log, sleep } from '@temporalio/activity';
import { FailureType } from '../contracts';
import type { ConversationMessageRecord, IConversationRepository } from '../db/types';
import type { MediaStore } from '../media/store';
import { pendingReplyId, type MessageRecords, type ReplyRecord } from './message-records';
import { isWppError } from '../wppconnect/errors';
import type { IWhatsAppService, SentMessage, WppMessage } from '../wppconnect/types';

/**
 * Send activities run on their own task queue (`<queue>-sends`), where the worker enforces
 * WPPCONNECT_SENDS_PER_SECOND. Before a retried attempt sends, it looks at the chat on WPPConnect for the
 * message an earlier attempt may already have sent (worker killed after WPPConnect accepted it, a timeout
 * whose request did go through...), so the patient never gets it twice.
 *
 * A send never hangs a chat (docs/conversation.md, "Sends"):
 * - while the session is down (the keeper's gate, WPPConnect's 404, a refused token) the send waits, and the
 *   chat's history shows the reply as `pending` with the reason;
 * - the real server answers every exception of a send with the same 500, permanent ones included, so 500s
 *   are bounded apart from that waiting: SERVER_ERROR_ATTEMPTS answers or SERVER_ERROR_WINDOW_MS after the
 *   first, then the send fails as SendRejected;
 * - "number does not exist" is asked again once, after wa-js's 15 s cache of a failed look-up has expired;
 * - a look-up for an earlier send that keeps failing is decided (send) instead of looping.
 * What an attempt learnt travels to the next in the heartbeat details (AttemptMarker), which Temporal hands
 * to the retry.
 *
 * An assistant reply (`SendTextInput.reply`) is recorded here as soon as WhatsApp took it: the sent row in
 * place of the pending one, and the burst's message workflows (activities/message-records.ts). A failure to
 * record leaves the sent message in the marker, and the retry only records; a retry after a worker that died
 * once it had recorded finds its own recorded reply in the look-up.
 */

export interface SessionGate {
  /** Throws a retryable 'WppSessionUnavailable' failure while the session keeper knows the session is down. */
  assertSessionUsable(session: string): Promise<void>;
}

/** Bounds of one send; the defaults are the product's, tests shorten them. */
export interface SendTiming {
  /** WPPConnect's 500s allowed to one send... */
  serverErrorAttempts: number;
  /** ...and for how long after the first one. */
  serverErrorWindowMs: number;
  /** wa-js keeps a failed number look-up for 15 s: "does not exist" is asked again only after this. */
  recipientRecheckMs: number;
  /** Failed look-ups for an earlier send, in a row, before the send goes anyway. */
  lookupAttempts: number;
}

export const SEND_TIMING: SendTiming = {
  serverErrorAttempts: 5,
  serverErrorWindowMs: 5 * 60_000,
  recipientRecheckMs: 16_000,
  lookupAttempts: 3,
};

export interface SendActivityDeps {
  wpp: IWhatsAppService;
  /**
   * Tells which of our messages in the chat are already recorded replies (so not this send, unless recorded
   * as this very reply), and keeps the pending row of a reply that waits.
   */
  repo: Pick<
    IConversationRepository,
    'findExistingMessageIds' | 'getChatSession' | 'getMessage' | 'hasInboundAfter' | 'upsertPendingMessage'
  >;
  /** Records an assistant reply once WhatsApp took it (`SendTextInput.reply`). */
  records: Pick<MessageRecords, 'recordReply'>;
  mediaStore: MediaStore;
  sessionGate?: SessionGate;
  timing?: Partial<SendTiming>;
}

export interface SendTextInput {
  session: string;
  chatId: string;
  text: string;
  /**
   * The newest patient message this reply answers: a duplicate can only be a message after it. Given only
   * for the assistant's replies, which get a pending row in the history while they wait.
   */
  anchorMessageId?: string;
  /**
   * ISO time after which this text must not be sent as it is (REPLY_MAX_AGE after its assessment): the
   * attempt fails with the non-retryable `ReplyExpired` and the conversation writes it again.
   */
  notAfter?: string;
  /**
   * An assistant reply (given with `anchorMessageId`): once WhatsApp took it, the same activity records it in
   * place of its pending row and starts the burst's message workflows (activities/message-records.ts), so the
   * conversation needs no step of its own for that. An attempt that fails only at recording leaves the sent
   * message in its heartbeat details: the retry records it without sending again.
   */
  reply?: ReplyRecord;
  /**
   * A reply to a lone message, handed over before the chat went quiet (QUIET_WINDOW_MS after the message
   * arrived): the first attempt waits for the quiet, and sends nothing if meanwhile the chat logged another
   * patient message after the anchor or a person took it over (`superseded`: the conversation goes on from
   * there, answering the burst or recording the pause).
   */
  quiet?: QuietWait;
}

/** When the chat goes quiet: at `until` (ISO, workflow time), `forMs` after the send was handed over. */
export interface QuietWait {
  until: string;
  /** Bounds the wait when this worker's clock and Temporal's disagree (or a test server skipped time). */
  forMs: number;
}

/** How long to wait for the quiet from now: until `until`, never longer than `forMs`. */
export function quietWaitMs(quiet: QuietWait, nowMs: number): number {
  const untilMs = Date.parse(quiet.until);
  const left = Number.isNaN(untilMs) ? quiet.forMs : untilMs - nowMs;
  return Math.max(0, Math.min(left, quiet.forMs));
}

export interface SendMediaInput {
  session: string;
  chatId: string;
  type: 'image' | 'document';
  /** Name under MEDIA_STORAGE_PATH/outbound. */
  mediaFile: string;
  mimetype: string;
  filename?: string;
  caption?: string;
}

export interface SendResult {
  messageId: string;
  chatId: string;
  ack: number;
  /** true when an earlier attempt had already sent it: nothing was sent this time. */
  alreadySent: boolean;
  /** true when nothing was sent (`quiet`): the patient wrote again, or a person took the chat over, before it went quiet. */
  superseded?: boolean;
}

/** What one attempt leaves for the next in its heartbeat details. */
export interface AttemptMarker {
  /** When the send was first scheduled (ms, Temporal's clock): a retry looks for an earlier send from then on. */
  startedAtMs: number;
  /** The attempt these details end; any other number means the previous attempt died without a word. */
  endedAttempt?: number;
  /** An attempt may have reached WhatsApp (its send got no definite answer): look before sending again. */
  maybeSent?: boolean;
  /** WPPConnect's 500s so far, and when the first came. */
  serverErrors?: number;
  firstServerErrorAtMs?: number;
  /** When WPPConnect first said the number does not exist. */
  recipientMissingAtMs?: number;
  /** Look-ups for an earlier send that failed in a row. */
  lookupFailures?: number;
  /** WhatsApp took the message, but recording it failed: the next attempt only records it. */
  sent?: { messageId: string; chatId: string; ack: number };
}

export { pendingReplyId } from './message-records';

/** How many recent chat messages a retried attempt inspects. */
const LOOKBACK_MESSAGES = 50;
/** WhatsApp's clock and ours may disagree a little. */
const CLOCK_SLACK_SECONDS = 120;
const HEARTBEAT_EVERY_MS = 5_000;

/**
 * Maps WPPConnect client errors to failures the workflow's retry policy understands. Only a recipient
 * that does not exist and an answer we cannot read are permanent; a wrong token or secret waits for the
 * operator (the session keeper reports it) like a session that is down.
 */
export function toActivityFailure(err: unknown): unknown {
  if (!isWppError(err)) return err;
  switch (err.type) {
    case 'WppRecipientNotFound':
      return ApplicationFailure.nonRetryable(err.message, FailureType.RecipientNotFound);
    case 'WppProtocol':
    case 'WppResponseTooLarge':
      return ApplicationFailure.nonRetryable(err.message, FailureType.WppProtocol);
    default:
      return ApplicationFailure.retryable(err.message, err.type);
  }
}

/**
 * Our messages in the chat that could be this send made by an earlier attempt: same content, from us,
 * after the patient message being answered (when it is in sight), not older than the first attempt, and
 * not a message already recorded as another reply (the rules engine may write the same text twice).
 */
export function findEarlierSend(
  messages: WppMessage[],
  matches: (m: WppMessage) => boolean,
  opts: { anchorMessageId?: string; notBeforeSeconds: number; recordedIds?: ReadonlySet<string> },
): WppMessage | undefined {
  const anchorIndex = opts.anchorMessageId ? messages.findIndex((m) => m.id === opts.anchorMessageId) : -1;
  const afterAnchor = anchorIndex >= 0 ? messages.slice(anchorIndex + 1) : messages;
  return afterAnchor.find(
    (m) => m.fromMe && m.t >= opts.notBeforeSeconds && !opts.recordedIds?.has(m.id) && matches(m),
  );
}

/** Errors after which the session (or our token) must come back before anything can be sent: wait. */
function waitsForSession(err: unknown): boolean {
  return (
    isWppError(err) &&
    (err.type === 'WppSessionUnavailable' || err.type === 'WppAuth' || err.type === 'WppSecretRejected')
  );
}

function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface SendSpec {
  session: string;
  chatId: string;
  /** Text shown on the pending row of a reply (undefined: not a reply, no pending row). */
  pendingText?: string;
  anchorMessageId?: string;
  notAfter?: string;
  /** Recognises this send among the chat's messages. */
  matches: (m: WppMessage) => boolean;
  send: () => Promise<SentMessage>;
  /** An assistant reply (sendText's `reply`): how its recorded row is recognised, and how to record it. */
  reply?: ReplyRecord;
  record?: (messageId: string) => Promise<void>;
  /** sendText's `quiet`. */
  quiet?: QuietWait;
}

/** A recorded row that is this very reply (an earlier attempt sent and recorded it, then its worker died). */
function isThisReply(row: ConversationMessageRecord, reply: ReplyRecord, anchorMessageId: string): boolean {
  const inReplyTo = row.metadata.inReplyTo;
  return (
    row.direction === 'outbound' &&
    row.senderType === 'assistant' &&
    row.deliveryStatus !== 'pending' &&
    row.deliveryStatus !== 'failed' &&
    row.metadata.workflowId === reply.conversationWorkflowId &&
    Array.isArray(inReplyTo) &&
    inReplyTo.includes(anchorMessageId)
  );
}

export function createSendActivities({ wpp, repo, records, mediaStore, sessionGate, timing }: SendActivityDeps) {
  const bounds: SendTiming = { ...SEND_TIMING, ...timing };

  /** The reply waits: its row in the history says why (best effort, never in the way of the send). */
  const holdPending = async (spec: SendSpec, reason: string): Promise<void> => {
    const workflowId = activityInfo().workflowExecution?.workflowId;
    if (spec.pendingText === undefined || workflowId === undefined) return;
    try {
      await repo.upsertPendingMessage({
        session: spec.session,
        chatId: spec.chatId,
        messageId: pendingReplyId(workflowId),
        timestamp: new Date(),
        direction: 'outbound',
        senderType: 'assistant',
        messageType: 'text',
        content: spec.pendingText,
        statusReason: reason.slice(0, 500),
        metadata: { workflowId, waiting: true, ...(spec.anchorMessageId ? { inReplyTo: [spec.anchorMessageId] } : {}) },
      });
    } catch (err) {
      log.warn('could not record the reply as pending', { error: why(err) });
    }
  };

  /** Sleeps (cancellable), heartbeating the marker so the attempt stays alive and keeps what it knows. */
  const wait = async (ms: number, marker: AttemptMarker): Promise<void> => {
    for (let left = ms; left > 0; left -= HEARTBEAT_EVERY_MS) {
      await sleep(Math.min(left, HEARTBEAT_EVERY_MS));
      heartbeat(marker);
    }
  };

  /** Sleeps (cancellable) until `atMs`, heartbeating only if that is long enough for the heartbeat timeout to matter. */
  const untilQuiet = async (atMs: number): Promise<void> => {
    for (let left = atMs - Date.now(); left > 0; left = atMs - Date.now()) {
      await sleep(Math.min(left, HEARTBEAT_EVERY_MS));
      if (atMs - Date.now() > 0) heartbeat();
    }
  };

  /**
   * A reply handed over before the quiet is still due when the patient did not write again meanwhile and no
   * person took the chat over (the API and the console write the chat's status as they signal a handoff).
   */
  const stillDue = async (spec: SendSpec): Promise<boolean> => {
    if (spec.anchorMessageId === undefined) return true;
    const chat = await repo.getChatSession(spec.session, spec.chatId);
    if (chat?.status === 'handoff' || chat?.status === 'escalated') return false;
    return !(await repo.hasInboundAfter(spec.session, spec.chatId, spec.anchorMessageId));
  };

  const lookForEarlierSend = async (spec: SendSpec, startedAtMs: number): Promise<SendResult | undefined> => {
    const recent = await wpp.getMessages(spec.session, spec.chatId, { count: LOOKBACK_MESSAGES });
    const ours = recent.filter((m) => m.fromMe).map((m) => m.id);
    const recordedIds = await repo.findExistingMessageIds(spec.session, ours);
    if (spec.reply && spec.anchorMessageId !== undefined) {
      // An attempt whose worker died after it recorded this reply: its row is this send, not another reply.
      for (const id of recordedIds) {
        const row = await repo.getMessage(spec.session, id);
        if (row && isThisReply(row, spec.reply, spec.anchorMessageId)) {
          log.warn('a previous attempt already sent and recorded this reply; not sending again', {
            attempt: activityInfo().attempt,
          });
          return { messageId: row.messageId, chatId: row.chatId, ack: 1, alreadySent: true };
        }
      }
    }
    const earlier = findEarlierSend(recent, spec.matches, {
      anchorMessageId: spec.anchorMessageId,
      notBeforeSeconds: Math.floor(startedAtMs / 1000) - CLOCK_SLACK_SECONDS,
      recordedIds,
    });
    if (!earlier) return undefined;
    log.warn('a previous attempt already sent this message; not sending again', { attempt: activityInfo().attempt });
    return { messageId: earlier.id, chatId: earlier.chatId, ack: 1, alreadySent: true };
  };

  const run = async (spec: SendSpec): Promise<SendResult> => {
    const info = activityInfo();
    const previous = info.heartbeatDetails as AttemptMarker | undefined;
    // Every attempt's info has when the send was first scheduled: no attempt can have sent before then.
    const marker: AttemptMarker = previous ? { ...previous } : { startedAtMs: info.scheduledTimestampMs };
    // WhatsApp took it in an earlier attempt, whose recording failed: only record it (never send again).
    if (marker.sent) return recorded(spec, { ...marker.sent, alreadySent: true }, marker, info.attempt);
    // A reply handed over before the chat went quiet: the first attempt waits for the quiet, then goes only if
    // the patient did not write again (later attempts were decided already).
    if (spec.quiet !== undefined && previous === undefined && info.attempt === 1) {
      await untilQuiet(Date.now() + quietWaitMs(spec.quiet, Date.now()));
      if (!(await stillDue(spec))) {
        return { messageId: '', chatId: spec.chatId, ack: 0, alreadySent: false, superseded: true };
      }
    }
    // Did an earlier attempt perhaps send? Yes when one said so, and when the previous one ended without
    // saying how (the worker died, the attempt timed out while its call was in flight).
    let uncertain = info.attempt > 1 && (marker.maybeSent === true || marker.endedAttempt !== info.attempt - 1);
    marker.endedAttempt = undefined;
    marker.maybeSent = uncertain;
    // A first attempt has nothing to tell the next one yet (a retry without details knows the previous attempt
    // ended without a word): it sends no heartbeat unless it has to wait or fail, which saves the Temporal
    // server a write for every send.
    if (previous) heartbeat(marker);

    /** Ends this attempt with `failure`, leaving what it learnt to the next one. */
    const end = (failure: unknown, maybeSentNow: boolean): unknown => {
      marker.endedAttempt = info.attempt;
      marker.maybeSent = uncertain || maybeSentNow;
      heartbeat(marker);
      return failure;
    };

    // While the keeper knows the session is down, wait here (retry backoff) before any WPPConnect call.
    if (sessionGate) {
      try {
        await sessionGate.assertSessionUsable(spec.session);
      } catch (err) {
        await holdPending(spec, `waiting for the WhatsApp session: ${why(err)}`);
        throw end(err, false);
      }
    }

    if (marker.recipientMissingAtMs !== undefined) {
      await wait(marker.recipientMissingAtMs + bounds.recipientRecheckMs - Date.now(), marker);
    }

    if (uncertain) {
      try {
        const earlier = await lookForEarlierSend(spec, marker.startedAtMs);
        if (earlier) return recorded(spec, earlier, marker, info.attempt);
        uncertain = false; // checked: nothing of ours is there
        marker.lookupFailures = 0;
      } catch (err) {
        if (waitsForSession(err)) {
          await holdPending(spec, `waiting for the WhatsApp session: ${why(err)}`);
          throw end(toActivityFailure(err), false);
        }
        if (isWppError(err) && err.type === 'WppOperationFailed') {
          // WhatsApp cannot open the chat ("Error on open list"): no earlier send of ours can be in it.
          uncertain = false;
        } else {
          marker.lookupFailures = (marker.lookupFailures ?? 0) + 1;
          if (marker.lookupFailures < bounds.lookupAttempts) {
            await holdPending(spec, `checking WhatsApp for an earlier attempt failed: ${why(err)}`);
            throw end(
              ApplicationFailure.retryable(`look-up for an earlier send failed: ${why(err)}`, 'WppTransient'),
              false,
            );
          }
          // The patient waiting for no answer is worse than a reply that may come twice.
          log.warn('could not check the chat for an earlier attempt; sending anyway', {
            lookupFailures: marker.lookupFailures,
          });
        }
      }
    }

    if (spec.notAfter !== undefined && Date.now() > Date.parse(spec.notAfter)) {
      throw ApplicationFailure.nonRetryable(
        `the reply was written at least REPLY_MAX_AGE ago (not after ${spec.notAfter})`,
        FailureType.ReplyExpired,
      );
    }

    let sent: SentMessage;
    try {
      sent = await spec.send();
    } catch (err) {
      throw await failedSend(spec, err, marker, end);
    }
    return recorded(spec, { ...sent, alreadySent: false }, marker, info.attempt);
  };

  /**
   * Records an assistant reply WhatsApp took (nothing to do for other sends). When that fails, the sent
   * message goes to the next attempt in the heartbeat details, and that attempt only records it.
   */
  const recorded = async (
    spec: SendSpec,
    result: SendResult,
    marker: AttemptMarker,
    attempt: number,
  ): Promise<SendResult> => {
    if (!spec.record) return result;
    marker.sent = { messageId: result.messageId, chatId: result.chatId, ack: result.ack };
    try {
      await spec.record(result.messageId);
    } catch (err) {
      marker.endedAttempt = attempt;
      heartbeat(marker);
      throw ApplicationFailure.retryable(
        `WhatsApp took the reply (${result.messageId}), but recording it failed: ${why(err)}`,
        FailureType.ReplyNotRecorded,
      );
    }
    return result;
  };

  /** Decides what a failed send call means: wait, ask again, or give up. */
  const failedSend = async (
    spec: SendSpec,
    err: unknown,
    marker: AttemptMarker,
    end: (failure: unknown, maybeSentNow: boolean) => unknown,
  ): Promise<unknown> => {
    if (!isWppError(err)) return end(err, true);
    if (waitsForSession(err)) {
      // Refused before anything was sent: 404 from statusConnection, 401 from verifyToken.
      await holdPending(spec, `waiting for the WhatsApp session: ${err.message}`);
      return end(toActivityFailure(err), false);
    }
    if (err.type === 'WppRecipientNotFound') {
      if (err.status === 0 || marker.recipientMissingAtMs !== undefined) return toActivityFailure(err);
      // wa-js caches a failed look-up for 15 s, and the existence query can fail for a number that exists:
      // ask once more after the cache. The server goes on after its 400 (wppconnect/CONTRACT.md §3.1): it may have sent.
      marker.recipientMissingAtMs = Date.now();
      const again = Math.ceil(bounds.recipientRecheckMs / 1000);
      await holdPending(spec, `WhatsApp said the number does not exist; asking again in ${again} s`);
      return end(
        ApplicationFailure.create({
          message: `${err.message}; asking again after wa-js's look-up cache`,
          type: 'WppRecipientNotFound',
          nonRetryable: false,
          nextRetryDelay: bounds.recipientRecheckMs,
        }),
        true,
      );
    }
    if (err.type === 'WppTransient' && err.status === 500) {
      const now = Date.now();
      marker.serverErrors = (marker.serverErrors ?? 0) + 1;
      marker.firstServerErrorAtMs ??= now;
      const seconds = Math.round((now - marker.firstServerErrorAtMs) / 1000);
      if (
        marker.serverErrors >= bounds.serverErrorAttempts ||
        now - marker.firstServerErrorAtMs >= bounds.serverErrorWindowMs
      ) {
        return ApplicationFailure.nonRetryable(
          `WPPConnect answered 500 to ${marker.serverErrors} attempts of this send over ${seconds} s; giving up`,
          FailureType.SendRejected,
        );
      }
      await holdPending(
        spec,
        `WPPConnect failed to send (500, ${marker.serverErrors} of at most ${bounds.serverErrorAttempts}); retrying`,
      );
      return end(toActivityFailure(err), true);
    }
    if (err.type === 'WppTransient') {
      // A refused connection never reached the server; a timeout may have.
      await holdPending(spec, `WPPConnect did not answer: ${err.message}; retrying`);
      return end(toActivityFailure(err), !(err.status === 0 && err.bodyExcerpt === 'ECONNREFUSED'));
    }
    return end(toActivityFailure(err), true);
  };

  return {
    async sendText(input: SendTextInput): Promise<SendResult> {
      // Only a reply to patient messages (it has an anchor) is recorded here.
      const reply = input.anchorMessageId !== undefined ? input.reply : undefined;
      return run({
        session: input.session,
        chatId: input.chatId,
        pendingText: input.anchorMessageId !== undefined ? input.text : undefined,
        anchorMessageId: input.anchorMessageId,
        notAfter: input.notAfter,
        ...(input.anchorMessageId !== undefined && input.quiet !== undefined ? { quiet: input.quiet } : {}),
        matches: (m) => (m.body ?? '') === input.text,
        send: () => wpp.sendText(input.session, { to: input.chatId, text: input.text }),
        ...(reply
          ? {
              reply,
              record: (messageId: string) =>
                records.recordReply(input.session, input.chatId, reply, { messageId, content: input.text }),
            }
          : {}),
      });
    },

    async sendMedia(input: SendMediaInput): Promise<SendResult> {
      const wanted = input.type === 'image' ? ['image'] : ['document'];
      return run({
        session: input.session,
        chatId: input.chatId,
        matches: (m) =>
          wanted.includes(m.type) &&
          (m.caption ?? '') === (input.caption ?? '') &&
          (input.type === 'image' || input.filename === undefined || m.filename === input.filename),
        send: async () => {
          let data: Buffer;
          try {
            data = await mediaStore.readOutbound(input.mediaFile);
          } catch (err) {
            throw ApplicationFailure.nonRetryable(why(err), FailureType.MediaNotFound);
          }
          const file = {
            to: input.chatId,
            base64: data.toString('base64'),
            mimetype: input.mimetype,
            filename: input.filename,
            caption: input.caption,
          };
          return input.type === 'image' ? wpp.sendImage(input.session, file) : wpp.sendDocument(input.session, file);
        },
      });
    },
  };
}

export type SendActivities = ReturnType<typeof createSendActivities>;
