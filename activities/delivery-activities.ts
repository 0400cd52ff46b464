import { heartbeat, log } from '@temporalio/activity';
import { ackToStatus, plainWorkflowIds, type WorkflowIds } from '../contracts';
import type { ConversationMessageRecord, IConversationRepository } from '../db/types';
import { LogEvent, maskChatId } from '../observability/logger';
import type { IWhatsAppService } from '../wppconnect/types';
import type { AlertClient } from './alerts';

/**
 * The delivery watch, run by the session keeper every minute or so. Acks arrive as WPPConnect webhooks the
 * API records (forward-only); the webhook has no retry, so acks are lost while our API or the session is
 * down. The watch looks at our messages still without a delivered ack after DELIVERY_TIMEOUT, asks
 * WPPConnect for their ack, and flags those still undelivered (with an alert for escalated chats). It keeps
 * asking for three more timeouts, so a late delivery still reaches the record.
 */

/** After the first DELIVERY_TIMEOUT, WPPConnect is asked again until this many timeouts have passed. */
const WATCH_TIMEOUTS = 4;
/** Messages looked at per pass; the rest wait for the next one. */
const BATCH = 200;
/** Recent messages read per chat to find the acks. */
const LOOKBACK_MESSAGES = 50;

export interface DeliveryActivityDeps {
  repo: Pick<
    IConversationRepository,
    'findAwaitingDelivery' | 'recordDeliveryEvent' | 'flagMessage' | 'getChatSession'
  >;
  wpp: Pick<IWhatsAppService, 'getMessages'>;
  alerts: AlertClient;
  deliveryTimeoutMs: number;
  ids?: WorkflowIds;
  now?: () => number;
}

export interface WatchResult {
  checked: number;
  /** Found delivered (or read) on WPPConnect: their ack webhook had been lost. */
  reconciled: number;
  /** Newly flagged as undelivered. */
  flagged: number;
  alerted: number;
}

function isFlagged(m: ConversationMessageRecord): boolean {
  const flags = m.metadata.flags;
  return Array.isArray(flags) && flags.includes('undelivered');
}

export function createDeliveryActivities(deps: DeliveryActivityDeps) {
  const { repo, wpp, alerts, deliveryTimeoutMs } = deps;
  const now = deps.now ?? Date.now;
  const ids = deps.ids ?? plainWorkflowIds;

  return {
    /** `asOf` is the keeper's clock (workflow time), so the cutoff follows the workflow, also under time skipping. */
    async watchDeliveries({ session, asOf }: { session: string; asOf?: string }): Promise<WatchResult> {
      const at = asOf !== undefined ? Date.parse(asOf) : now();
      const awaiting = await repo.findAwaitingDelivery({
        session,
        sentBefore: new Date(at - deliveryTimeoutMs),
        sentAfter: new Date(at - WATCH_TIMEOUTS * deliveryTimeoutMs),
        limit: BATCH,
      });
      const byChat = new Map<string, ConversationMessageRecord[]>();
      for (const m of awaiting) byChat.set(m.chatId, [...(byChat.get(m.chatId) ?? []), m]);

      const result: WatchResult = { checked: awaiting.length, reconciled: 0, flagged: 0, alerted: 0 };
      for (const [chatId, messages] of byChat) {
        heartbeat();
        let acks = new Map<string, number>();
        try {
          const recent = await wpp.getMessages(session, chatId, { count: LOOKBACK_MESSAGES });
          acks = new Map(recent.filter((m) => m.fromMe && m.ack !== undefined).map((m) => [m.id, m.ack ?? 0]));
        } catch (err) {
          // The session may be down: the messages are flagged now and reconciled by a later pass.
          log.warn('could not read the chat to reconcile acks', { chat: maskChatId(chatId), error: String(err) });
        }
        const undelivered: ConversationMessageRecord[] = [];
        for (const m of messages) {
          const ack = acks.get(m.messageId);
          if (ack !== undefined && ack >= 2) {
            await repo.recordDeliveryEvent({
              session,
              messageId: m.messageId,
              status: ackToStatus(ack),
              ack,
              at: new Date(at),
              source: 'catch-up',
            });
            result.reconciled += 1;
          } else if (!isFlagged(m)) {
            undelivered.push(m);
          }
        }
        if (undelivered.length === 0) continue;
        const minutes = Math.max(1, Math.round(deliveryTimeoutMs / 60_000));
        for (const m of undelivered) {
          await repo.flagMessage(session, m.messageId, 'undelivered', `not delivered after ${minutes} minute(s)`);
          result.flagged += 1;
          log.warn('reply not delivered in time', {
            event: LogEvent.DeliveryTimeout,
            session,
            chat: maskChatId(chatId),
            senderType: m.senderType,
          });
        }
        const chat = await repo.getChatSession(session, chatId);
        if (chat?.status === 'escalated' && alerts.configured) {
          try {
            await alerts.post({
              kind: 'undelivered-escalated-reply',
              session,
              chatId,
              conversationWorkflowId: ids.conversation(session, chatId),
              messageId: undelivered[0]?.messageId,
            });
            result.alerted += 1;
          } catch (err) {
            // Flagged already: the console shows it; the alert endpoint's trouble is logged, not retried here.
            log.warn('undelivered-reply alert failed', { chat: maskChatId(chatId), error: String(err) });
          }
        }
      }
      return result;
    },
  };
}

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;
