import { activityInfo, ApplicationFailure, heartbeat, log } from '@temporalio/activity';
import { FailureType } from '../contracts';
import type { IConversationRepository } from '../db/types';
import type { MediaStore } from '../media/store';
import { isWppError } from '../wppconnect/errors';
import type { IWhatsAppService, SentMessage, WppMessage } from '../wppconnect/types';

/**
 * Send activities run on their own task queue (`<queue>-sends`), where the worker enforces
 * WPPCONNECT_SENDS_PER_SECOND. Before a retried attempt sends, it looks at the chat on WPPConnect for the
 * message an earlier attempt may already have sent (worker killed after WPPConnect accepted it, a timeout
 * whose request did go through...), so the patient never gets it twice.
 */

export interface SessionGate {
  /** Throws a retryable 'WppSessionUnavailable' failure while the session keeper knows the session is down. */
  assertSessionUsable(session: string): Promise<void>;
}

export interface SendActivityDeps {
  wpp: IWhatsAppService;
  /** Tells which of our messages in the chat are already recorded replies (so not this send). */
  repo: Pick<IConversationRepository, 'findExistingMessageIds'>;
  mediaStore: MediaStore;
  sessionGate?: SessionGate;
}

export interface SendTextInput {
  session: string;
  chatId: string;
  text: string;
  /** The newest patient message this reply answers: a duplicate can only be a message after it. */
  anchorMessageId?: string;
  /**
   * ISO time after which this text must not be sent as it is (REPLY_MAX_AGE after its assessment): the
   * attempt fails with the non-retryable `ReplyExpired` and the conversation writes it again.
   */
  notAfter?: string;
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
}

interface AttemptMarker {
  startedAtMs: number;
}

/** How many recent chat messages a retried attempt inspects. */
const LOOKBACK_MESSAGES = 50;
/** WhatsApp's clock and ours may disagree a little. */
const CLOCK_SLACK_SECONDS = 120;

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

export function createSendActivities({ wpp, repo, mediaStore, sessionGate }: SendActivityDeps) {
  /** The first attempt's start time travels in heartbeat details, so a retry knows where to look. */
  const attemptStart = (): { retry: boolean; startedAtMs: number } => {
    const info = activityInfo();
    const marker = info.heartbeatDetails as AttemptMarker | undefined;
    const startedAtMs = marker?.startedAtMs ?? Date.now();
    heartbeat({ startedAtMs } satisfies AttemptMarker);
    // Without a marker a retry still checks, over a generous window: the worker may have died before
    // its first heartbeat reached the server.
    const notBefore = marker?.startedAtMs ?? Date.now() - 6 * 60 * 60 * 1000;
    return { retry: info.attempt > 1, startedAtMs: notBefore };
  };

  const lookForEarlierSend = async (
    session: string,
    chatId: string,
    matches: (m: WppMessage) => boolean,
    anchorMessageId: string | undefined,
    startedAtMs: number,
  ): Promise<SendResult | undefined> => {
    const recent = await wpp.getMessages(session, chatId, { count: LOOKBACK_MESSAGES });
    const ours = recent.filter((m) => m.fromMe).map((m) => m.id);
    const recordedIds = await repo.findExistingMessageIds(session, ours);
    const earlier = findEarlierSend(recent, matches, {
      anchorMessageId,
      notBeforeSeconds: Math.floor(startedAtMs / 1000) - CLOCK_SLACK_SECONDS,
      recordedIds,
    });
    if (!earlier) return undefined;
    log.warn('a previous attempt already sent this message; not sending again', { attempt: activityInfo().attempt });
    return { messageId: earlier.id, chatId: earlier.chatId, ack: 1, alreadySent: true };
  };

  const guarded = async (send: () => Promise<SentMessage>): Promise<SentMessage> => {
    try {
      return await send();
    } catch (err) {
      throw toActivityFailure(err);
    }
  };

  return {
    async sendText(input: SendTextInput): Promise<SendResult> {
      const { retry, startedAtMs } = attemptStart();
      // While the keeper knows the session is down, wait here (retry backoff) before any WPPConnect call.
      if (sessionGate) await sessionGate.assertSessionUsable(input.session);
      if (retry) {
        const earlier = await lookForEarlierSend(
          input.session,
          input.chatId,
          (m) => (m.body ?? '') === input.text,
          input.anchorMessageId,
          startedAtMs,
        ).catch((err: unknown) => {
          throw toActivityFailure(err);
        });
        if (earlier) return earlier;
      }
      if (input.notAfter !== undefined && Date.now() > Date.parse(input.notAfter)) {
        throw ApplicationFailure.nonRetryable(
          `the reply was written at least REPLY_MAX_AGE ago (not after ${input.notAfter})`,
          FailureType.ReplyExpired,
        );
      }
      const sent = await guarded(() => wpp.sendText(input.session, { to: input.chatId, text: input.text }));
      return { ...sent, alreadySent: false };
    },

    async sendMedia(input: SendMediaInput): Promise<SendResult> {
      const { retry, startedAtMs } = attemptStart();
      if (sessionGate) await sessionGate.assertSessionUsable(input.session);
      if (retry) {
        const wanted = input.type === 'image' ? ['image'] : ['document'];
        const earlier = await lookForEarlierSend(
          input.session,
          input.chatId,
          (m) =>
            wanted.includes(m.type) &&
            (m.caption ?? '') === (input.caption ?? '') &&
            (input.type === 'image' || input.filename === undefined || m.filename === input.filename),
          undefined,
          startedAtMs,
        ).catch((err: unknown) => {
          throw toActivityFailure(err);
        });
        if (earlier) return earlier;
      }
      let data: Buffer;
      try {
        data = await mediaStore.readOutbound(input.mediaFile);
      } catch (err) {
        throw ApplicationFailure.nonRetryable((err as Error).message, FailureType.MediaNotFound);
      }
      const file = {
        to: input.chatId,
        base64: data.toString('base64'),
        mimetype: input.mimetype,
        filename: input.filename,
        caption: input.caption,
      };
      const sent = await guarded(() =>
        input.type === 'image' ? wpp.sendImage(input.session, file) : wpp.sendDocument(input.session, file),
      );
      return { ...sent, alreadySent: false };
    },
  };
}

export type SendActivities = ReturnType<typeof createSendActivities>;
