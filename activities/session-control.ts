import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../contracts';
import type { MediaStore } from '../media/store';
import { LogEvent, maskDigits, type Logger } from '../observability/logger';
import { webhookUrlFor } from '../wppconnect/client';
import { isWppError, WppOperationFailedError, type WppError } from '../wppconnect/errors';
import type { IWhatsAppService, SessionState } from '../wppconnect/types';

/**
 * Session control for the session keeper (workflows/session-keeper.ts): status checks, start, close and QR
 * publication. These activities hold what the workflow must never see: the WPPConnect token (cached inside
 * `wpp`), the webhook token (inside the webhook URL built here) and the QR bytes (written to the media
 * store). The keeper gets a fingerprint of the webhook URL, never the URL.
 */

export interface SessionControlConfig {
  sessions: string[];
  publicUrl: string;
  webhookToken: string;
  /** SESSION_STUCK_SECONDS in ms: how long a non-final state may last before the keeper acts. */
  stuckMs: number;
}

export interface SessionControlDeps {
  wpp: Pick<IWhatsAppService, 'getSessionStatus' | 'checkConnection' | 'startSession' | 'closeSession' | 'getQrCode'>;
  mediaStore: Pick<MediaStore, 'saveQr' | 'deleteQr'>;
  config: SessionControlConfig;
  logger: Logger;
}

export interface SessionInput {
  session: string;
}

export interface CheckSessionInput {
  session: string;
  /** What the keeper believed before this check: transitions are logged here, where pino lives. */
  previousState: string;
  /** The keeper stored a QR file that must go once the QR phase is over. */
  qrPublished: boolean;
}

/** The worker's current settings, read at every check so a changed configuration reaches a running keeper. */
export interface KeeperSettings {
  stuckMs: number;
  /** Fingerprint of the webhook URL this worker would hand to start-session. */
  webhook: string;
}

export interface CheckSessionResult {
  state: SessionState;
  qrAvailable: boolean;
  /** check-connection-session, asked only when status says CONNECTED (wppconnect/CONTRACT.md §7.6). */
  browserAlive?: boolean;
  qrCleared: boolean;
  settings: KeeperSettings;
}

export interface StartSessionResult {
  /** What start-session answered: the state *before* the call. */
  state: SessionState;
  /**
   * The server started the session with our webhook URL (it answered CLOSED); a running session ignores
   * start-session and keeps whatever URL it had (wppconnect/CONTRACT.md §2.2).
   */
  applied: boolean;
  /** Fingerprint of the webhook URL sent. */
  webhook: string;
}

export interface CloseSessionResult {
  /** close-session answered 200. */
  closed: boolean;
  /** When it did not: the server's status and answer (digits masked), for the log and the operator. */
  answer?: string;
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

/** A short, stable fingerprint of the webhook URL: enough to see a change, useless to rebuild the token. */
export function webhookFingerprint(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

/** Maps WPPConnect errors to failures the keeper can branch on; anything else is left to retries. */
export function toActivityFailure(err: unknown): unknown {
  if (!isWppError(err)) return err;
  if (err.retryable) return ApplicationFailure.retryable(err.message, err.type);
  return ApplicationFailure.nonRetryable(err.message, err.type);
}

export async function wppCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err);
  }
}

function answerOf(err: WppError): string {
  return `${err.status} ${maskDigits(err.bodyExcerpt)}`.trim();
}

/** States after which a failed check means WhatsApp was lost now (not again). */
const ALREADY_DOWN = new Set(['UNREACHABLE', 'AUTH_FAILED']);

export function createSessionControlActivities({ wpp, mediaStore, config, logger }: SessionControlDeps) {
  const assertKnownSession = (session: string): void => {
    if (!config.sessions.includes(session)) {
      throw ApplicationFailure.nonRetryable(`session ${session} is not configured`, FailureType.UnknownSession);
    }
  };
  const webhookUrl = (session: string): string => webhookUrlFor(config.publicUrl, session, config.webhookToken);
  const settingsFor = (session: string): KeeperSettings => ({
    stuckMs: config.stuckMs,
    webhook: webhookFingerprint(webhookUrl(session)),
  });

  return {
    /**
     * status-session (+ check-connection when CONNECTED); the client regenerates the token on a 401 and
     * tries transient failures WPPCONNECT_MAX_RETRIES times before this fails.
     */
    async checkSession({ session, previousState, qrPublished }: CheckSessionInput): Promise<CheckSessionResult> {
      assertKnownSession(session);
      let state: SessionState;
      let qrAvailable: boolean;
      let browserAlive: boolean | undefined;
      try {
        ({ state, qrAvailable } = await wpp.getSessionStatus(session));
        browserAlive = state === 'CONNECTED' ? await wpp.checkConnection(session) : undefined;
      } catch (err) {
        // WPPConnect unreachable, or refusing our secret or token: the session is lost to us all the same.
        if (isWppError(err) && !ALREADY_DOWN.has(previousState)) {
          const reason = err.type === 'WppTransient' ? 'unreachable' : 'refused';
          logger.warn(
            { event: LogEvent.SessionDisconnected, session, previousState, reason, failure: err.type },
            reason === 'unreachable' ? 'WPPConnect unreachable: session lost' : 'WPPConnect refuses our token',
          );
        }
        throw toActivityFailure(err);
      }
      const healthy = state === 'CONNECTED' && browserAlive === true;
      if (healthy && previousState !== 'CONNECTED') {
        logger.info({ event: LogEvent.SessionConnected, session }, 'WhatsApp session connected');
      } else if (!healthy && previousState === 'CONNECTED') {
        logger.warn(
          { event: LogEvent.SessionDisconnected, session, state, browserAlive },
          'WhatsApp session disconnected',
        );
      }
      // Only a QRCODE/PHONECODE status makes a QR meaningful (stale ones stay on the server).
      const inQrPhase = state === 'QRCODE' || state === 'PHONECODE';
      let qrCleared = false;
      if (qrPublished && !inQrPhase) {
        await mediaStore.deleteQr(session);
        qrCleared = true;
      }
      return {
        state,
        qrAvailable: inQrPhase && qrAvailable,
        browserAlive,
        qrCleared,
        settings: settingsFor(session),
      };
    },

    /** start-session with our webhook URL (it carries WEBHOOK_TOKEN, so it is built here, not in history). */
    async startSession({ session }: SessionInput): Promise<StartSessionResult> {
      assertKnownSession(session);
      const url = webhookUrl(session);
      const status = await wppCall(() => wpp.startSession(session, { webhookUrl: url }));
      const applied = status.state === 'CLOSED';
      logger.info({ session, state: status.state, applied }, 'start-session requested');
      return { state: status.state, applied, webhook: webhookFingerprint(url) };
    },

    /**
     * close-session. The server answers 500 for a session that never started, and for one still starting:
     * it has then already reset its record and the browser runs on (wppconnect/CONTRACT.md §2.6). That answer is returned
     * (and logged as a warning) so the keeper can decide; unreachable or refused still fails the activity.
     */
    async closeSession({ session }: SessionInput): Promise<CloseSessionResult> {
      assertKnownSession(session);
      try {
        await wpp.closeSession(session);
        return { closed: true };
      } catch (err) {
        if (!(err instanceof WppOperationFailedError)) throw toActivityFailure(err);
        const answer = answerOf(err);
        logger.warn({ session, failure: err.type, answer }, 'close-session failed');
        return { closed: false, answer };
      }
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
  };
}

export type SessionControlActivities = ReturnType<typeof createSessionControlActivities>;
