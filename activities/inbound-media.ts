/**
 * The media of a patient's message, moved to MEDIA_STORAGE_PATH beside the conversation's line (the chat is
 * answered without waiting for it). Media never stops a chat or the worker:
 * - the size WhatsApp announced is checked before anything is fetched, and bytes streamed from WPPConnect are
 *   counted and written to disk as they come, so a file over MEDIA_MAX_BYTES is refused (MediaTooLarge)
 *   without ever being held whole;
 * - WPPConnect's 400 (unknown message) and 500 (download or decryption failed) get a few attempts, then the
 *   fetch ends as MediaUnavailable; every attempt is bounded in time, and the activity ends the fetch itself
 *   at its last attempt;
 * - whatever ends a fetch, the message's row keeps the reason (StatusReason, flag `media-unavailable`), so
 *   operators see why its media is missing.
 */
import { activityInfo, ApplicationFailure, Context, heartbeat, log } from '@temporalio/activity';
import { FailureType, type InboundMessage } from '../contracts';
import type { IConversationRepository } from '../db/types';
import { extensionFor, MediaError, type InboundMediaWriter, type MediaStore, type StoredMedia } from '../media/store';
import { isWppError, WppResponseTooLargeError } from '../wppconnect/errors';
import type { IWhatsAppService } from '../wppconnect/types';

/**
 * Attempts of one fetch at most (fewer when the retry policy allows fewer): the last one ends the fetch
 * here, so the row gets its reason (workflows/presets.ts MEDIA allows as many).
 */
export const MEDIA_FETCH_ATTEMPTS = 4;
/** WPPConnect's 400 and 500 answers get this many attempts (the message may not be loaded yet). */
export const MEDIA_UNAVAILABLE_ATTEMPTS = 3;
/** Flag on a message row whose media could not be stored. */
export const MEDIA_UNAVAILABLE_FLAG = 'media-unavailable';
/** Time left to an attempt for recording why it failed, taken off its start-to-close timeout. */
const DEADLINE_MARGIN_MS = 15_000;
const HEARTBEAT_EVERY_MS = 5_000;

export interface InboundMediaDeps {
  repo: Pick<IConversationRepository, 'getMessage' | 'setMessageMedia' | 'flagMessage'>;
  mediaStore: MediaStore;
  wpp: Pick<IWhatsAppService, 'getMediaByMessage'>;
}

export interface StoreInboundMediaResult {
  stored: boolean;
  mediaPath?: string;
}

const MEDIA_ERROR_TYPE: Record<MediaError['code'], FailureType> = {
  MEDIA_TOO_LARGE: FailureType.MediaTooLarge,
  MEDIA_TYPE_NOT_ALLOWED: FailureType.MediaTypeNotAllowed,
  MEDIA_INVALID: FailureType.MediaInvalid,
  MEDIA_NOT_FOUND: FailureType.MediaNotFound,
};

interface Verdict {
  type: FailureType;
  /** For operators: why the media is missing. */
  reason: string;
}

/** A failure that ends the fetch now, or undefined when another attempt may help. */
export function finalVerdict(
  err: unknown,
  attempt: number,
  lastAttempt: number,
  maxBytes: number,
): Verdict | undefined {
  if (err instanceof MediaError) return { type: MEDIA_ERROR_TYPE[err.code], reason: err.message };
  if (err instanceof WppResponseTooLargeError) {
    return { type: FailureType.MediaTooLarge, reason: `larger than MEDIA_MAX_BYTES (${maxBytes} bytes)` };
  }
  if (isWppError(err)) {
    if (err.type === 'WppProtocol') {
      return { type: FailureType.MediaUnavailable, reason: `WPPConnect's answer could not be read (${err.message})` };
    }
    const refused =
      err.status === 400
        ? 'WPPConnect does not know the message (400)'
        : err.status === 500
          ? 'WPPConnect could not download or decrypt it (500)'
          : undefined;
    if (refused !== undefined) {
      return attempt >= Math.min(MEDIA_UNAVAILABLE_ATTEMPTS, lastAttempt)
        ? { type: FailureType.MediaUnavailable, reason: `${refused}, ${attempt} attempts` }
        : undefined;
    }
  }
  if (attempt >= lastAttempt) {
    const why = err instanceof Error ? err.message : String(err);
    return { type: FailureType.MediaUnavailable, reason: `${attempt} attempts failed, the last with: ${why}` };
  }
  return undefined;
}

/** Heartbeats while the attempt runs (bytes may stop flowing for a while), and a deadline inside start-to-close. */
function attemptGuard(): { signal: AbortSignal; stop: () => void } {
  const info = activityInfo();
  const every = Math.min(HEARTBEAT_EVERY_MS, Math.max(500, (info.heartbeatTimeoutMs ?? HEARTBEAT_EVERY_MS * 3) / 3));
  const timer = setInterval(() => heartbeat(), every);
  const deadlineMs = Math.max(1_000, info.startToCloseTimeoutMs - DEADLINE_MARGIN_MS);
  const signal = AbortSignal.any([Context.current().cancellationSignal, AbortSignal.timeout(deadlineMs)]);
  return { signal, stop: () => clearInterval(timer) };
}

async function fetchFromWppconnect(
  { wpp, mediaStore }: InboundMediaDeps,
  message: InboundMessage,
  signal: AbortSignal,
): Promise<StoredMedia> {
  if (message.size !== undefined && message.size > mediaStore.maxBytes) {
    throw new MediaError(
      'MEDIA_TOO_LARGE',
      `WhatsApp announced ${message.size} bytes, over MEDIA_MAX_BYTES (${mediaStore.maxBytes} bytes)`,
    );
  }
  if (message.mimetype !== undefined && extensionFor(message.mimetype) === undefined) {
    throw new MediaError('MEDIA_TYPE_NOT_ALLOWED', `media type ${message.mimetype.slice(0, 80)} is not accepted`);
  }
  const writer: InboundMediaWriter = await mediaStore.createInboundWriter({
    session: message.session,
    messageId: message.messageId,
  });
  try {
    const download = await wpp.getMediaByMessage(message.session, message.messageId, {
      maxBytes: mediaStore.maxBytes,
      write: (chunk) => writer.write(chunk),
      signal,
    });
    return await writer.commit({ mimetype: message.mimetype ?? download.mimetype, filename: message.filename });
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

export async function storeInboundMedia(
  deps: InboundMediaDeps,
  message: InboundMessage,
): Promise<StoreInboundMediaResult> {
  const { repo, mediaStore } = deps;
  const media = message.media;
  if (!media) return { stored: false };
  const existing = await repo.getMessage(message.session, message.messageId);
  if (existing?.mediaPath) return { stored: true, mediaPath: existing.mediaPath };
  const staged = media.source === 'staged' ? media.stagingName : undefined;

  const guard = attemptGuard();
  try {
    let stored: StoredMedia | undefined;
    if (staged !== undefined) {
      // Staged by the API, which checked its size against MEDIA_MAX_BYTES before writing it.
      try {
        const data = await mediaStore.readStaged(staged);
        stored = await mediaStore.saveInbound({
          session: message.session,
          messageId: message.messageId,
          mimetype: message.mimetype ?? 'application/octet-stream',
          data,
          filename: message.filename,
        });
      } catch (err) {
        // The staging file is gone (written on another host): ask WPPConnect.
        if (!(err instanceof MediaError && err.code === 'MEDIA_NOT_FOUND')) throw err;
      }
    }
    stored ??= await fetchFromWppconnect(deps, message, guard.signal);
    await repo.setMessageMedia(message.session, message.messageId, stored.relativePath, stored.filename);
    if (staged !== undefined) await mediaStore.discardStaged(staged);
    return { stored: true, mediaPath: stored.relativePath };
  } catch (err) {
    const { attempt, retryPolicy } = activityInfo();
    const lastAttempt = Math.min(MEDIA_FETCH_ATTEMPTS, retryPolicy?.maximumAttempts || MEDIA_FETCH_ATTEMPTS);
    const verdict = finalVerdict(err, attempt, lastAttempt, mediaStore.maxBytes);
    if (verdict === undefined) throw err;
    if (staged !== undefined) await mediaStore.discardStaged(staged);
    const reason = `media not stored: ${verdict.reason}`;
    await repo.flagMessage(message.session, message.messageId, MEDIA_UNAVAILABLE_FLAG, reason);
    log.warn('inbound media not stored', { failure: verdict.type, attempt });
    throw ApplicationFailure.nonRetryable(reason, verdict.type);
  } finally {
    guard.stop();
  }
}
