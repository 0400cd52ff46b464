import { type Client, WorkflowNotFoundError, type WorkflowUpdateHandle, WorkflowUpdateStage } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import {
  conversationStateQuery,
  handoffSignal,
  inboundMessageSignal,
  messageAckSignal,
  patientLinkedSignal,
  SA_WHATSAPP_SESSION,
  sendMessageSignal,
  restartSessionUpdate,
  sessionEventSignal,
  sessionStatusQuery,
  type ConversationState,
  type HandoffSignal,
  type InboundMessageSignal,
  type MessageAckSignal,
  type OutboundRequest,
  type RestartSessionResult,
  type SessionEventSignal,
  type SessionKeeperStatus,
  type WorkflowIds,
} from '../contracts';
import { signalConversation } from '../temporal/conversations';

/**
 * Everything the API asks of Temporal, by workflow NAME (the API never imports workflow code). Every call
 * runs under a deadline so a request never hangs on an unreachable server: it fails and maps to 503.
 */
export interface WorkflowGateway {
  readonly ids: WorkflowIds;
  /**
   * Hands an incoming message to its chat's conversation (signal-with-start): one Temporal call, durable
   * once it returns. Returns the conversation's id and the id the message's own workflow will have.
   */
  deliverInbound(input: InboundMessageSignal): Promise<{ workflowId: string; messageWorkflowId: string }>;
  /** Tells the conversation about an ack that changes what it does (a failed reply); false when none runs. */
  signalAck(session: string, chatId: string, ack: MessageAckSignal): Promise<boolean>;
  signalSessionEvent(session: string, event: SessionEventSignal): Promise<string>;
  /** Signal-with-start on the chat's conversation; returns the conversation's workflow id. */
  sendMessage(request: OutboundRequest): Promise<string>;
  signalHandoff(session: string, chatId: string, signal: HandoffSignal): Promise<void>;
  signalPatientLinked(session: string, chatId: string, patientId: string): Promise<void>;
  /** The conversation's state, or null when no conversation workflow runs for the chat. */
  conversationState(session: string, chatId: string): Promise<ConversationState | null>;
  /** The keeper's status, or null when no keeper workflow exists for the session. */
  sessionStatus(session: string): Promise<SessionKeeperStatus | null>;
  /**
   * Asks the keeper to close and start the session (its `restartSession` update) and waits up to `waitMs`
   * for what it did; `pending` when it took the request but has not answered yet, null when no keeper runs.
   */
  restartSession(session: string, by: string, waitMs: number): Promise<RestartSessionResult | { pending: true } | null>;
  /** Cheap round trip for readiness. */
  ping(): Promise<void>;
}

export interface WorkflowGatewayOptions {
  taskQueue: string;
  rpcTimeoutMs: number;
  ids: WorkflowIds;
  /** Called once per signal-with-start, for metrics. */
  onSignal?: (workflow: string, outcome: 'signalled' | 'failed') => void;
}

export function createWorkflowGateway(client: Client, opts: WorkflowGatewayOptions): WorkflowGateway {
  const { ids } = opts;
  const withDeadline = <T>(fn: () => Promise<T>, ms = opts.rpcTimeoutMs): Promise<T> =>
    client.withDeadline(Date.now() + ms, fn);
  const report = opts.onSignal ?? (() => undefined);

  const toConversation = async <A>(
    session: string,
    chatId: string,
    signal: SignalDefinition<[A]>,
    arg: A,
  ): Promise<string> => {
    try {
      const workflowId = await withDeadline(() =>
        signalConversation(client, { ids, taskQueue: opts.taskQueue }, { session, chatId }, signal, arg),
      );
      report('conversationWorkflow', 'signalled');
      return workflowId;
    } catch (err) {
      report('conversationWorkflow', 'failed');
      throw err;
    }
  };

  return {
    ids,

    async deliverInbound(input) {
      const { session, chatId, messageId } = input.message;
      const workflowId = await toConversation(session, chatId, inboundMessageSignal, input);
      return { workflowId, messageWorkflowId: ids.inbound(session, messageId) };
    },

    async signalAck(session, chatId, ack) {
      try {
        await withDeadline(() =>
          client.workflow.getHandle(ids.conversation(session, chatId)).signal(messageAckSignal, ack),
        );
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },

    async signalSessionEvent(session, event) {
      const workflowId = ids.sessionKeeper(session);
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

    sendMessage(request) {
      return toConversation(request.session, request.chatId, sendMessageSignal, { request });
    },

    async signalHandoff(session, chatId, signal) {
      await toConversation(session, chatId, handoffSignal, signal);
    },

    async signalPatientLinked(session, chatId, patientId) {
      await toConversation(session, chatId, patientLinkedSignal, {
        patientId,
        attribute: ids.patientAttribute(patientId),
      });
    },

    async conversationState(session, chatId) {
      try {
        return await withDeadline(() =>
          client.workflow.getHandle(ids.conversation(session, chatId)).query(conversationStateQuery),
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },

    async sessionStatus(session) {
      try {
        return await withDeadline(() =>
          client.workflow.getHandle(ids.sessionKeeper(session)).query(sessionStatusQuery),
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },

    async restartSession(session, by, waitMs) {
      let update: WorkflowUpdateHandle<RestartSessionResult>;
      try {
        update = await withDeadline(() =>
          client.workflow.getHandle(ids.sessionKeeper(session)).startUpdate(restartSessionUpdate, {
            args: [{ by }],
            waitForStage: WorkflowUpdateStage.ACCEPTED,
          }),
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
      // Accepted is durable: the keeper will do it even if this request stops waiting.
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<{ pending: true }>((resolve) => {
        timer = setTimeout(() => resolve({ pending: true }), waitMs);
      });
      try {
        return await Promise.race([update.result(), waited]);
      } finally {
        clearTimeout(timer);
      }
    },

    async ping() {
      await withDeadline(() => client.workflowService.getSystemInfo({}));
    },
  };
}
