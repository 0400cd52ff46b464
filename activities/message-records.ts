import { log } from '@temporalio/activity';
import { type Client, WorkflowIdReusePolicy } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import {
  SA_CHAT_ID,
  SA_PATIENT_ID,
  SA_TRIAGE_LEVEL,
  SA_WHATSAPP_SESSION,
  type InboundWorkflowInput,
  type RecordedMessage,
  type TriageLevel,
  type WorkflowIds,
} from '../contracts';
import type { IConversationRepository } from '../db/types';
import { LogEvent, maskChatId } from '../observability/logger';

/**
 * What is written once the fate of a chat's messages is known: the reply's row in the history, and one
 * `inboundMessageWorkflow` per message naming what was done for it. Shared by the conversation's local
 * activities (activities/message-activities.ts) and the send activity, which records an assistant reply as
 * soon as WhatsApp took it (activities/send-activities.ts).
 */

/** Where the work ran: the chat and its conversation workflow. */
export interface Where {
  session: string;
  chatId: string;
  conversationWorkflowId: string;
}

/**
 * An assistant reply to a burst, recorded by the send activity once WhatsApp took it (`SendTextInput.reply`):
 * the sent row replaces the reply's pending row, and the first message's workflow says "replied", the others
 * "coalesced".
 */
export interface ReplyRecord {
  conversationWorkflowId: string;
  /** The burst's patient messages, in the order they were answered. */
  messages: RecordedMessage[];
  triageLevel: TriageLevel;
  redFlags: string[];
  /**
   * The chat's patient as the conversation knows it (null: none linked), for the message workflows' PatientId
   * search attribute; absent, it is read from the database.
   */
  patientId?: string | null;
}

/** The row a waiting reply shows in the history; the recorded reply or the failed one takes its place. */
export function pendingReplyId(conversationWorkflowId: string): string {
  return `pending:${conversationWorkflowId}`;
}

export interface MessageRecordsDeps {
  repo: Pick<IConversationRepository, 'getChatSession' | 'replacePendingMessage'>;
  /** Starts the per-message workflows. */
  client: Pick<Client, 'workflow'>;
  /** The main task queue, where the message workflows run. */
  taskQueue: string;
  ids: WorkflowIds;
}

export function createMessageRecords({ repo, client, taskQueue, ids }: MessageRecordsDeps) {
  const triageAttribute = (level: TriageLevel | undefined) => {
    const value = level === undefined ? undefined : ids.triageAttribute(level);
    return value === undefined ? [] : [{ key: SA_TRIAGE_LEVEL, value }];
  };

  const eagerStart = client.workflow.connection instanceof NativeConnection;

  /**
   * The per-message workflows, one per message of a burst; started once, even when the calling activity is
   * retried (a message's workflow id is taken for good: REJECT_DUPLICATE).
   */
  const startRecords = async (
    where: Where,
    records: Omit<InboundWorkflowInput, keyof Where>[],
    knownPatientId?: string | null,
  ): Promise<void> => {
    const patientId =
      knownPatientId !== undefined
        ? (knownPatientId ?? undefined)
        : ((await repo.getChatSession(where.session, where.chatId))?.patientId ?? undefined);
    await Promise.all(
      records.map(async (record) => {
        const input: InboundWorkflowInput = { ...where, ...record };
        try {
          await client.workflow.start('inboundMessageWorkflow', {
            workflowId: ids.inbound(where.session, record.messageId),
            taskQueue,
            args: [input],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            // Its first task comes back in the start's answer to this worker when the client shares the
            // workers' native connection (worker/main.ts), skipping a trip through the task queue; the SDK
            // refuses an eager start on any other connection.
            requestEagerStart: eagerStart,
            typedSearchAttributes: [
              { key: SA_CHAT_ID, value: ids.chatAttribute(where.session, where.chatId) },
              { key: SA_WHATSAPP_SESSION, value: where.session },
              ...(patientId ? [{ key: SA_PATIENT_ID, value: ids.patientAttribute(patientId) }] : []),
              ...triageAttribute(record.triageLevel),
            ],
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }),
    );
  };

  /**
   * Logs the reply WPPConnect accepted in place of its pending row, then names the work in each message's
   * workflow. Idempotent: a second call finds the row and the workflows already there.
   */
  const recordReply = async (
    session: string,
    chatId: string,
    reply: ReplyRecord,
    sent: { messageId: string; content: string },
  ): Promise<void> => {
    const [leader] = reply.messages;
    if (!leader) return;
    const where: Where = { session, chatId, conversationWorkflowId: reply.conversationWorkflowId };
    const messageIds = reply.messages.map((m) => m.messageId);
    await repo.replacePendingMessage(session, pendingReplyId(reply.conversationWorkflowId), {
      session,
      chatId,
      messageId: sent.messageId,
      timestamp: new Date(),
      direction: 'outbound',
      senderType: 'assistant',
      messageType: 'text',
      content: sent.content,
      metadata: {
        workflowId: reply.conversationWorkflowId,
        inReplyTo: messageIds,
        triageLevel: reply.triageLevel,
        ...(reply.redFlags.length > 0 ? { redFlags: reply.redFlags } : {}),
      },
      deliveryStatus: 'sent',
    });
    log.info('message sent', {
      event: LogEvent.MessageSent,
      session,
      chat: maskChatId(chatId),
      messageType: 'text',
      senderType: 'assistant',
      triageLevel: reply.triageLevel,
    });
    const outcome = {
      answeredBy: ids.inbound(session, leader.messageId),
      replyMessageId: sent.messageId,
      coveredMessageIds: messageIds,
      triageLevel: reply.triageLevel,
      redFlags: reply.redFlags,
    };
    await startRecords(
      where,
      reply.messages.map((m, i) => ({ ...m, ...outcome, outcome: i === 0 ? 'replied' : 'coalesced' })),
      reply.patientId,
    );
  };

  return { startRecords, recordReply };
}

export type MessageRecords = ReturnType<typeof createMessageRecords>;
