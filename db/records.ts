import type { ChatSession, ConversationMessage, OutboundRequest } from './models';
import type { ChatSessionRecord, ConversationMessageRecord, OutboundRequestRecord } from './types';

/** Model instances to the plain records of db/types.ts (nothing Sequelize leaks out of the repository). */

export function parseMetadata(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

export function toMessageRecord(row: ConversationMessage): ConversationMessageRecord {
  return {
    id: Number(row.id),
    session: row.session,
    chatId: row.chatId,
    messageId: row.messageId,
    timestamp: new Date(row.timestamp),
    direction: row.direction,
    senderType: row.senderType,
    senderId: row.senderId ?? null,
    senderName: row.senderName ?? null,
    messageType: row.messageType,
    content: row.content ?? null,
    mediaPath: row.mediaPath ?? null,
    mediaFilename: row.mediaFilename ?? null,
    caption: row.caption ?? null,
    metadata: parseMetadata(row.metadata),
    deliveryStatus: row.deliveryStatus,
    statusReason: row.statusReason ?? null,
    createdAt: new Date(row.createdAt),
  };
}

const dateOrNull = (value: Date | null | undefined): Date | null => (value ? new Date(value) : null);

export function toChatSessionRecord(row: ChatSession): ChatSessionRecord {
  return {
    session: row.session,
    chatId: row.chatId,
    contactName: row.contactName ?? null,
    contactPhone: row.contactPhone ?? null,
    firstMessageAt: dateOrNull(row.firstMessageAt),
    lastMessageAt: dateOrNull(row.lastMessageAt),
    totalMessages: Number(row.totalMessages),
    status: row.status,
    patientId: row.patientId ?? null,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}

export function toOutboundRequestRecord(row: OutboundRequest): OutboundRequestRecord {
  return {
    requestId: row.requestId,
    session: row.session,
    chatId: row.chatId,
    workflowId: row.workflowId,
    payloadHash: row.payloadHash ?? null,
    status: row.status,
    reason: row.reason ?? null,
    messageId: row.messageId ?? null,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}
