/**
 * Turns WPPConnect messages (webhook events and catch-up reads) into the workflow's InboundMessage.
 * Media bytes never go into the InboundMessage: they travel separately so they stay out of
 * workflow history.
 */
import type { InboundMessage, MessageType } from '../contracts';
import { chatKind, normalizePhone, widToString } from './ids';
import type { MessageWebhookEvent } from './schemas';
import type { WppMessage } from './types';

export { normalizePhone } from './ids';

const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'ptt', 'document', 'sticker']);
const TEXT_TYPES = new Set(['chat', 'list_response', 'buttons_response', 'template_button_reply']);
/** Types that are WhatsApp housekeeping, not something a person wrote. */
const NON_PATIENT_TYPES = new Set([
  'revoked',
  'ciphertext',
  'notification',
  'notification_template',
  'e2e_notification',
  'gp2',
  'protocol',
  'call_log',
  'broadcast_notification',
]);

/** WhatsApp housekeeping (revokes, notifications, undecrypted messages): nothing a person wrote to us. */
export function isHousekeepingType(rawType: string | null | undefined): boolean {
  return NON_PATIENT_TYPES.has(rawType ?? '');
}

/** WhatsApp's message type → the conversation store's MessageType. */
export function mapMessageType(rawType: string | null | undefined): MessageType {
  switch (rawType) {
    case 'chat':
    case 'list_response':
    case 'buttons_response':
    case 'template_button_reply':
      return 'text';
    case 'image':
      return 'image';
    case 'video':
      return 'video';
    case 'audio':
    case 'ptt':
      return 'audio';
    case 'document':
      return 'document';
    case 'location':
      return 'location';
    case 'sticker':
      return 'sticker';
    case 'vcard':
    case 'multi_vcard':
      return 'contact';
    default:
      return 'other';
  }
}

export function isMediaType(rawType: string | null | undefined): boolean {
  return rawType !== undefined && rawType !== null && MEDIA_TYPES.has(rawType);
}

export function isTextType(rawType: string | null | undefined): boolean {
  return rawType !== undefined && rawType !== null && TEXT_TYPES.has(rawType);
}

/** Sent from the clinic's own number (typed on the linked phone, or one of the pipeline's sends echoed). */
export function isFromMe(event: MessageWebhookEvent): boolean {
  return event.event === 'onselfmessage' || event.fromMe === true;
}

/** Something a person wrote in a person's or group chat: not status broadcasts, channels, notifications, revoked or undecrypted. */
function isPersonMessage(event: MessageWebhookEvent): boolean {
  if (event.isNotification === true) return false;
  if (isHousekeepingType(event.type)) return false;
  const chatId = widToString(event.chatId) ?? (isFromMe(event) ? widToString(event.to) : widToString(event.from)) ?? '';
  const kind = chatKind(chatId);
  return kind !== 'broadcast' && kind !== 'newsletter';
}

/** false for our own messages, status broadcasts, channels, notifications, revoked and undecrypted ones. */
export function isPatientMessage(event: MessageWebhookEvent): boolean {
  return !isFromMe(event) && isPersonMessage(event);
}

/** A message typed on the clinic's linked phone into a person's chat (or one of our sends, echoed back). */
export function isStaffMessage(event: MessageWebhookEvent): boolean {
  return isFromMe(event) && isPersonMessage(event);
}

function isoFromSeconds(seconds: number | undefined): string {
  return new Date(seconds !== undefined && Number.isFinite(seconds) ? seconds * 1000 : Date.now()).toISOString();
}

function contactPhoneOf(chatId: string): string | undefined {
  return chatKind(chatId) === 'user' ? (normalizePhone(chatId) ?? undefined) : undefined;
}

function optional(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

/**
 * With autoDownload the server replaces `body` with the bare base64 of the whole file; when the
 * download failed `body` keeps the thumbnail, which `content` also holds (wppconnect/CONTRACT.md §5.1, §5.3).
 */
function downloadedMedia(event: MessageWebhookEvent): string | undefined {
  const body = optional(event.body);
  if (!isMediaType(event.type) || body === undefined) return undefined;
  return body !== (event.content ?? '') ? body : undefined;
}

/** A message webhook (onmessage/unreadmessages) → InboundMessage, with the media bytes apart. */
export function toInboundMessage(
  event: MessageWebhookEvent,
  session: string,
): { message: InboundMessage; mediaBase64?: string } {
  const from = widToString(event.from) ?? '';
  const fromMe = isFromMe(event);
  const chatId = widToString(event.chatId) ?? (fromMe ? (widToString(event.to) ?? from) : from);
  const isGroup = event.isGroupMsg ?? chatKind(chatId) === 'group';
  const senderId = (isGroup ? widToString(event.author) : undefined) ?? widToString(event.sender?.id) ?? from;
  const message: InboundMessage = {
    session,
    chatId,
    messageId: event.id,
    sentAt: isoFromSeconds(event.t ?? event.timestamp),
    senderId,
    senderName:
      optional(event.notifyName) ?? optional(event.sender?.pushname) ?? optional(event.sender?.name) ?? undefined,
    contactPhone: contactPhoneOf(chatId),
    isGroup,
    messageType: mapMessageType(event.type),
    rawType: event.type,
  };
  if (fromMe) message.fromMe = true;
  if (typeof event.size === 'number' && Number.isFinite(event.size)) message.size = event.size;
  if (isTextType(event.type)) message.text = optional(event.body);
  const caption = optional(event.caption);
  if (caption !== undefined) message.caption = caption;
  const filename = optional(event.filename);
  if (filename !== undefined) message.filename = filename;
  const mimetype = optional(event.mimetype);
  if (mimetype !== undefined) message.mimetype = mimetype;
  if (typeof event.lat === 'number' && typeof event.lng === 'number') {
    message.location = { lat: event.lat, lng: event.lng, address: optional(event.loc) };
  }
  const quoted = optional(event.quotedMsgId);
  if (quoted !== undefined) message.quotedMessageId = quoted;
  if (isMediaType(event.type)) message.media = { source: 'wppconnect' };
  const mediaBase64 = downloadedMedia(event);
  return mediaBase64 === undefined ? { message } : { message, mediaBase64 };
}

/** A message read back by catch-up (get-messages / all-unread-messages) → InboundMessage. */
export function wppMessageToInbound(msg: WppMessage, session: string): InboundMessage {
  const isGroup = msg.isGroupMsg || chatKind(msg.chatId) === 'group';
  const message: InboundMessage = {
    session,
    chatId: msg.chatId,
    messageId: msg.id,
    sentAt: isoFromSeconds(msg.t),
    senderId: (isGroup ? msg.author : undefined) ?? msg.from,
    senderName: msg.notifyName ?? msg.senderName,
    contactPhone: contactPhoneOf(msg.chatId),
    isGroup,
    messageType: mapMessageType(msg.type),
    rawType: msg.type,
  };
  if (msg.fromMe) message.fromMe = true;
  if (isTextType(msg.type) && msg.body) message.text = msg.body;
  if (msg.caption) message.caption = msg.caption;
  if (msg.filename) message.filename = msg.filename;
  if (msg.mimetype) message.mimetype = msg.mimetype;
  if (msg.size !== undefined) message.size = msg.size;
  if (msg.lat !== undefined && msg.lng !== undefined)
    message.location = { lat: msg.lat, lng: msg.lng, address: msg.loc };
  if (msg.quotedMsgId) message.quotedMessageId = msg.quotedMsgId;
  if (isMediaType(msg.type)) message.media = { source: 'wppconnect' };
  return message;
}
