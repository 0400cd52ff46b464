/**
 * The conversation store's public surface (the seed design's IConversationRepository, in TypeScript).
 * Repositories return plain objects, never Sequelize instances.
 */

import type { ChatStatus, DeliveryStatus, Direction, MessageType, SenderType } from '../contracts/domain';

export {
  ackToStatus,
  DELIVERY_ORDER,
  isForwardMove,
  type ChatStatus,
  type DeliveryStatus,
  type Direction,
  type MessageType,
  type SenderType,
} from '../contracts/domain';

export interface ChatSessionRecord {
  session: string;
  chatId: string;
  contactName: string | null;
  contactPhone: string | null;
  firstMessageAt: Date | null;
  lastMessageAt: Date | null;
  totalMessages: number;
  status: ChatStatus;
  patientId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConversationMessageRecord {
  id: number;
  session: string;
  chatId: string;
  /** WhatsApp message id (serialized), or `local:<uuid>` for an outbound message not yet accepted. */
  messageId: string;
  timestamp: Date;
  direction: Direction;
  senderType: SenderType;
  senderId: string | null;
  senderName: string | null;
  messageType: MessageType;
  content: string | null;
  mediaPath: string | null;
  mediaFilename: string | null;
  caption: string | null;
  metadata: Record<string, unknown>;
  deliveryStatus: DeliveryStatus;
  /** Why a message failed or was flagged (e.g. "recipient does not exist", "undelivered after 10 minutes"). */
  statusReason: string | null;
  createdAt: Date;
}

export interface LogMessageInput {
  session: string;
  chatId: string;
  messageId: string;
  timestamp: Date;
  direction: Direction;
  senderType: SenderType;
  senderId?: string | null;
  senderName?: string | null;
  messageType: MessageType;
  content?: string | null;
  mediaPath?: string | null;
  mediaFilename?: string | null;
  caption?: string | null;
  metadata?: Record<string, unknown>;
  deliveryStatus: DeliveryStatus;
  statusReason?: string | null;
  /** Contact details to keep on the chat session row. */
  contactName?: string | null;
  contactPhone?: string | null;
}

export interface LogMessageResult {
  message: ConversationMessageRecord;
  /** false when (session, messageId) already existed: the insert was a no-op. */
  created: boolean;
}

export interface DeliveryEventInput {
  session: string;
  messageId: string;
  status: DeliveryStatus;
  /** Raw WhatsApp ack value when the event came from an ack. */
  ack?: number;
  reason?: string;
  at: Date;
  source: 'webhook' | 'send' | 'timeout' | 'catch-up' | 'api';
}

export interface DeliveryUpdateResult {
  /**
   * true when the message's status moved forward; false when it was already as far (or further), or the
   * message is not recorded yet (the event is kept, and its insert applies it).
   */
  changed: boolean;
}

export interface HistoryQuery {
  session?: string;
  chatId: string;
  limit: number;
  before?: Date;
}

export interface RecentConversationsQuery {
  since?: Date;
  limit: number;
}

export interface SearchQuery {
  q: string;
  chatId?: string;
  senderType?: SenderType;
  messageType?: MessageType;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export interface SearchResult {
  total: number;
  items: ConversationMessageRecord[];
}

export interface ChatStats {
  chatId: string;
  total: number;
  byDirection: Record<Direction, number>;
  byType: Partial<Record<MessageType, number>>;
  byStatus: Partial<Record<DeliveryStatus, number>>;
  firstMessageAt: Date | null;
  lastMessageAt: Date | null;
  /** Time from a patient message to the next assistant/human reply, in milliseconds. */
  responseTimeMs: { count: number; median: number | null; p90: number | null };
}

export type OutboundRequestStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface OutboundRequestRecord {
  requestId: string;
  session: string;
  chatId: string;
  workflowId: string;
  /** sha256 of the request body, so a reused Idempotency-Key with a different body can be refused (409). */
  payloadHash: string | null;
  status: OutboundRequestStatus;
  reason: string | null;
  messageId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * How the clinician alert of an escalation went: `delivered` to CLINICIAN_ALERT_URL, `retrying` (the endpoint
 * failed, Temporal retries), `rejected` (the endpoint refused it for good), `not-configured` (no alert URL:
 * the console inbox is the channel). `pending` until the alert activity reports.
 */
export type AlertStatus = 'pending' | 'retrying' | 'delivered' | 'rejected' | 'not-configured';
/** Where an escalation reached people: the alert webhook, or only the operator console's inbox. */
export type AlertChannel = 'webhook' | 'console';

export interface EscalationRecord {
  id: number;
  session: string;
  chatId: string;
  escalatedAt: Date;
  triageLevel: string;
  /** Red-flag rule ids (e.g. "chest-pain-warning"). */
  redFlags: string[];
  alertStatus: AlertStatus;
  alertChannel: AlertChannel | null;
  /** Why an alert is not delivered yet (endpoint status), never message content. */
  alertDetail: string | null;
  alertAt: Date | null;
  /** `console:<username>` (or an API caller) who acknowledged it. */
  acknowledgedBy: string | null;
  acknowledgedAt: Date | null;
  /** The acknowledging person's note. */
  note: string | null;
  /** Open until the chat is handed back to the assistant. */
  resolvedBy: string | null;
  resolvedAt: Date | null;
  updatedAt: Date;
}

/**
 * What changed since the console's live feed last looked: ids for append-only tables, a time for rows that
 * are updated in place (the caller overlaps the window and drops what it has already seen).
 */
export interface ChangeCursor {
  /** Newest ConversationMessages.Id seen. */
  messageId: number;
  /** Newest DeliveryEvents.Id seen. */
  deliveryEventId: number;
  /** Escalations and ChatSessions updated after this time. */
  updatedAfter: Date;
}

export interface ChangeSet {
  /** The id cursors after this set (the caller keeps its own time window). */
  next: Pick<ChangeCursor, 'messageId' | 'deliveryEventId'>;
  messages: { id: number; session: string; chatId: string }[];
  /** Delivery events of recorded messages (events for messages not recorded yet are left out). */
  deliveries: { id: number; session: string; chatId: string; messageId: string; status: DeliveryStatus }[];
  escalations: { id: number; session: string; chatId: string; updatedAt: Date }[];
  chats: { session: string; chatId: string; status: ChatStatus; updatedAt: Date }[];
}

export interface IConversationRepository {
  /** Idempotent on (session, messageId); also upserts the chat session row and applies delivery events that arrived early. */
  logMessage(input: LogMessageInput): Promise<LogMessageResult>;
  getMessage(session: string, messageId: string): Promise<ConversationMessageRecord | null>;
  hasMessage(session: string, messageId: string): Promise<boolean>;
  /** Which of these ids are already recorded (for catch-up). */
  findExistingMessageIds(session: string, messageIds: string[]): Promise<Set<string>>;
  /**
   * Whether the chat logged a patient message after `messageId` (a larger row id: logged later, whenever it
   * was written). False when `messageId` is not recorded.
   */
  hasInboundAfter(session: string, chatId: string, messageId: string): Promise<boolean>;
  /** Records the event in the delivery history and moves the status forward only. */
  recordDeliveryEvent(event: DeliveryEventInput): Promise<DeliveryUpdateResult>;
  /**
   * Marks a message for operators without touching its delivery status: sets StatusReason and adds
   * `flag` to Metadata.flags (e.g. flag "undelivered" after DELIVERY_TIMEOUT). No-op for unknown messages.
   */
  flagMessage(session: string, messageId: string, flag: string, reason: string): Promise<void>;
  /** Messages whose media file is still kept, recorded before `before`, oldest first (MEDIA_RETENTION_DAYS). */
  findMessagesWithMediaBefore(query: { before: Date; limit: number }): Promise<ConversationMessageRecord[]>;
  /**
   * After the media file was deleted: the row no longer points at it (mediaPath null) and says why in
   * Metadata.mediaRemoved `{at, reason}`. No-op unless the row still points at `mediaPath`.
   */
  markMediaRemoved(
    session: string,
    messageId: string,
    mediaPath: string,
    removal: { at: Date; reason: string },
  ): Promise<void>;
  /**
   * A reply that waits to be sent (the WhatsApp session is down, WPPConnect keeps failing): writes it as a
   * `pending` row with the reason, or refreshes the text and reason of that row while it is still pending.
   */
  upsertPendingMessage(input: Omit<LogMessageInput, 'deliveryStatus'>): Promise<LogMessageResult>;
  /**
   * Logs `input` in place of the pending row `pendingMessageId` (the same row, so the chat's count and the
   * history keep one reply whose status moved on), or as a new message when there is no pending row.
   * Idempotent: once replaced, a repeat finds the real row.
   */
  replacePendingMessage(session: string, pendingMessageId: string, input: LogMessageInput): Promise<LogMessageResult>;
  /**
   * Our messages still without a delivered ack (pending or sent), sent in [sentAfter, sentBefore), oldest
   * first: what the session keeper's delivery watch reconciles and flags.
   */
  findAwaitingDelivery(query: {
    session: string;
    sentBefore: Date;
    sentAfter: Date;
    limit: number;
  }): Promise<ConversationMessageRecord[]>;
  /** Attaches stored media (path relative to MEDIA_STORAGE_PATH) to a recorded message. */
  setMessageMedia(session: string, messageId: string, mediaPath: string, mediaFilename: string): Promise<void>;
  /** Newest last. */
  getHistory(query: HistoryQuery): Promise<ConversationMessageRecord[]>;
  getRecentConversations(query: RecentConversationsQuery): Promise<ChatSessionRecord[]>;
  getChatSession(session: string, chatId: string): Promise<ChatSessionRecord | null>;
  /** Finds a chat by id across sessions (REST routes address chats by chatId only). */
  findChatSessions(chatId: string): Promise<ChatSessionRecord[]>;
  setChatStatus(session: string, chatId: string, status: ChatStatus): Promise<void>;
  linkPatient(session: string, chatId: string, patientId: string): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
  getStats(chatId: string): Promise<ChatStats>;
  createOutboundRequest(input: {
    requestId: string;
    session: string;
    chatId: string;
    workflowId: string;
    payloadHash?: string;
  }): Promise<{ record: OutboundRequestRecord; created: boolean }>;
  /** Forward-only, like message delivery status. */
  updateOutboundRequest(
    requestId: string,
    update: { status: OutboundRequestStatus; reason?: string; messageId?: string },
  ): Promise<OutboundRequestRecord | null>;
  getOutboundRequest(requestId: string): Promise<OutboundRequestRecord | null>;
  /**
   * Opens an escalation for the chat, or returns the one still open (a retried activity opens nothing new;
   * red flags found again are added to it).
   */
  recordEscalation(input: {
    session: string;
    chatId: string;
    triageLevel: string;
    redFlags: string[];
    at: Date;
  }): Promise<{ record: EscalationRecord; created: boolean }>;
  /**
   * Records how the clinician alert of the chat's open escalation went. `delivered`, `rejected` and
   * `not-configured` are final: a late `retrying` never hides them. Null when no escalation is open.
   */
  recordEscalationAlert(input: {
    session: string;
    chatId: string;
    status: Exclude<AlertStatus, 'pending'>;
    channel: AlertChannel;
    detail?: string;
    at: Date;
  }): Promise<EscalationRecord | null>;
  /** The first acknowledgement of the open escalation wins; null when none is open. */
  acknowledgeEscalation(input: {
    session: string;
    chatId: string;
    by: string;
    at: Date;
    note?: string;
  }): Promise<EscalationRecord | null>;
  /** Closes the chat's open escalations (the chat went back to the assistant); returns how many. */
  resolveEscalations(input: { session: string; chatId: string; by: string; at: Date }): Promise<number>;
  /** Open escalations, newest first. */
  getOpenEscalations(limit: number): Promise<EscalationRecord[]>;
  countOpenEscalations(): Promise<number>;
  /** A chat's escalations, newest first. */
  getEscalations(session: string, chatId: string, limit: number): Promise<EscalationRecord[]>;
  /** Chats in these statuses, most recent message first. */
  getChatsByStatus(statuses: ChatStatus[], limit: number): Promise<ChatSessionRecord[]>;
  /** The cursor of "now": newest message and delivery-event ids. */
  latestChangeCursor(at: Date): Promise<ChangeCursor>;
  /** Rows changed after the cursor (at most `limit` of each kind, oldest first). */
  getChangesSince(cursor: ChangeCursor, limit: number): Promise<ChangeSet>;
  /** Liveness of the connection for /health/ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
