/**
 * Signals and queries other services use (defineSignal/defineQuery constants): safe to import from workflow
 * code, the API and any other TypeScript service.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeliveryStatus } from './domain';
import type { InboundMessage, OutboundRequest, ReceivedVia } from './messages';
import type { ConversationState, RestartSessionResult, SessionKeeperStatus } from './workflows';

export interface InboundMessageSignal {
  message: InboundMessage;
  receivedVia: ReceivedVia;
}
/**
 * On conversationWorkflow, with signal-with-start: an incoming message (webhook or catch-up). Durable once
 * the call returns; duplicates (same WhatsApp id) are ignored.
 */
export const inboundMessageSignal = defineSignal<[InboundMessageSignal]>('inboundMessage');

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
/**
 * On conversationWorkflow, only for the acks that change what it does (a reply WhatsApp reports as
 * failed). Every ack is recorded in the database by the API; nothing waits for the ordinary ones.
 */
export const messageAckSignal = defineSignal<[MessageAckSignal]>('messageAck');

export interface HandoffSignal {
  action: 'handoff' | 'resume' | 'escalate';
  /** Who: `api:<key id>`, `console:<operator>`, `phone` (a staff reply on the linked phone). */
  by: string;
}
/** On conversationWorkflow: a human takes over / gives back, or escalates. */
export const handoffSignal = defineSignal<[HandoffSignal]>('handoff');

export interface PatientLinkedSignal {
  patientId: string;
  /** The `PatientId` search attribute value (a pseudonym when the payload key is set). */
  attribute: string;
}
export const patientLinkedSignal = defineSignal<[PatientLinkedSignal]>('patientLinked');

export type SessionEventSignal =
  | { type: 'status-find'; status: string }
  | { type: 'qrcode' }
  | { type: 'phone-code' }
  | { type: 'closed'; event: 'closesession' | 'logoutsession' }
  | { type: 'restart-requested'; by: string };
/** On sessionKeeperWorkflow: check now instead of waiting for the timer. */
export const sessionEventSignal = defineSignal<[SessionEventSignal]>('sessionEvent');

export interface RestartSessionUpdate {
  /** Who asked: `api:<key id>`, `console:<operator>`. */
  by: string;
}
/**
 * On sessionKeeperWorkflow: close the session, wait out the server's auto-close when the close failed while
 * it was starting, and start it again. Answers once the close is done and the start requested or scheduled.
 */
export const restartSessionUpdate = defineUpdate<RestartSessionResult, [RestartSessionUpdate]>('restartSession');

export const sessionStatusQuery = defineQuery<SessionKeeperStatus>('status');
export const conversationStateQuery = defineQuery<ConversationState>('state');
