/**
 * outboundMessageWorkflow — one per sendMessage request (id outbound:<session>:<requestId>), started by
 * the chat's conversationWorkflow. It waits for its turn (so it never overtakes a reply being written),
 * sends, records the message, releases the turn and tracks delivery like a reply.
 */
import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeliveryStatus } from '../db/types';
import type { ConversationActivities } from '../activities/conversation-activities';
import type { MessageActivities } from '../activities/message-activities';
import type { SendActivities, SendResult } from '../activities/send-activities';
import {
  conversationWorkflowId,
  releaseTurnSignal,
  turnGrantedSignal,
  type OutboundWorkflowInput,
  type OutboundWorkflowResult,
  type TurnGrant,
} from './definitions';
import { trackDelivery } from './delivery';
import { failureReason } from './inbound';
import { DATABASE, SEND, SETTINGS } from './presets';

const db = proxyActivities<MessageActivities>(DATABASE);
const { getPipelineSettings } = proxyLocalActivities<ConversationActivities>(SETTINGS);

function asRequestStatus(status: DeliveryStatus): OutboundWorkflowResult['status'] {
  return status === 'delivered' || status === 'read' || status === 'failed' ? status : 'sent';
}

export async function outboundMessageWorkflow({ request }: OutboundWorkflowInput): Promise<OutboundWorkflowResult> {
  const { session, chatId, requestId } = request;
  const workflowId = workflowInfo().workflowId;
  const send = proxyActivities<SendActivities>({ ...SEND, taskQueue: `${workflowInfo().taskQueue}-sends` });
  let turn: TurnGrant | undefined;
  setHandler(turnGrantedSignal, (grant) => {
    turn ??= grant;
  });
  const tracker = trackDelivery();

  await condition(() => turn !== undefined);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await getExternalWorkflowHandle(conversationWorkflowId(session, chatId)).signal(releaseTurnSignal, { workflowId });
  };

  let sent: SendResult;
  try {
    try {
      sent =
        request.type === 'text'
          ? await send.sendText({ session, chatId, text: request.text ?? '' })
          : await send.sendMedia({
              session,
              chatId,
              type: request.type,
              mediaFile: request.mediaFile ?? '',
              mimetype: request.mimetype ?? 'application/octet-stream',
              filename: request.filename,
              caption: request.caption,
            });
    } catch (err) {
      if (isCancellation(err)) throw err;
      const reason = failureReason(err);
      await db.recordFailedReply({ session, chatId, workflowId, content: request.text, reason, requestId });
      return { status: 'failed', reason };
    }
    const { deliveryStatus } = await db.recordOutboundMessage({
      session,
      chatId,
      messageId: sent.messageId,
      workflowId,
      senderType: 'system',
      messageType: request.type,
      content: request.text,
      caption: request.caption,
      mediaFilename: request.filename,
      requestId,
    });
    await CancellationScope.nonCancellable(release);

    const settings = await getPipelineSettings();
    const final = await tracker.waitForDelivery(
      sent.messageId,
      deliveryStatus,
      settings.deliveryTimeoutMs,
      { session, chatId },
      () => db.flagUndelivered({ session, messageId: sent.messageId, afterMs: settings.deliveryTimeoutMs }),
    );
    const status = asRequestStatus(final.status);
    if (status !== 'sent') await db.updateRequestStatus({ requestId, session, chatId, workflowId, status });
    return { status, messageId: sent.messageId };
  } finally {
    await CancellationScope.nonCancellable(release);
  }
}
