/**
 * Failure messages and stack traces go through the payload codec too (`encodeCommonAttributes`): with
 * TEMPORAL_PAYLOAD_KEY set they are encrypted like every payload, so an activity failure that quotes a chat
 * id or a reply never lands in Temporal's plaintext. Loaded by path (clients, workers and the workflow
 * bundle must agree), so this module must stay importable inside the workflow sandbox.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
