/**
 * inboundMessageWorkflow — one per incoming WhatsApp message (id inbound:<session>:<message id>, so a
 * duplicate webhook or a catch-up of a message already seen starts nothing).
 *
 * log → store media → take the chat's turn → assess → (escalate) → send → log reply → release turn →
 * track delivery until delivered or DELIVERY_TIMEOUT.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConversationActivities } from '../activities/conversation-activities';
import type { MessageActivities } from '../activities/message-activities';
import type { SendActivities } from '../activities/send-activities';
import {
  conversationWorkflowId,
  handoffSignal,
  releaseTurnSignal,
  SA_PATIENT_ID,
  SA_TRIAGE_LEVEL,
  turnGrantedSignal,
  type InboundWorkflowInput,
  type InboundWorkflowResult,
  type TurnGrant,
} from './definitions';
import { ALERT, ASSESSMENT, DATABASE, SEND, SETTINGS, TURN_REQUEST } from './presets';
import { trackDelivery } from './delivery';

const db = proxyActivities<MessageActivities>(DATABASE);
const { assessConversation } = proxyActivities<MessageActivities>(ASSESSMENT);
const { getPipelineSettings } = proxyLocalActivities<ConversationActivities>(SETTINGS);
const { requestTurn } = proxyActivities<ConversationActivities>(TURN_REQUEST);
const { alertClinician } = proxyActivities<ConversationActivities>(ALERT);

/** The reason stored on a reply that could not be sent, from the activity failure that ended it. */
export function failureReason(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const type = err.cause.type ?? 'Error';
    if (type === 'RecipientNotFound') return 'recipient does not exist on WhatsApp';
    return `${type}: ${err.cause.message}`.slice(0, 300);
  }
  if (err instanceof Error) return err.message.slice(0, 300);
  return 'unknown error';
}

export async function inboundMessageWorkflow(input: InboundWorkflowInput): Promise<InboundWorkflowResult> {
  const { message, receivedVia } = input;
  const { session, chatId } = message;
  const workflowId = workflowInfo().workflowId;
  const send = proxyActivities<SendActivities>({ ...SEND, taskQueue: `${workflowInfo().taskQueue}-sends` });

  let turn: TurnGrant | undefined;
  setHandler(turnGrantedSignal, (grant) => {
    turn ??= grant;
  });
  const tracker = trackDelivery();

  // The chat's place in line comes first, before any slower step: a message whose logging is delayed
  // (a worker killed mid-activity) must not let later messages of the same patient overtake it.
  if (!message.isGroup) {
    await requestTurn({
      session,
      chatId,
      turn: { workflowId, kind: 'inbound', messageId: message.messageId, sentAt: message.sentAt },
    });
  }
  const recorded = await db.recordInboundMessage({ message, workflowId, receivedVia });
  if (recorded.patientId) upsertSearchAttributes([{ key: SA_PATIENT_ID, value: recorded.patientId }]);

  if (message.media) {
    try {
      await db.storeInboundMedia({ message });
    } catch (err) {
      // The message itself is logged and still answered; the media problem is recorded in the log.
      if (isCancellation(err)) throw err;
      log.warn('media not stored', { reason: failureReason(err) });
    }
  }

  if (message.isGroup) {
    // The assistant answers people, not group chats: the message is logged for operators.
    return { outcome: 'ignored', reason: 'group chat' };
  }

  await condition(() => turn !== undefined);
  const grant = turn as TurnGrant;
  const conversation = getExternalWorkflowHandle(conversationWorkflowId(session, chatId));

  if (grant.role === 'coalesced') return { outcome: 'coalesced', answeredBy: grant.into };
  if (grant.role === 'paused') {
    if (grant.reason === 'escalated') {
      await alertClinician({ kind: 'message-while-escalated', session, chatId, workflowId });
    }
    return { outcome: 'paused', reason: grant.reason };
  }
  if (grant.role !== 'reply') throw ApplicationFailure.nonRetryable(`unexpected turn ${grant.role}`, 'ProtocolError');

  const messageIds = grant.messageIds.length > 0 ? grant.messageIds : [message.messageId];
  const anchorMessageId = messageIds[messageIds.length - 1];
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await conversation.signal(releaseTurnSignal, { workflowId });
  };

  try {
    const assessment = await assessConversation({ session, chatId, messageIds });
    upsertSearchAttributes([{ key: SA_TRIAGE_LEVEL, value: assessment.triageLevel }]);
    const emergency = assessment.triageLevel === 'emergency';
    const alerting: Promise<unknown>[] = [];
    if (emergency) {
      // Pause the bot for this chat before the turn is released, so the next message waits for a human.
      await conversation.signal(handoffSignal, { action: 'escalate', by: 'safety-layer', triageLevel: 'emergency' });
      alerting.push(
        db.setChatStatus({ session, chatId, status: 'escalated' }),
        alertClinician({
          kind: 'escalation',
          session,
          chatId,
          triageLevel: assessment.triageLevel,
          redFlags: assessment.redFlags,
          workflowId,
        }),
      );
    }

    let sent;
    try {
      sent = await send.sendText({ session, chatId, text: assessment.reply, anchorMessageId });
    } catch (err) {
      if (isCancellation(err)) throw err;
      const reason = failureReason(err);
      await db.recordFailedReply({
        session,
        chatId,
        workflowId,
        content: assessment.reply,
        reason,
        inReplyTo: messageIds,
      });
      await release();
      await Promise.all(alerting);
      return { outcome: 'failed', reason, triageLevel: assessment.triageLevel, answeredBy: workflowId };
    }

    const { deliveryStatus } = await db.recordOutboundMessage({
      session,
      chatId,
      messageId: sent.messageId,
      workflowId,
      senderType: 'assistant',
      messageType: 'text',
      content: assessment.reply,
      inReplyTo: messageIds,
      triageLevel: assessment.triageLevel,
      redFlags: assessment.redFlags,
    });
    await release();
    await Promise.all(alerting);

    const settings = await getPipelineSettings();
    const final = await tracker.waitForDelivery(
      sent.messageId,
      deliveryStatus,
      settings.deliveryTimeoutMs,
      { session, chatId },
      async () => {
        await db.flagUndelivered({ session, messageId: sent.messageId, afterMs: settings.deliveryTimeoutMs });
        if (emergency) {
          await alertClinician({
            kind: 'undelivered-escalated-reply',
            session,
            chatId,
            triageLevel: assessment.triageLevel,
            workflowId,
          });
        }
      },
    );
    return {
      outcome: 'replied',
      answeredBy: workflowId,
      replyMessageId: sent.messageId,
      triageLevel: assessment.triageLevel,
      deliveryStatus: final.status,
    };
  } finally {
    // Never leave the chat blocked, whatever happened above (the lease is only the last resort).
    await CancellationScope.nonCancellable(release);
  }
}
