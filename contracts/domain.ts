/**
 * The vocabulary every process shares: message kinds, delivery statuses and their forward-only rule,
 * triage levels and WhatsApp session states. Pure values and types; imports nothing.
 */

export type SenderType = 'patient' | 'assistant' | 'human' | 'system';
export type MessageType =
  'text' | 'image' | 'document' | 'audio' | 'video' | 'location' | 'sticker' | 'contact' | 'other';
/** Forward-only: pending → sent → delivered → read; failed is terminal from any non-read state. */
export type DeliveryStatus = 'received' | 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
export type ChatStatus = 'active' | 'handoff' | 'escalated' | 'closed';
export type Direction = 'inbound' | 'outbound';

export const TRIAGE_LEVELS = ['emergency', 'urgent', 'routine', 'self-care', 'info'] as const;
export type TriageLevel = (typeof TRIAGE_LEVELS)[number];

/** `status-session` values of WPPConnect Server. There is no DISCONNECTED state. */
export type SessionState = 'CLOSED' | 'INITIALIZING' | 'QRCODE' | 'PHONECODE' | 'CONNECTED';

export const DELIVERY_ORDER: Record<DeliveryStatus, number> = {
  received: 0,
  pending: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  failed: 5,
};

/** Forward-only rule shared by every writer: read never turns into failed, failed never turns back. */
export function isForwardMove(from: DeliveryStatus | null, to: DeliveryStatus): boolean {
  if (from === null) return true;
  if (from === to) return false;
  if (from === 'failed') return false;
  if (to === 'failed') return from !== 'read' && from !== 'delivered';
  return DELIVERY_ORDER[to] > DELIVERY_ORDER[from];
}

/** WhatsApp ack value (docs/wppconnect.md, acks) to our delivery status. */
export function ackToStatus(ack: number): DeliveryStatus {
  if (ack < 0) return 'failed';
  if (ack === 0) return 'pending';
  if (ack === 1) return 'sent';
  if (ack === 2) return 'delivered';
  return 'read';
}
