/** Inputs, outputs and states of the workflow types (docs/product.md §5). */
import type { DeliveryStatus, SessionState, TriageLevel } from './domain';
import type { InboundMessage, OutboundRequest, ReceivedVia } from './messages';

// ---------------------------------------------------------------------------------------------
// conversationWorkflow: one per chat, its single owner. Messages arrive as signals; it runs the steps.

export interface ConversationWorkflowInput {
  session: string;
  chatId: string;
  /** Carried over continue-as-new. */
  state?: ConversationCarriedState;
  /** History length that triggers continue-as-new (default 4000; tests use small values). */
  historyLimit?: number;
  /**
   * History length above which the conversation continues as new as soon as it is idle (default 500): a chat
   * that writes again after its workflow left the worker's cache then replays a short history.
   */
  idleHistoryLimit?: number;
}

export interface InboundItem {
  kind: 'inbound';
  message: InboundMessage;
  receivedVia: ReceivedVia;
  /** When the conversation took it (workflow time, ms): the quiet window counts from here. */
  arrivedAt: number;
}

/** What a message's workflow (and a recorded reply) needs of an answered message. */
export interface RecordedMessage {
  messageId: string;
  /** ISO time the patient sent it. */
  sentAt: string;
  receivedVia: ReceivedVia;
}

export function recordedMessage(item: InboundItem): RecordedMessage {
  return { messageId: item.message.messageId, sentAt: item.message.sentAt, receivedVia: item.receivedVia };
}

export interface OutboundItem {
  kind: 'outbound';
  request: OutboundRequest;
}

export type ConversationItem = InboundItem | OutboundItem;

export type PausedReason = 'handoff' | 'escalated';

export interface ConversationCarriedState {
  /** Work not done yet: patient messages in the order the patient wrote them, requests in arrival order. */
  queue: ConversationItem[];
  /** Recent WhatsApp message ids taken (bounded): a duplicate webhook or catch-up is ignored. */
  seenMessageIds: string[];
  /** Recent sendMessage requestIds (bounded), for de-duplication across continue-as-new. */
  seenRequestIds: string[];
  pausedReason?: PausedReason;
  pausedBy?: string;
  patientId?: string;
  triageLevel?: TriageLevel;
  /** Workflow time (ms) of the newest patient message taken: the burst ends QUIET_WINDOW_MS after it. */
  lastArrivalAt?: number;
  repliesSent: number;
  messagesHandled: number;
}

export interface ConversationState {
  session: string;
  chatId: string;
  paused: boolean;
  pausedReason?: PausedReason;
  pausedBy?: string;
  patientId?: string;
  triageLevel?: TriageLevel;
  queueLength: number;
  /** What the conversation is doing now. */
  step: 'idle' | 'waiting-for-quiet' | 'assessing' | 'sending' | 'recording';
  repliesSent: number;
  messagesHandled: number;
}

// ---------------------------------------------------------------------------------------------
// inboundMessageWorkflow: one per incoming WhatsApp message (id inbound:<session>:<message id>), started
// by the chat's conversation once the message's fate is known. It names the work done for the message:
// where it was logged, which reply answered it (and its triage level), or why none did.

export type InboundOutcome =
  | 'replied' // a reply answered this message (and the rest of its burst)
  | 'coalesced' // answered by the reply to a later message of the same burst (answeredBy)
  | 'paused' // a human has the chat (handoff or escalation): logged, no assistant reply
  | 'ignored' // group chats and message kinds the assistant does not answer
  | 'staff' // typed by the clinic on the linked phone: recorded as a human reply
  | 'failed'; // the reply could not be sent (reason stored on the reply row)

export interface InboundWorkflowInput {
  session: string;
  chatId: string;
  messageId: string;
  /** ISO time the patient sent it. */
  sentAt: string;
  receivedVia: ReceivedVia;
  /** The owner that ran the work (its history has every step). */
  conversationWorkflowId: string;
  outcome: InboundOutcome;
  /** The message workflow whose reply covered this message (itself when `replied`). */
  answeredBy?: string;
  /** The WhatsApp id of the reply. */
  replyMessageId?: string;
  /** The patient messages the reply covered. */
  coveredMessageIds?: string[];
  triageLevel?: TriageLevel;
  redFlags?: string[];
  /** Why there was no reply (paused reason, failure). */
  reason?: string;
}

export type InboundWorkflowResult = InboundWorkflowInput;

// ---------------------------------------------------------------------------------------------
// sessionKeeperWorkflow: one per WhatsApp session, forever (continue-as-new).

export type KeeperSessionState = SessionState | 'UNKNOWN' | 'AUTH_FAILED' | 'UNREACHABLE';

export interface SessionKeeperInput {
  session: string;
  /** Carried over continue-as-new. */
  state?: SessionKeeperCarriedState;
}

export interface SessionKeeperCarriedState {
  state: KeeperSessionState;
  since: string;
  lastCheckAt?: string;
  restarts: number;
  consecutiveFailures: number;
  qrAvailable: boolean;
  lastError?: string;
  lastCatchUpAt?: string;
  /** Per chat: the newest message time (unix seconds) catch-up has already looked at. */
  catchUpMarks: Record<string, number>;
  catchUpStarted: number;
  /** When the delivery watch last looked for replies without a delivered ack. */
  lastDeliveryWatchAt?: string;
  repliesFlagged?: number;
  continuedAsNew: number;
  /**
   * Fingerprint of the webhook URL the keeper last applied with start-session (it changes with PUBLIC_URL
   * or WEBHOOK_TOKEN; the token itself never enters history).
   */
  webhookFingerprint?: string;
  /** The session outlived SESSION_STUCK_SECONDS in a non-final state: what the keeper did about it. */
  stuck?: StuckSession;
}

export interface StuckSession {
  /** The state it is stuck in. */
  state: KeeperSessionState;
  /** Recovery attempts (close, wait out the server's auto-close, start) made. */
  attempts: number;
  lastAttemptAt?: string;
  /** The `session-stuck` operator alert was sent (once per episode). */
  alerted: boolean;
}

export interface SessionKeeperStatus {
  session: string;
  state: KeeperSessionState;
  since: string;
  lastCheckAt?: string;
  restarts: number;
  qrAvailable: boolean;
  lastError?: string;
  lastCatchUpAt?: string;
  catchUpStarted: number;
  lastDeliveryWatchAt?: string;
  repliesFlagged?: number;
  continuedAsNew: number;
  /**
   * True once the session stayed in a non-final state past SESSION_STUCK_SECONDS and the keeper's recovery
   * attempt did not help: an operator must restart the WPPConnect Server (`lastError` says so).
   */
  stuck: boolean;
}

/** What POST /api/sessions/:session/restart did (the keeper's `restartSession` update). */
export interface RestartSessionResult {
  session: string;
  /**
   * close-session: `closed`; `failed` when the server answered an error (its answer in `closeAnswer`: it
   * does so for a session still starting, whose browser then runs on); `error` when WPPConnect could not be
   * reached or refused our token (nothing else was done).
   */
  close: 'closed' | 'failed' | 'error';
  closeAnswer?: string;
  /**
   * start-session: `requested`; `scheduled` for `startAfter`, once the server's auto-close has freed the old
   * browser (starting earlier launches nothing); `failed` (see `error`); `not-attempted` after a close error.
   */
  start: 'requested' | 'scheduled' | 'failed' | 'not-attempted';
  startAfter?: string;
  error?: string;
  /** The keeper's state when it answered. */
  state: KeeperSessionState;
}

/** A delivery status as the pipeline reports it for an outbound request (GET /api/messages/:requestId). */
export type RequestStatus = Extract<DeliveryStatus, 'pending' | 'sent' | 'delivered' | 'read' | 'failed'>;
