/**
 * Workflow ids and search-attribute values. Without TEMPORAL_PAYLOAD_KEY they are readable
 * (`conversation:<session>:<chatId>`); with it, contracts/pseudonyms.ts builds the same shapes from keyed
 * pseudonyms, so nothing identifying is stored in Temporal's plaintext. Code that runs inside workflows
 * never builds ids itself: it is handed them, so it works with either.
 */
import type { TriageLevel } from './domain';

export interface WorkflowIds {
  /** True when ids and attribute values are keyed pseudonyms. */
  readonly pseudonymous: boolean;
  conversation(session: string, chatId: string): string;
  inbound(session: string, messageId: string): string;
  sessionKeeper(session: string): string;
  /** `ChatId` search attribute value. */
  chatAttribute(session: string, chatId: string): string;
  /** `PatientId` search attribute value. */
  patientAttribute(patientId: string): string;
  /**
   * `TriageLevel` search attribute value: the level; when pseudonymous only "escalated" for an emergency
   * and nothing (undefined) otherwise.
   */
  triageAttribute(level: TriageLevel): string | undefined;
}

export const conversationWorkflowId = (session: string, chatId: string): string => `conversation:${session}:${chatId}`;
export const inboundWorkflowId = (session: string, messageId: string): string => `inbound:${session}:${messageId}`;
export const sessionKeeperWorkflowId = (session: string): string => `session-keeper:${session}`;

/** Readable ids, for local development (no payload key). */
export const plainWorkflowIds: WorkflowIds = {
  pseudonymous: false,
  conversation: conversationWorkflowId,
  inbound: inboundWorkflowId,
  sessionKeeper: sessionKeeperWorkflowId,
  chatAttribute: (_session, chatId) => chatId,
  patientAttribute: (patientId) => patientId,
  triageAttribute: (level) => level,
};
