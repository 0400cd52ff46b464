/**
 * inboundMessageWorkflow — one per incoming WhatsApp message (id inbound:<session>:<message id>), started
 * by the chat's conversationWorkflow once the message's fate is known. The conversation runs the steps
 * (logging, assessment, sending; docs/conversation.md); this workflow names them for that message, so an
 * operator who has a message id finds in the Web UI which reply answered it, at what triage level, or why
 * none did — and the conversation whose history holds every step.
 */
import type { InboundWorkflowInput, InboundWorkflowResult } from '../contracts';

export function inboundMessageWorkflow(input: InboundWorkflowInput): Promise<InboundWorkflowResult> {
  return Promise.resolve(input);
}
