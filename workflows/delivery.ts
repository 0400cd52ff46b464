/**
 * Delivery tracking shared by the workflows that send: acks arrive as messageAck signals (the API turns
 * every WPPConnect onack into one), statuses only move forward, and a reply still undelivered after
 * DELIVERY_TIMEOUT is reported as timed out so the caller can flag it.
 */
import { condition, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { MessageActivities } from '../activities/message-activities';
import { isForwardMove, type DeliveryStatus } from '../db/types';
import { messageAckSignal } from './definitions';

/** One look at WPPConnect: if the session is down the reply is flagged now and acks still update the row. */
const { reconcileDelivery } = proxyActivities<MessageActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
});

/** The repository's forward-only rule, applied to the status a workflow tracks. */
export function forward(from: DeliveryStatus, to: DeliveryStatus): DeliveryStatus {
  return isForwardMove(from, to) ? to : from;
}

/** After the first DELIVERY_TIMEOUT, WPPConnect is asked again this many times, one timeout apart. */
const RECONCILE_ROUNDS = 3;

export interface DeliveryTracker {
  /**
   * Waits until the message is delivered, read or failed. When DELIVERY_TIMEOUT passes first it asks
   * WPPConnect for the message's ack (ack webhooks are never retried and are lost while our API or the
   * session is down); still undelivered, `onOverdue` runs once (flag, alert) and the workflow keeps
   * looking for a few more timeouts, so a late delivery still reaches the record.
   */
  waitForDelivery(
    messageId: string,
    initial: DeliveryStatus,
    timeoutMs: number,
    where: { session: string; chatId: string },
    onOverdue: () => Promise<void>,
  ): Promise<{ status: DeliveryStatus; overdue: boolean }>;
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
    async waitForDelivery(messageId, initial, timeoutMs, where, onOverdue) {
      tracked = { messageId, status: initial };
      for (const e of early) if (e.messageId === messageId) tracked.status = forward(tracked.status, e.status);
      const t = tracked;
      const done = () => t.status === 'delivered' || t.status === 'read' || t.status === 'failed';
      let overdue = false;
      for (let round = 0; round <= RECONCILE_ROUNDS; round++) {
        if (await condition(done, timeoutMs)) break;
        try {
          t.status = forward(t.status, await reconcileDelivery({ ...where, messageId }));
        } catch (err) {
          if (isCancellation(err)) throw err;
        }
        if (done()) break;
        if (!overdue) {
          overdue = true;
          await onOverdue();
        }
      }
      return { status: t.status, overdue };
    },
    current: () => tracked?.status,
  };
}
