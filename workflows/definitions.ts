/**
 * The Temporal interface other services import (SPEC section 5): workflow ids, signals, queries,
 * search attributes and the input/output types of every workflow. Safe to import from workflow code,
 * from the API and from any other TypeScript service (depends only on @temporalio/workflow/common).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { DeliveryStatus, MessageType } from '../db/types';
import type { TriageLevel } from '../triage/types';
import type { SessionState } from '../wppconnect/types';

// ---------------------------------------------------------------------------------------------
// Workflow ids

export const inboundWorkflowId = (session: string, messageId: string): string => `inbound:${session}:${messageId}`;
export const conversationWorkflowId = (session: string, chatId: string): string => `conversation:${session}:${chatId}`;
export const sessionKeeperWorkflowId = (session: string): string => `session-keeper:${session}`;
export const outboundWorkflowId = (session: string, requestId: string): string => `outbound:${session}:${requestId}`;

// ---------------------------------------------------------------------------------------------
// Search attributes (Keyword). Registered by scripts/start for the dev server; see README for clusters.

export const SA_CHAT_ID = defineSearchAttributeKey('ChatId', SearchAttributeType.KEYWORD);
export const SA_WHATSAPP_SESSION = defineSearchAttributeKey('WhatsAppSession', SearchAttributeType.KEYWORD);
export const SA_PATIENT_ID = defineSearchAttributeKey('PatientId', SearchAttributeType.KEYWORD);
export const SA_TRIAGE_LEVEL = defineSearchAttributeKey('TriageLevel', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTE_NAMES = ['ChatId', 'WhatsAppSession', 'PatientId', 'TriageLevel'] as const;

// ---------------------------------------------------------------------------------------------
// Messages that cross workflow boundaries. Never a token, a secret or media bytes.

/** An incoming WhatsApp message, normalised from a webhook or from catch-up. */
export interface InboundMessage {
  session: string;
  chatId: string;
  messageId: string;
  /** ISO time the patient sent it (WhatsApp `t`). */
  sentAt: string;
  senderId: string;
  senderName?: string;
  /** Digits of the phone number when the chat is a phone chat (not @lid/@g.us). */
  contactPhone?: string;
  isGroup: boolean;
  messageType: MessageType;
  /** WhatsApp's own type (`chat`, `ptt`, `image`...). */
  rawType: string;
  text?: string;
  caption?: string;
  filename?: string;
  mimetype?: string;
  location?: { lat: number; lng: number; address?: string };
  quotedMessageId?: string;
  /**
   * Where the media bytes are: `staged:<name>` (the API wrote the webhook's base64 to the staging
   * folder), or `wppconnect` (fetch with get-media-by-message). Absent for messages without media.
   */
  media?: { source: 'staged'; stagingName: string } | { source: 'wppconnect' };
}

export interface InboundWorkflowInput {
  message: InboundMessage;
  receivedVia: 'webhook' | 'catch-up';
}

export type InboundOutcome =
  | 'replied' // this message's turn produced a reply (possibly covering later messages)
  | 'coalesced' // answered by the reply of an earlier message of the same burst
  | 'paused' // a human has the chat (handoff or escalation): logged, no bot reply
  | 'ignored' // group chats and message kinds the assistant does not answer
  | 'failed'; // the reply could not be sent (reason stored)

export interface InboundWorkflowResult {
  outcome: InboundOutcome;
  /** The workflow whose reply covered this message (itself when `replied`). */
  answeredBy?: string;
  replyMessageId?: string;
  triageLevel?: TriageLevel;
  deliveryStatus?: DeliveryStatus;
  reason?: string;
}

export interface OutboundRequest {
  requestId: string;
  session: string;
  chatId: string;
  type: 'text' | 'image' | 'document';
  text?: string;
  caption?: string;
  filename?: string;
  mimetype?: string;
  /** Name of the stored media file (under MEDIA_STORAGE_PATH/outbound), never the bytes. */
  mediaFile?: string;
  /** Who asked: `api:<key id>` or a service name. */
  requestedBy?: string;
}

export interface OutboundWorkflowInput {
  request: OutboundRequest;
}

export interface OutboundWorkflowResult {
  status: 'sent' | 'delivered' | 'read' | 'failed';
  messageId?: string;
  reason?: string;
}

export interface ConversationWorkflowInput {
  session: string;
  chatId: string;
  /** Carried over continue-as-new. */
  state?: ConversationCarriedState;
  /** History length that triggers continue-as-new (default 4000; tests use small values). */
  historyLimit?: number;
}

export interface TurnRequest {
  /** Workflow that asks for the chat's turn. */
  workflowId: string;
  kind: 'inbound' | 'outbound';
  /** For inbound turns: the WhatsApp message id (coalescing reports which messages a reply covers). */
  messageId?: string;
  /** For inbound turns: when the patient sent it; webhooks can arrive out of order, turns follow this. */
  sentAt?: string;
}

export interface ConversationCarriedState {
  queue: TurnRequest[];
  holder?: { workflowId: string; grantedAt: number };
  pausedReason?: 'handoff' | 'escalated';
  patientId?: string;
  triageLevel?: TriageLevel;
  /** Recent requestIds of sendMessage signals (bounded), for de-duplication across continue-as-new. */
  seenRequestIds: string[];
  lastArrivalAt?: number;
  turnsGranted: number;
  /**
   * Workflows already given a turn (bounded): the webhook and the message workflow both ask for the
   * turn, and a request arriving after the grant must not queue the message a second time.
   */
  grantedWorkflowIds?: string[];
}

export type TurnGrant =
  | { role: 'reply'; messageIds: string[]; coveredWorkflowIds: string[] }
  | { role: 'coalesced'; into: string }
  | { role: 'paused'; reason: 'handoff' | 'escalated' }
  | { role: 'send' };

export interface ConversationState {
  session: string;
  chatId: string;
  paused: boolean;
  pausedReason?: 'handoff' | 'escalated';
  patientId?: string;
  triageLevel?: TriageLevel;
  queueLength: number;
  holder?: string;
  turnsGranted: number;
}

export interface SessionKeeperInput {
  session: string;
  /** Carried over continue-as-new. */
  state?: SessionKeeperCarriedState;
}

export interface SessionKeeperCarriedState {
  state: SessionState | 'UNKNOWN' | 'AUTH_FAILED' | 'UNREACHABLE';
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
  continuedAsNew: number;
}

export interface SessionKeeperStatus {
  session: string;
  state: SessionKeeperCarriedState['state'];
  since: string;
  lastCheckAt?: string;
  restarts: number;
  qrAvailable: boolean;
  lastError?: string;
  lastCatchUpAt?: string;
  catchUpStarted: number;
  continuedAsNew: number;
}

// ---------------------------------------------------------------------------------------------
// Signals and queries

export interface SendMessageSignal {
  request: OutboundRequest;
}
/** On conversationWorkflow; use with signal-with-start. De-duplicated by `request.requestId`. */
export const sendMessageSignal = defineSignal<[SendMessageSignal]>('sendMessage');

export interface MessageAckSignal {
  messageId: string;
  ack: number;
  status: DeliveryStatus;
}
/** On the workflow that sent the message (inbound or outbound); the API sends it for every onack. */
export const messageAckSignal = defineSignal<[MessageAckSignal]>('messageAck');

export type SessionEventSignal =
  | { type: 'status-find'; status: string }
  | { type: 'qrcode' }
  | { type: 'phone-code' }
  | { type: 'closed'; event: 'closesession' | 'logoutsession' }
  | { type: 'restart-requested'; by: string };
/** On sessionKeeperWorkflow: check now instead of waiting for the timer. */
export const sessionEventSignal = defineSignal<[SessionEventSignal]>('sessionEvent');

/** On conversationWorkflow: an inbound/outbound workflow asks for the chat's turn. */
export const requestTurnSignal = defineSignal<[TurnRequest]>('requestTurn');
/** On inbound/outbound workflows: the conversation grants the turn. */
export const turnGrantedSignal = defineSignal<[TurnGrant]>('turnGranted');
/** On conversationWorkflow: the holder is done sending. */
export const releaseTurnSignal = defineSignal<[{ workflowId: string }]>('releaseTurn');

export interface HandoffSignal {
  action: 'handoff' | 'resume' | 'escalate';
  by: string;
  triageLevel?: TriageLevel;
}
/** On conversationWorkflow: a human takes over / gives back, or the safety layer escalates. */
export const handoffSignal = defineSignal<[HandoffSignal]>('handoff');

export const patientLinkedSignal = defineSignal<[{ patientId: string }]>('patientLinked');

export const sessionStatusQuery = defineQuery<SessionKeeperStatus>('status');
export const conversationStateQuery = defineQuery<ConversationState>('state');
