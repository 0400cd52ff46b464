/**
 * Messages that cross process and workflow boundaries. Never a token, a secret or media bytes: media
 * travel as a reference (a staging file name, or "ask WPPConnect").
 */
import type { MessageType } from './domain';

export type ReceivedVia = 'webhook' | 'catch-up';

/** An incoming WhatsApp message, normalised from a webhook or from catch-up. */
export interface InboundMessage {
  session: string;
  chatId: string;
  messageId: string;
  /** ISO time the patient sent it (WhatsApp `t`). */
  sentAt: string;
  senderId: string;
  senderName?: string;
  /** Digits of the phone number when known (phone chats, and @lid senders once resolved). */
  contactPhone?: string;
  isGroup: boolean;
  /**
   * Typed on the clinic's linked phone (WhatsApp `fromMe`) and not sent by the pipeline: a person of the
   * clinic answering. Recorded as `senderType: "human"`; pauses the assistant (HUMAN_REPLY_PAUSES_BOT).
   */
  fromMe?: boolean;
  messageType: MessageType;
  /** WhatsApp's own type (`chat`, `ptt`, `image`...). */
  rawType: string;
  text?: string;
  caption?: string;
  filename?: string;
  mimetype?: string;
  /** Bytes as WhatsApp announced them (webhook `size`), checked against MEDIA_MAX_BYTES before any fetch. */
  size?: number;
  location?: { lat: number; lng: number; address?: string };
  quotedMessageId?: string;
  /**
   * Where the media bytes are: `staged` (the API wrote the webhook's base64 to the staging folder), or
   * `wppconnect` (fetch with get-media-by-message). Absent for messages without media.
   */
  media?: { source: 'staged'; stagingName: string } | { source: 'wppconnect' };
}

/** A message other services (or the operator console) ask the conversation to send. */
export interface OutboundRequest {
  requestId: string;
  session: string;
  chatId: string;
  type: 'text' | 'image' | 'document';
  text?: string;
  caption?: string;
  filename?: string;
  mimetype?: string;
  /** Name of the stored media file (under MEDIA_STORAGE_PATH/outbound), never the bytes. */
  mediaFile?: string;
  /** Who asked: `api:<key id>`, `console:<operator>` or a service name. */
  requestedBy?: string;
  /** `human` when a person of the clinic writes it (console, or `"as": "human"`); `system` otherwise. */
  senderType?: 'system' | 'human';
  /** The person's display name when `senderType` is `human`. */
  senderName?: string;
}
