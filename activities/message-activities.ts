import { ApplicationFailure, heartbeat, log } from '@temporalio/activity';
import {
  ackToStatus,
  type ConversationMessageRecord,
  type DeliveryStatus,
  type IConversationRepository,
  type MessageType,
  type OutboundRequestStatus,
} from '../db/types';
import { MediaError, type MediaStore } from '../media/store';
import { LogEvent, maskChatId } from '../observability/logger';
import type { Assessment, ConversationTurn, MedicalCore, PatientRecordProvider } from '../triage/types';
import type { IWhatsAppService } from '../wppconnect/types';
import type { InboundMessage } from '../workflows/definitions';

/** How far back the medical core looks: the recent conversation, not the chat's whole life. */
const CONTEXT_MESSAGES = 30;
const CONTEXT_WINDOW_MS = 24 * 60 * 60 * 1000;
/** How long an assessment waits for the other messages of its burst to be logged. */
const BURST_WAIT_MS = 20_000;

export interface MessageActivityDeps {
  repo: IConversationRepository;
  mediaStore: MediaStore;
  wpp: IWhatsAppService;
  medicalCore: MedicalCore;
  patients?: PatientRecordProvider;
}

export interface RecordInboundInput {
  message: InboundMessage;
  workflowId: string;
  receivedVia: 'webhook' | 'catch-up';
}

export interface RecordInboundResult {
  created: boolean;
  chatStatus: string;
  patientId?: string;
}

export interface StoreMediaResult {
  stored: boolean;
  mediaPath?: string;
  reason?: string;
}

export interface AssessInput {
  session: string;
  chatId: string;
  /** The patient messages this reply answers (a burst). */
  messageIds: string[];
}

export interface AssessResult extends Assessment {
  patientId?: string;
}

export interface RecordOutboundInput {
  session: string;
  chatId: string;
  messageId: string;
  workflowId: string;
  senderType: 'assistant' | 'human' | 'system';
  messageType: MessageType;
  content?: string;
  caption?: string;
  mediaPath?: string;
  mediaFilename?: string;
  inReplyTo?: string[];
  requestId?: string;
  triageLevel?: string;
  redFlags?: string[];
}

export interface RecordFailedInput {
  session: string;
  chatId: string;
  workflowId: string;
  content?: string;
  reason: string;
  inReplyTo?: string[];
  requestId?: string;
}

const mediaFailureType: Record<MediaError['code'], string> = {
  MEDIA_TOO_LARGE: 'MediaTooLarge',
  MEDIA_TYPE_NOT_ALLOWED: 'MediaTypeNotAllowed',
  MEDIA_INVALID: 'MediaInvalid',
  MEDIA_NOT_FOUND: 'MediaNotFound',
};

function placeholderFor(type: MessageType): string {
  switch (type) {
    case 'audio':
      return '[voice message]';
    case 'image':
      return '[image]';
    case 'document':
      return '[document]';
    case 'video':
      return '[video]';
    case 'location':
      return '[location]';
    case 'sticker':
      return '[sticker]';
    case 'contact':
      return '[contact card]';
    default:
      return '[message]';
  }
}

/** What the medical core reads for a stored message: its text, caption, or a placeholder for media. */
export function turnText(m: ConversationMessageRecord): string {
  const parts = [m.content, m.caption].filter((p): p is string => typeof p === 'string' && p.trim() !== '');
  if (m.messageType !== 'text' && parts.length === 0) return placeholderFor(m.messageType);
  if (m.messageType !== 'text') return `${placeholderFor(m.messageType)} ${parts.join(' ')}`;
  return parts.join(' ');
}

export function createMessageActivities({ repo, mediaStore, wpp, medicalCore, patients }: MessageActivityDeps) {
  /**
   * The API writes the request row only after Temporal took the signal, so the worker can get here first:
   * then the row is created here (without the body hash, which only the API knows).
   */
  const updateRequest = async (
    ref: { requestId: string; session: string; chatId: string; workflowId: string },
    update: { status: OutboundRequestStatus; reason?: string; messageId?: string },
  ): Promise<void> => {
    if (await repo.updateOutboundRequest(ref.requestId, update)) return;
    await repo.createOutboundRequest(ref);
    await repo.updateOutboundRequest(ref.requestId, update);
  };

  return {
    /** Logs the patient's message (idempotent on the WhatsApp id) and reports the chat's state. */
    async recordInboundMessage({ message, workflowId, receivedVia }: RecordInboundInput): Promise<RecordInboundResult> {
      const { created } = await repo.logMessage({
        session: message.session,
        chatId: message.chatId,
        messageId: message.messageId,
        timestamp: new Date(message.sentAt),
        direction: 'inbound',
        senderType: 'patient',
        senderId: message.senderId,
        senderName: message.senderName ?? null,
        messageType: message.messageType,
        content: message.text ?? null,
        caption: message.caption ?? null,
        mediaFilename: message.filename ?? null,
        metadata: {
          workflowId,
          receivedVia,
          rawType: message.rawType,
          ...(message.mimetype ? { mimetype: message.mimetype } : {}),
          ...(message.location ? { location: message.location } : {}),
          ...(message.quotedMessageId ? { quotedMessageId: message.quotedMessageId } : {}),
          ...(message.isGroup ? { isGroup: true } : {}),
        },
        deliveryStatus: 'received',
        contactName: message.senderName ?? null,
        contactPhone: message.contactPhone ?? null,
      });
      const chat = await repo.getChatSession(message.session, message.chatId);
      if (created) {
        log.info('message received', {
          event: LogEvent.MessageReceived,
          session: message.session,
          chat: maskChatId(message.chatId),
          messageType: message.messageType,
          receivedVia,
        });
      }
      return { created, chatStatus: chat?.status ?? 'active', patientId: chat?.patientId ?? undefined };
    },

    /**
     * Moves the media bytes to MEDIA_STORAGE_PATH: from the API's staging file, or from WPPConnect when the
     * message came by catch-up. Size and type limits are permanent failures; the message stays answered.
     */
    async storeInboundMedia({ message }: { message: InboundMessage }): Promise<StoreMediaResult> {
      if (!message.media) return { stored: false, reason: 'no media' };
      const mimetype = message.mimetype ?? 'application/octet-stream';
      let data: Buffer;
      try {
        if (message.media.source === 'staged') {
          try {
            data = await mediaStore.readStaged(message.media.stagingName);
          } catch (err) {
            if (!(err instanceof MediaError && err.code === 'MEDIA_NOT_FOUND')) throw err;
            // The staging file is gone (another host, or already moved by an earlier attempt): ask WPPConnect.
            const existing = await repo.getMessage(message.session, message.messageId);
            if (existing?.mediaPath) return { stored: true, mediaPath: existing.mediaPath };
            data = Buffer.from((await wpp.getMediaByMessage(message.session, message.messageId)).base64, 'base64');
          }
        } else {
          const media = await wpp.getMediaByMessage(message.session, message.messageId);
          data = Buffer.from(media.base64, 'base64');
        }
        heartbeat();
        const stored = await mediaStore.saveInbound({
          session: message.session,
          messageId: message.messageId,
          mimetype,
          data,
          filename: message.filename,
        });
        await repo.setMessageMedia(message.session, message.messageId, stored.relativePath, stored.filename);
        if (message.media.source === 'staged') await mediaStore.discardStaged(message.media.stagingName);
        return { stored: true, mediaPath: stored.relativePath };
      } catch (err) {
        if (err instanceof MediaError) {
          if (message.media.source === 'staged') await mediaStore.discardStaged(message.media.stagingName);
          throw ApplicationFailure.nonRetryable(err.message, mediaFailureType[err.code]);
        }
        throw err;
      }
    },

    /** Asks the medical core about the recent conversation, ending with the burst being answered. */
    async assessConversation({ session, chatId, messageIds }: AssessInput): Promise<AssessResult> {
      // Messages of the burst are logged by their own workflows; one may still be on its way (a retried
      // write after a worker crash). Give them a moment so the reply really covers the whole burst.
      const deadline = Date.now() + BURST_WAIT_MS;
      for (;;) {
        const recorded = await repo.findExistingMessageIds(session, messageIds);
        if (recorded.size === messageIds.length || Date.now() >= deadline) break;
        heartbeat();
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const history = await repo.getHistory({ session, chatId, limit: CONTEXT_MESSAGES });
      const answering = new Set(messageIds);
      const newest = history.reduce((max, m) => Math.max(max, m.timestamp.getTime()), 0);
      const recent = history.filter(
        (m) => answering.has(m.messageId) || newest - m.timestamp.getTime() <= CONTEXT_WINDOW_MS,
      );
      const messages: ConversationTurn[] = recent
        .filter((m) => m.deliveryStatus !== 'failed')
        .map((m) => ({
          role: m.direction === 'inbound' ? 'patient' : 'assistant',
          text: turnText(m),
          at: m.timestamp.toISOString(),
        }));
      const chat = await repo.getChatSession(session, chatId);
      const patientId = chat?.patientId ?? undefined;
      const patient = patientId && patients ? await patients.getPatientContext(patientId) : undefined;
      const assessment = await medicalCore.assess({ messages, patient });
      log.info('conversation assessed', {
        triageLevel: assessment.triageLevel,
        redFlags: assessment.redFlags,
        provider: assessment.provider,
        turns: messages.length,
      });
      return { ...assessment, patientId };
    },

    /** Logs a reply WPPConnect accepted; returns the status after any acks that arrived first. */
    async recordOutboundMessage(input: RecordOutboundInput): Promise<{ deliveryStatus: DeliveryStatus }> {
      const { message } = await repo.logMessage({
        session: input.session,
        chatId: input.chatId,
        messageId: input.messageId,
        timestamp: new Date(),
        direction: 'outbound',
        senderType: input.senderType,
        messageType: input.messageType,
        content: input.content ?? null,
        caption: input.caption ?? null,
        mediaPath: input.mediaPath ?? null,
        mediaFilename: input.mediaFilename ?? null,
        metadata: {
          workflowId: input.workflowId,
          ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
          ...(input.requestId ? { requestId: input.requestId } : {}),
          ...(input.triageLevel ? { triageLevel: input.triageLevel } : {}),
          ...(input.redFlags && input.redFlags.length > 0 ? { redFlags: input.redFlags } : {}),
        },
        deliveryStatus: 'sent',
      });
      if (input.requestId) {
        await updateRequest(
          { requestId: input.requestId, session: input.session, chatId: input.chatId, workflowId: input.workflowId },
          { status: 'sent', messageId: input.messageId },
        );
      }
      log.info('message sent', {
        event: LogEvent.MessageSent,
        session: input.session,
        chat: maskChatId(input.chatId),
        messageType: input.messageType,
        senderType: input.senderType,
        ...(input.triageLevel ? { triageLevel: input.triageLevel } : {}),
      });
      return { deliveryStatus: message.deliveryStatus };
    },

    /** A reply that could not be sent stays visible: a failed row with the reason. */
    async recordFailedReply(input: RecordFailedInput): Promise<void> {
      await repo.logMessage({
        session: input.session,
        chatId: input.chatId,
        messageId: `failed:${input.workflowId}`,
        timestamp: new Date(),
        direction: 'outbound',
        senderType: 'assistant',
        messageType: 'text',
        content: input.content ?? null,
        metadata: {
          workflowId: input.workflowId,
          ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
          ...(input.requestId ? { requestId: input.requestId } : {}),
        },
        deliveryStatus: 'failed',
        statusReason: input.reason,
      });
      if (input.requestId) {
        await updateRequest(
          { requestId: input.requestId, session: input.session, chatId: input.chatId, workflowId: input.workflowId },
          { status: 'failed', reason: input.reason },
        );
      }
    },

    /** Mirrors the delivery status a workflow saw onto the outbound request (GET /api/messages/:requestId). */
    async updateRequestStatus(input: {
      requestId: string;
      session: string;
      chatId: string;
      workflowId: string;
      status: 'sent' | 'delivered' | 'read' | 'failed';
      reason?: string;
    }): Promise<void> {
      const { status, reason, ...ref } = input;
      await updateRequest(ref, { status, reason });
    },

    /**
     * Asks WPPConnect for the ack of a message whose ack webhooks never reached us (the webhook has no
     * retry: our API was down, or the event was lost) and records it. Returns the status now known.
     */
    async reconcileDelivery(input: { session: string; chatId: string; messageId: string }): Promise<DeliveryStatus> {
      const recent = await wpp.getMessages(input.session, input.chatId, { count: 50 });
      const found = recent.find((m) => m.id === input.messageId);
      if (found?.ack !== undefined && found.ack >= 1) {
        const result = await repo.recordDeliveryEvent({
          session: input.session,
          messageId: input.messageId,
          status: ackToStatus(found.ack),
          ack: found.ack,
          at: new Date(),
          source: 'catch-up',
        });
        if (result.current) return result.current;
      }
      const message = await repo.getMessage(input.session, input.messageId);
      return message?.deliveryStatus ?? 'sent';
    },

    async flagUndelivered(input: { session: string; messageId: string; afterMs: number }): Promise<void> {
      const minutes = Math.round(input.afterMs / 60_000);
      await repo.flagMessage(
        input.session,
        input.messageId,
        'undelivered',
        `not delivered after ${minutes >= 1 ? `${minutes} minute(s)` : `${Math.round(input.afterMs / 1000)} s`}`,
      );
    },

    async setChatStatus(input: {
      session: string;
      chatId: string;
      status: 'active' | 'handoff' | 'escalated';
    }): Promise<void> {
      await repo.setChatStatus(input.session, input.chatId, input.status);
    },
  };
}

export type MessageActivities = ReturnType<typeof createMessageActivities>;
