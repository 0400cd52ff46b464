import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { type SearchAttributePair, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  conversationWorkflowId,
  type HandoffSignal,
  handoffSignal,
  inboundWorkflowId,
  type InboundWorkflowInput,
  type MessageAckSignal,
  messageAckSignal,
  type OutboundRequest,
  outboundWorkflowId,
  patientLinkedSignal,
  requestTurnSignal,
  SA_CHAT_ID,
  SA_WHATSAPP_SESSION,
  sendMessageSignal,
  sessionEventSignal,
  type SessionEventSignal,
  sessionKeeperWorkflowId,
  type SessionKeeperStatus,
  sessionStatusQuery,
  type TurnRequest,
} from '../workflows/definitions';

/**
 * Everything the API asks of Temporal, by workflow NAME (the API never imports workflow code). Every call
 * runs under a deadline so a request never hangs on an unreachable server: it fails and maps to 503.
 */
export interface WorkflowGateway {
  /** Starts the per-message workflow; `duplicate` when that message id was already started (even completed). */
  startInbound(input: InboundWorkflowInput): Promise<{ workflowId: string; duplicate: boolean }>;
  /** false when the workflow does not exist (any more). */
  signalAck(workflowId: string, ack: MessageAckSignal): Promise<boolean>;
  signalSessionEvent(session: string, event: SessionEventSignal): Promise<string>;
  /** Signal-with-start on the chat's conversation; returns the outbound workflow that will send it. */
  sendMessage(request: OutboundRequest): Promise<string>;
  signalHandoff(session: string, chatId: string, signal: HandoffSignal): Promise<void>;
  signalPatientLinked(session: string, chatId: string, patientId: string): Promise<void>;
  /** The keeper's status, or null when no keeper workflow exists for the session. */
  sessionStatus(session: string): Promise<SessionKeeperStatus | null>;
  /** Cheap round trip for readiness. */
  ping(): Promise<void>;
}

export interface WorkflowGatewayOptions {
  taskQueue: string;
  rpcTimeoutMs: number;
  /** Called once per start / signal-with-start, for metrics. */
  onStart?: (workflow: string, outcome: 'started' | 'duplicate' | 'signalled' | 'failed') => void;
}

const conversationAttributes = (session: string, chatId: string): SearchAttributePair[] => [
  { key: SA_CHAT_ID, value: chatId },
  { key: SA_WHATSAPP_SESSION, value: session },
];

export function createWorkflowGateway(client: Client, opts: WorkflowGatewayOptions): WorkflowGateway {
  const withDeadline = <T>(fn: () => Promise<T>, ms = opts.rpcTimeoutMs): Promise<T> =>
    client.withDeadline(Date.now() + ms, fn);
  const report = opts.onStart ?? (() => undefined);

  const signalConversation = async <T>(
    session: string,
    chatId: string,
    signal: Parameters<Client['workflow']['signalWithStart']>[1]['signal'],
    args: T[],
  ): Promise<void> => {
    try {
      await withDeadline(() =>
        client.workflow.signalWithStart('conversationWorkflow', {
          workflowId: conversationWorkflowId(session, chatId),
          taskQueue: opts.taskQueue,
          args: [{ session, chatId }],
          signal,
          signalArgs: args,
          typedSearchAttributes: conversationAttributes(session, chatId),
        }),
      );
      report('conversationWorkflow', 'signalled');
    } catch (err) {
      report('conversationWorkflow', 'failed');
      throw err;
    }
  };

  return {
    async startInbound(input) {
      const { session, chatId, messageId } = input.message;
      const workflowId = inboundWorkflowId(session, messageId);
      try {
        await withDeadline(() =>
          client.workflow.start('inboundMessageWorkflow', {
            workflowId,
            taskQueue: opts.taskQueue,
            args: [input],
            typedSearchAttributes: conversationAttributes(session, chatId),
            // A message already handled, even completed long ago, must never be answered twice.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          }),
        );
        report('inboundMessageWorkflow', 'started');
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          report('inboundMessageWorkflow', 'duplicate');
          return { workflowId, duplicate: true };
        }
        report('inboundMessageWorkflow', 'failed');
        throw err;
      }
      if (!input.message.isGroup) {
        // Reserve the message's place in the chat's line now, while no worker is involved: a worker killed
        // before the workflow asks for its turn must not let the patient's later messages overtake it.
        // The workflow asks for its turn itself too (idempotent), so a failure here loses nothing.
        const turn: TurnRequest = { workflowId, kind: 'inbound', messageId, sentAt: input.message.sentAt };
        await signalConversation(session, chatId, requestTurnSignal, [turn]).catch(() => undefined);
      }
      return { workflowId, duplicate: false };
    },

    async signalAck(workflowId, ack) {
      try {
        await withDeadline(() => client.workflow.getHandle(workflowId).signal(messageAckSignal, ack));
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },

    async signalSessionEvent(session, event) {
      const workflowId = sessionKeeperWorkflowId(session);
      try {
        await withDeadline(() =>
          client.workflow.signalWithStart('sessionKeeperWorkflow', {
            workflowId,
            taskQueue: opts.taskQueue,
            args: [{ session }],
            signal: sessionEventSignal,
            signalArgs: [event],
            typedSearchAttributes: [{ key: SA_WHATSAPP_SESSION, value: session }],
          }),
        );
        report('sessionKeeperWorkflow', 'signalled');
        return workflowId;
      } catch (err) {
        report('sessionKeeperWorkflow', 'failed');
        throw err;
      }
    },

    async sendMessage(request) {
      await signalConversation(request.session, request.chatId, sendMessageSignal, [{ request }]);
      return outboundWorkflowId(request.session, request.requestId);
    },

    async signalHandoff(session, chatId, signal) {
      await signalConversation(session, chatId, handoffSignal, [signal]);
    },

    async signalPatientLinked(session, chatId, patientId) {
      await signalConversation(session, chatId, patientLinkedSignal, [{ patientId }]);
    },

    async sessionStatus(session) {
      try {
        return await withDeadline(() =>
          client.workflow.getHandle(sessionKeeperWorkflowId(session)).query(sessionStatusQuery),
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },

    async ping() {
      await withDeadline(() => client.workflowService.getSystemInfo({}));
    },
  };
}
