/**
 * Keyed pseudonyms for workflow ids and search-attribute values (docs/product.md §5): with TEMPORAL_PAYLOAD_KEY
 * set, nothing in Temporal's plaintext (ids, search attributes) carries a phone number, a WhatsApp message
 * id or a patient record id. Other TypeScript services that signal a chat's conversation build its id with
 * `createWorkflowIds({ payloadKey })` and the same key.
 *
 * Not for workflow code (it uses node:crypto): workflows are handed the ids they need.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { plainWorkflowIds, type WorkflowIds } from './ids';

/** HKDF context: a new one would give every chat new ids, so it is versioned and never reused. */
const INFO = 'medical-assistant workflow ids v1';
/** 128 bits: collisions are out of reach, and the ids stay short enough to read in the Web UI. */
const PSEUDONYM_BYTES = 16;

export interface WorkflowIdOptions {
  /** base64 32-byte TEMPORAL_PAYLOAD_KEY; without it ids are readable (local development). */
  payloadKey?: string;
}

/** The id-pseudonym key, derived from the payload key (never the payload key itself). */
export function deriveIdKey(payloadKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(payloadKey, 'base64'), Buffer.alloc(0), INFO, 32));
}

export function createWorkflowIds({ payloadKey }: WorkflowIdOptions = {}): WorkflowIds {
  if (payloadKey === undefined) return plainWorkflowIds;
  const key = deriveIdKey(payloadKey);
  // One domain per kind of value, so a chat's pseudonym never equals a message's or a patient's.
  const pseudonym = (domain: string, ...parts: string[]): string =>
    createHmac('sha256', key)
      .update([domain, ...parts].join('\u0000'), 'utf8')
      .digest()
      .subarray(0, PSEUDONYM_BYTES)
      .toString('hex');
  const chat = (session: string, chatId: string) => `c_${pseudonym('chat', session, chatId)}`;
  return {
    pseudonymous: true,
    conversation: (session, chatId) => `conversation:${session}:${chat(session, chatId)}`,
    inbound: (session, messageId) => `inbound:${session}:m_${pseudonym('message', session, messageId)}`,
    sessionKeeper: (session) => plainWorkflowIds.sessionKeeper(session),
    chatAttribute: chat,
    patientAttribute: (patientId) => `p_${pseudonym('patient', patientId)}`,
    // Only that a chat was escalated, never the level of anyone's complaint.
    triageAttribute: (level) => (level === 'emergency' ? 'escalated' : undefined),
  };
}
