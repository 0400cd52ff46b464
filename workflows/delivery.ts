/**
 * Delivery tracking shared by the workflows that send: acks arrive as messageAck signals (the API turns
 * every WPPConnect onack into one), statuses only move forward, and a reply still undelivered after
 * DELIVERY_TIMEOUT is reported as timed out so the caller can flag it.
 */
import { condition, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { MessageActivities } from '../activities/message-activities';
import type { DeliveryStatus } from '../db/types';
import { messageAckSignal } from './definitions';

/** One look at WPPConnect: if the session is down the reply is flagged now and acks still update the row. */
const { reconcileDelivery } = proxyActivities<MessageActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
});

const RANK: Record<DeliveryStatus, number> = { received: 0, pending: 1, sent: 2, delivered: 3, read: 4, failed: 5 };

export function forward(from: DeliveryStatus, to: DeliveryStatus): DeliveryStatus {
  if (from === 'failed' || from === to) return from;
  if (to === 'failed') return from === 'read' || from === 'delivered' ? from : 'failed';
  return RANK[to] > RANK[from] ? to : from;
}

export interface DeliveryTracker {
  /**
   * Resolves once the message is delivered, read or failed, or when the timeout passes. On timeout it
   * first asks WPPConnect for the message's ack (ack webhooks are never retried and can be lost), so
   * `timedOut` means WhatsApp itself has not delivered it.
   */
  waitForDelivery(
    messageId: string,
    initial: DeliveryStatus,
    timeoutMs: number,
    where: { session: string; chatId: string },
  ): Promise<{ status: DeliveryStatus; timedOut: boolean }>;
  current(): DeliveryStatus | undefined;
}

/** Registers the messageAck handler at once, so acks that arrive while the send is still running are kept. */
export function trackDelivery(): DeliveryTracker {
  const early: { messageId: string; status: DeliveryStatus }[] = [];
  let tracked: { messageId: string; status: DeliveryStatus } | undefined;

  setHandler(messageAckSignal, ({ messageId, status }) => {
    if (tracked && tracked.messageId === messageId) tracked.status = forward(tracked.status, status);
    else early.push({ messageId, status });
  });

  return {
    async waitForDelivery(messageId, initial, timeoutMs, where) {
      tracked = { messageId, status: initial };
      for (const e of early) if (e.messageId === messageId) tracked.status = forward(tracked.status, e.status);
      const t = tracked;
      const done = () => t.status === 'delivered' || t.status === 'read' || t.status === 'failed';
      const inTime = await condition(done, timeoutMs);
      if (inTime) return { status: t.status, timedOut: false };
      try {
        t.status = forward(t.status, await reconcileDelivery({ ...where, messageId }));
      } catch (err) {
        if (isCancellation(err)) throw err;
      }
      return { status: t.status, timedOut: !done() };
    },
    current: () => tracked?.status,
  };
}
