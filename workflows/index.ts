// The workflow bundle's entry point: every workflow type the worker registers.
export { inboundMessageWorkflow } from './inbound';
export { conversationWorkflow } from './conversation';
export { sessionKeeperWorkflow } from './session-keeper';
