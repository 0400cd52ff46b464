import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApplicationFailure, log } from '@temporalio/activity';
import { request, type Dispatcher } from 'undici';
import { FailureType } from '../contracts';
import type { AlertChannel, AlertStatus, IConversationRepository } from '../db/types';

/**
 * The one way the pipeline tells people something needs them: a JSON POST to CLINICIAN_ALERT_URL, used
 * for clinical escalations (conversation workflow) and for session problems (session keeper). No message
 * text leaves the system this way: an alert names the chat, the triage level and the red-flag rule ids;
 * people read the conversation in the operator console or through the API.
 */

export interface AlertClientOptions {
  url?: string;
  /** CLINICIAN_ALERT_SECRET: every alert then carries ALERT_SIGNATURE_HEADER. */
  secret?: string;
  /** NODE_ENV=production: a plain http: URL is refused unless it points at the local host. */
  production?: boolean;
  /** Per HTTP call (default 10 s). */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  /** Injected clock (milliseconds; the signature carries seconds). */
  now?: () => number;
}

/**
 * `X-Alert-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under CLINICIAN_ALERT_SECRET>`,
 * the scheme Stripe uses (Meta signs the body alone): the receiver recomputes it over the raw body, compares
 * in constant time and refuses a `t` more than a few minutes old, so a captured alert cannot be replayed.
 */
export const ALERT_SIGNATURE_HEADER = 'x-alert-signature';

export function signAlert(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** What a receiver does (docs/security.md): true when the header signs this body and is recent enough. */
export function verifyAlertSignature(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const fields = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = Number(fields.get('t'));
  const given = fields.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(given)) {
    return false;
  }
  const expected = signAlert(secret, body, t).split('v1=')[1] ?? '';
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(expected, 'hex'));
}

const isLocalHost = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

export interface AlertClient {
  /** false when no CLINICIAN_ALERT_URL is set: the console inbox is then the only channel. */
  readonly configured: boolean;
  /**
   * POSTs the alert. A 5xx, 408 or 429 (the receiver may be restarting) throws a retryable error; any
   * other 4xx throws the non-retryable `AlertRejected`.
   */
  post(alert: object): Promise<void>;
}

export function createAlertClient({
  url,
  secret,
  production = false,
  timeoutMs = 10_000,
  dispatcher,
  now = Date.now,
}: AlertClientOptions): AlertClient {
  if (url !== undefined && production) {
    const { protocol, hostname } = new URL(url);
    // An alert names a chat and its triage level: in clear only to the machine itself.
    if (protocol === 'http:' && !isLocalHost(hostname)) {
      throw new Error('CLINICIAN_ALERT_URL must be https: in production unless it points at the local host');
    }
  }
  return {
    configured: url !== undefined,
    async post(alert) {
      if (url === undefined) return;
      const at = now();
      const body = JSON.stringify({ ...alert, at: new Date(at).toISOString() });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (secret !== undefined) headers[ALERT_SIGNATURE_HEADER] = signAlert(secret, body, Math.floor(at / 1000));
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(dispatcher ? { dispatcher } : {}),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return;
      if (res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 408) {
        throw new Error(`alert endpoint answered ${res.statusCode}`);
      }
      throw ApplicationFailure.nonRetryable(
        `alert endpoint refused the alert with ${res.statusCode}`,
        FailureType.AlertRejected,
      );
    },
  };
}

export interface ClinicianAlert {
  kind: 'escalation' | 'undelivered-escalated-reply' | 'message-while-escalated';
  session: string;
  chatId: string;
  conversationWorkflowId: string;
  triageLevel?: string;
  redFlags?: string[];
  /** The reply concerned (undelivered-escalated-reply). */
  messageId?: string;
}

export interface OperatorAlert {
  type: 'session-qr' | 'session-stuck';
  session: string;
  /** What an operator should do (session-stuck). */
  action?: string;
  state?: string;
  since?: string;
}

export interface AlertResult {
  delivered: boolean;
}

export interface AlertActivityDeps {
  alerts: AlertClient;
  /** Where an escalation's alert outcome is recorded for the console inbox. */
  escalations?: Pick<IConversationRepository, 'recordEscalationAlert'>;
}

export function createAlertActivities({ alerts, escalations }: AlertActivityDeps) {
  /** Only the escalation alert itself is tracked on the escalation; follow-up alerts are not. */
  const recordOutcome = async (
    alert: ClinicianAlert,
    status: Exclude<AlertStatus, 'pending'>,
    channel: AlertChannel,
    detail?: string,
  ): Promise<void> => {
    if (alert.kind !== 'escalation' || !escalations) return;
    const { session, chatId } = alert;
    await escalations.recordEscalationAlert({ session, chatId, status, channel, detail, at: new Date() });
  };

  return {
    /**
     * Retried by the workflow's ALERT policy (a day). Without CLINICIAN_ALERT_URL nothing is posted and the
     * console inbox is the channel; either way the outcome is recorded on the escalation.
     */
    async alertClinician(alert: ClinicianAlert): Promise<AlertResult> {
      if (!alerts.configured) {
        await recordOutcome(alert, 'not-configured', 'console');
        return { delivered: false };
      }
      try {
        await alerts.post(alert);
      } catch (err) {
        const final = err instanceof ApplicationFailure && err.nonRetryable;
        // The endpoint's failure is what the workflow must see, not a failure to record it.
        await recordOutcome(alert, final ? 'rejected' : 'retrying', 'webhook', (err as Error).message).catch(
          (recordErr: unknown) => {
            log.warn('alert outcome not recorded', { error: (recordErr as Error).message });
          },
        );
        throw err;
      }
      await recordOutcome(alert, 'delivered', 'webhook');
      return { delivered: true };
    },

    async notifyOperators(alert: OperatorAlert): Promise<AlertResult> {
      if (!alerts.configured) return { delivered: false };
      await alerts.post(alert);
      return { delivered: true };
    },
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;
