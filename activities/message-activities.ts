import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  recordedMessage,
  type InboundItem,
  type InboundMessage,
  type InboundOutcome,
  type MessageType,
  type OutboundRequest,
  type PausedReason,
  type ReceivedVia,
  type RequestStatus,
  type TriageLevel,
  type WorkflowIds,
} from '../contracts';
import type { ConversationMessageRecord, IConversationRepository } from '../db/types';
import type { MediaStore } from '../media/store';
import { LogEvent, maskChatId } from '../observability/logger';
import type { Assessment, ConversationTurn, MedicalCore, PatientRecordProvider } from '../triage/types';
import type { IWhatsAppService } from '../wppconnect/types';
import { storeInboundMedia as storeInboundMediaFile, type StoreInboundMediaResult } from './inbound-media';
import { createMessageRecords, pendingReplyId, type Where } from './message-records';
import type { SendResult } from './send-activities';

/**
 * The conversation workflow's steps (workflows/conversation.ts). Most run as local activities inside the
 * workflow task: database writes and the rules assessment are short and local. Media and (with a model) the
 * assessment are ordinary activities.
 */

/** How far back the medical core looks: the recent conversation, not the chat's whole life. */
const CONTEXT_MESSAGES = 30;
const CONTEXT_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Said before a reply that was written again because the first one could not be sent in time. */
const DELAY_NOTICE: Record<string, string> = {
  en: 'Sorry for the delay: our messages could not be sent for a while. Here is an answer to your messages as they are now.',
  pt: 'Desculpe a demora: nossas mensagens não puderam ser enviadas por um tempo. Aqui está uma resposta às suas mensagens como estão agora.',
  es: 'Perdone la demora: nuestros mensajes no se pudieron enviar durante un tiempo. Esta es una respuesta a sus mensajes tal como están ahora.',
};

/**
 * Said when the messages being answered are only attachments (a photo or voice note without words): the
 * assistant does not read them, whether or not their media could be fetched.
 */
const ATTACHMENT_NOTICE: Record<string, string> = {
  en: 'I cannot open photos, voice messages or documents. Please write in a few words what is happening.',
  pt: 'Não consigo abrir fotos, áudios ou documentos. Por favor, escreva em poucas palavras o que está acontecendo.',
  es: 'No puedo abrir fotos, audios ni documentos. Por favor, escriba en pocas palabras qué está pasando.',
};

export interface PipelineSettings {
  quietWindowMs: number;
  /** An assessment older than this when its send can finally go is redone (REPLY_MAX_AGE). */
  replyMaxAgeMs: number;
  humanReplyPausesBot: boolean;
  /** The rules engine answers in milliseconds: run it inside the workflow task. */
  assessLocally: boolean;
  sendTaskQueue: string;
  /** `TriageLevel` value of an escalated chat (coarse when ids are pseudonymous). */
  emergencyAttribute: string;
}

export interface MessageActivityDeps {
  repo: IConversationRepository;
  mediaStore: MediaStore;
  wpp: IWhatsAppService;
  medicalCore: MedicalCore;
  patients?: PatientRecordProvider;
  /** Starts the per-message workflows that name what was done. */
  client: Pick<Client, 'workflow'>;
  taskQueue: string;
  ids: WorkflowIds;
  settings: PipelineSettings;
}

export interface RestoredChat {
  pausedReason?: PausedReason;
  patientId?: string;
}

export interface OpenConversationInput {
  session: string;
  chatId: string;
  /** A fresh start: read the chat's pause and patient from the database. */
  restore: boolean;
}

export interface OpenedConversation {
  settings: PipelineSettings;
  /** Only when asked to restore. */
  restored?: RestoredChat;
}

export interface AcceptInboundInput {
  session: string;
  chatId: string;
  items: { message: InboundMessage; receivedVia: ReceivedVia }[];
  /**
   * The one item is a patient message alone in the line: assess the conversation for it right after logging
   * it (the rules engine only). The conversation uses the result if the chat stays quiet and nothing else
   * changes meanwhile, and so needs no second local activity for the step (workflows/conversation.ts).
   */
  assess?: boolean;
}

export interface AcceptedInbound {
  patientId?: string;
  /** With `assess`: the assessment of the conversation ending with that message (absent if it failed). */
  assessment?: AssessResult;
}

export interface AssessInput {
  session: string;
  chatId: string;
  /** The patient messages this reply answers (a burst). */
  messageIds: string[];
  /** The first reply could not be sent within REPLY_MAX_AGE: say so. */
  delayed?: boolean;
}

export interface AssessResult extends Assessment {
  patientId?: string;
  /** After this ISO time the reply must not be sent as it is (REPLY_MAX_AGE). */
  expiresAt: string;
}

export interface RecordFailedReplyInput extends Where {
  items: InboundItem[];
  content: string;
  reason: string;
}

export interface RecordOutcomesInput extends Where {
  items: InboundItem[];
  outcome: Extract<InboundOutcome, 'paused' | 'ignored'>;
  reason: string;
}

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

export function createMessageActivities(deps: MessageActivityDeps) {
  const { repo, mediaStore, wpp, medicalCore, patients, client, ids, settings } = deps;

  const { startRecords } = createMessageRecords({ repo, client, taskQueue: deps.taskQueue, ids });

  /** The API writes the request row only after Temporal took the signal, so the worker can get here first. */
  const updateRequest = async (
    request: OutboundRequest,
    conversationWorkflowId: string,
    update: { status: RequestStatus; reason?: string; messageId?: string },
  ): Promise<void> => {
    if (await repo.updateOutboundRequest(request.requestId, update)) return;
    await repo.createOutboundRequest({
      requestId: request.requestId,
      session: request.session,
      chatId: request.chatId,
      workflowId: conversationWorkflowId,
    });
    await repo.updateOutboundRequest(request.requestId, update);
  };

  /** Asks the medical core about the recent conversation, ending with the burst being answered. */
  const assess = async ({ session, chatId, messageIds, delayed }: AssessInput): Promise<AssessResult> => {
    const history = await repo.getHistory({ session, chatId, limit: CONTEXT_MESSAGES });
    const answering = new Set(messageIds);
    const newest = history.reduce((max, m) => Math.max(max, m.timestamp.getTime()), 0);
    const messages: ConversationTurn[] = history
      .filter((m) => answering.has(m.messageId) || newest - m.timestamp.getTime() <= CONTEXT_WINDOW_MS)
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
    const answered = history.filter((m) => answering.has(m.messageId));
    const onlyAttachments =
      answered.length > 0 &&
      answered.every((m) => m.messageType !== 'text' && !m.caption?.trim() && !m.content?.trim());
    const notices = [
      ...(delayed ? [DELAY_NOTICE[assessment.language] ?? DELAY_NOTICE.en] : []),
      ...(onlyAttachments ? [ATTACHMENT_NOTICE[assessment.language] ?? ATTACHMENT_NOTICE.en] : []),
    ];
    const reply = [...notices, assessment.reply].join('\n\n');
    return {
      ...assessment,
      reply,
      patientId,
      expiresAt: new Date(Date.now() + settings.replyMaxAgeMs).toISOString(),
    };
  };

  return {
    /**
     * What a conversation run needs before its first step, in one local activity: the pipeline's settings,
     * and when the conversation starts afresh (`restore`: its first message, or after an operator terminated
     * it, or after the payload key and so the pseudonymous ids changed) what the database knows of the chat:
     * a chat that waits for a human keeps waiting.
     */
    async openConversation({ session, chatId, restore }: OpenConversationInput): Promise<OpenedConversation> {
      if (!restore) return { settings };
      const chat = await repo.getChatSession(session, chatId);
      const pausedReason =
        chat?.status === 'escalated' ? 'escalated' : chat?.status === 'handoff' ? 'handoff' : undefined;
      return {
        settings,
        restored: {
          ...(pausedReason ? { pausedReason } : {}),
          ...(chat?.patientId ? { patientId: chat.patientId } : {}),
        },
      };
    },

    /**
     * Logs patients' messages as they arrive (idempotent on the WhatsApp id). Messages typed on the clinic's
     * phone are recorded in their turn (recordStaffMessages), once the pipeline's own sends before them are.
     */
    async acceptInbound({ session, chatId, items, assess: early }: AcceptInboundInput): Promise<AcceptedInbound> {
      for (const { message, receivedVia } of items) {
        if (message.fromMe) continue;
        const { created } = await repo.logMessage({
          session,
          chatId,
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
            receivedVia,
            rawType: message.rawType,
            ...(message.mimetype ? { mimetype: message.mimetype } : {}),
            ...(message.size !== undefined ? { size: message.size } : {}),
            ...(message.location ? { location: message.location } : {}),
            ...(message.quotedMessageId ? { quotedMessageId: message.quotedMessageId } : {}),
            ...(message.isGroup ? { isGroup: true } : {}),
          },
          deliveryStatus: 'received',
          contactName: message.senderName ?? null,
          contactPhone: message.contactPhone ?? null,
        });
        if (created) {
          log.info('message received', {
            event: LogEvent.MessageReceived,
            session,
            chat: maskChatId(chatId),
            messageType: message.messageType,
            receivedVia,
          });
        }
      }
      const [only] = items;
      if (early && items.length === 1 && only && !only.message.fromMe) {
        try {
          const assessment = await assess({ session, chatId, messageIds: [only.message.messageId] });
          return { patientId: assessment.patientId, assessment };
        } catch (err) {
          // Only a head start: the line assesses the message itself when the chat is quiet.
          log.warn('early assessment failed; the conversation assesses the message in its turn', {
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
      const chat = await repo.getChatSession(session, chatId);
      return { patientId: chat?.patientId ?? undefined };
    },

    /** Asks the medical core about the recent conversation, ending with the burst being answered. */
    assessConversation: assess,

    /** The chat waits for a human from now on; the console inbox shows it first. */
    async recordEscalation(input: {
      session: string;
      chatId: string;
      triageLevel: TriageLevel;
      redFlags: string[];
    }): Promise<void> {
      // The row the console inbox shows (red flags, alert outcome, acknowledgement); one per open escalation.
      await repo.recordEscalation({
        session: input.session,
        chatId: input.chatId,
        triageLevel: input.triageLevel,
        redFlags: input.redFlags,
        at: new Date(),
      });
      await repo.setChatStatus(input.session, input.chatId, 'escalated');
      log.warn('chat escalated', {
        event: LogEvent.ChatEscalated,
        session: input.session,
        chat: maskChatId(input.chatId),
        triageLevel: input.triageLevel,
        redFlags: input.redFlags,
      });
    },

    /** A reply that could not be sent stays visible: a failed row with the reason. */
    async recordFailedReply({ items, content, reason, ...where }: RecordFailedReplyInput): Promise<void> {
      const [leader] = items;
      if (!leader) return;
      const messageIds = items.map((i) => i.message.messageId);
      await repo.replacePendingMessage(where.session, pendingReplyId(where.conversationWorkflowId), {
        session: where.session,
        chatId: where.chatId,
        messageId: `failed:${ids.inbound(where.session, leader.message.messageId)}`,
        timestamp: new Date(),
        direction: 'outbound',
        senderType: 'assistant',
        messageType: 'text',
        content,
        metadata: { workflowId: where.conversationWorkflowId, inReplyTo: messageIds },
        deliveryStatus: 'failed',
        statusReason: reason,
      });
      const answeredBy = ids.inbound(where.session, leader.message.messageId);
      await startRecords(
        where,
        items.map((item) => ({
          ...recordedMessage(item),
          outcome: 'failed',
          answeredBy,
          coveredMessageIds: messageIds,
          reason,
        })),
      );
    },

    /** Messages that get no assistant reply (paused chat, group chat): their workflows say why. */
    async recordOutcomes({ items, outcome, reason, ...where }: RecordOutcomesInput): Promise<void> {
      await startRecords(
        where,
        items.map((item) => ({ ...recordedMessage(item), outcome, reason })),
      );
    },

    /**
     * Messages typed on the clinic's linked phone (WhatsApp fromMe) that the pipeline did not send: a person
     * of the clinic answering. Recorded as human replies; returns how many there were.
     */
    async recordStaffMessages({ items, ...where }: Where & { items: InboundItem[] }): Promise<{ human: number }> {
      let human = 0;
      const staff: InboundItem[] = [];
      for (const item of items) {
        const { message } = item;
        const existing = await repo.getMessage(where.session, message.messageId);
        if (existing) continue; // one of our own sends, echoed back
        await repo.logMessage({
          session: where.session,
          chatId: where.chatId,
          messageId: message.messageId,
          timestamp: new Date(message.sentAt),
          direction: 'outbound',
          senderType: 'human',
          senderId: message.senderId,
          senderName: message.senderName ?? 'clinic phone',
          messageType: message.messageType,
          content: message.text ?? null,
          caption: message.caption ?? null,
          mediaFilename: message.filename ?? null,
          metadata: { receivedVia: item.receivedVia, rawType: message.rawType, typedOn: 'phone' },
          deliveryStatus: 'sent',
        });
        human += 1;
        staff.push(item);
      }
      if (human > 0 && settings.humanReplyPausesBot) {
        const chat = await repo.getChatSession(where.session, where.chatId);
        if (chat?.status !== 'escalated') await repo.setChatStatus(where.session, where.chatId, 'handoff');
      }
      await startRecords(
        where,
        staff.map((item) => ({ ...recordedMessage(item), outcome: 'staff', reason: 'typed on the clinic phone' })),
      );
      return { human };
    },

    /** A message another service (or a person at the console) asked for, once WPPConnect accepted it. */
    async recordRequestSent({ request, sent }: { request: OutboundRequest; sent: SendResult }): Promise<void> {
      const conversationWorkflowId = ids.conversation(request.session, request.chatId);
      const senderType = request.senderType ?? 'system';
      await repo.logMessage({
        session: request.session,
        chatId: request.chatId,
        messageId: sent.messageId,
        timestamp: new Date(),
        direction: 'outbound',
        senderType,
        ...(request.senderName ? { senderName: request.senderName } : {}),
        messageType: request.type,
        content: request.text ?? null,
        caption: request.caption ?? null,
        mediaFilename: request.filename ?? null,
        metadata: {
          workflowId: conversationWorkflowId,
          requestId: request.requestId,
          ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
        },
        deliveryStatus: 'sent',
      });
      await updateRequest(request, conversationWorkflowId, { status: 'sent', messageId: sent.messageId });
      if (senderType === 'human' && settings.humanReplyPausesBot) {
        const chat = await repo.getChatSession(request.session, request.chatId);
        if (chat?.status !== 'escalated') await repo.setChatStatus(request.session, request.chatId, 'handoff');
      }
      log.info('message sent', {
        event: LogEvent.MessageSent,
        session: request.session,
        chat: maskChatId(request.chatId),
        messageType: request.type,
        senderType,
      });
    },

    async recordRequestFailed({ request, reason }: { request: OutboundRequest; reason: string }): Promise<void> {
      const conversationWorkflowId = ids.conversation(request.session, request.chatId);
      await repo.logMessage({
        session: request.session,
        chatId: request.chatId,
        messageId: `failed:${request.requestId}`,
        timestamp: new Date(),
        direction: 'outbound',
        senderType: request.senderType ?? 'system',
        messageType: request.type,
        content: request.text ?? null,
        metadata: { workflowId: conversationWorkflowId, requestId: request.requestId },
        deliveryStatus: 'failed',
        statusReason: reason,
      });
      await updateRequest(request, conversationWorkflowId, { status: 'failed', reason });
    },

    /**
     * Moves the media bytes to MEDIA_STORAGE_PATH (activities/inbound-media.ts): from the API's staging file, or
     * streamed from WPPConnect. Runs beside the line: the message is answered whatever happens here, and a fetch
     * that fails for good leaves its reason on the message's row.
     */
    async storeInboundMedia({ message }: { message: InboundMessage }): Promise<StoreInboundMediaResult> {
      return storeInboundMediaFile({ repo, mediaStore, wpp }, message);
    },
  };
}

export type MessageActivities = ReturnType<typeof createMessageActivities>;
