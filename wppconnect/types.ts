/**
 * What the rest of the system needs from WPPConnect Server (the seed design's IWhatsAppService).
 * The undici implementation lives in ./client.ts; errors in ./errors.ts.
 */

/** `status-session` values (wppconnect/CONTRACT.md §2.1). There is no DISCONNECTED state. */
export type SessionState = 'CLOSED' | 'INITIALIZING' | 'QRCODE' | 'PHONECODE' | 'CONNECTED';

export interface SessionStatus {
  state: SessionState;
  /** Only meaningful while state is QRCODE: stale QR data is returned in other states too. */
  qrAvailable: boolean;
  version?: string;
}

export interface SentMessage {
  /** Serialized WhatsApp id of the sent message, e.g. `true_5511999990001@c.us_3EB0...`. */
  messageId: string;
  /** The chat WhatsApp actually used (may differ from what was sent: Brazilian 9th digit). */
  chatId: string;
  ack: number;
}

export interface Recipient {
  /** Digits with country code, a full chat id (`...@c.us`, `...@g.us`, `...@lid`). */
  to: string;
}

export interface SendTextInput extends Recipient {
  text: string;
  quotedMessageId?: string;
}

export interface SendFileInput extends Recipient {
  /** Bare base64 (no data: prefix); the client builds the data URI WPPConnect requires. */
  base64: string;
  mimetype: string;
  filename?: string;
  caption?: string;
}

/** A chat message as read back from WPPConnect, with ids flattened to strings. */
export interface WppMessage {
  id: string;
  chatId: string;
  from: string;
  to: string;
  author?: string;
  fromMe: boolean;
  type: string;
  body?: string;
  caption?: string;
  filename?: string;
  mimetype?: string;
  /** Media size WhatsApp announces, in bytes. */
  size?: number;
  /** Unix seconds. */
  t: number;
  notifyName?: string;
  senderName?: string;
  isGroupMsg: boolean;
  lat?: number;
  lng?: number;
  loc?: string;
  quotedMsgId?: string;
  /** Delivery ack WhatsApp reports for the message (wppconnect/CONTRACT.md §3.4), when the server includes it. */
  ack?: number;
}

export interface WppChat {
  id: string;
  name?: string;
  /** Unix seconds of the last activity. */
  t: number;
  unreadCount: number;
  isGroup: boolean;
}

export interface MediaDownloadOptions {
  /** Decoded bytes allowed (MEDIA_MAX_BYTES): one more ends the download with WppResponseTooLargeError. */
  maxBytes: number;
  /** Receives the decoded bytes in order as they arrive (the file is never held whole); awaited. */
  write(chunk: Buffer): void | Promise<void>;
  /** Ends the download (a deadline, a cancelled activity) in place of the per-call timeout. */
  signal?: AbortSignal;
}

export interface MediaDownload {
  mimetype: string;
  /** Decoded bytes written. */
  bytes: number;
}

export interface IWhatsAppService {
  /** Creates (and caches in memory) a token for the session. Never logged, never returned to workflows. */
  generateToken(session: string): Promise<void>;
  /** true when the cached (or a new) token is accepted by the server. */
  validateToken(session: string): Promise<boolean>;
  /** Starts the session with our webhook URL (which carries the webhook token). */
  startSession(session: string, opts: { webhookUrl: string; waitQrCode?: boolean }): Promise<SessionStatus>;
  getSessionStatus(session: string): Promise<SessionStatus>;
  /** PNG bytes of the current QR, or null when the server has none. */
  getQrCode(session: string): Promise<Buffer | null>;
  checkConnection(session: string): Promise<boolean>;
  closeSession(session: string): Promise<void>;
  logoutSession(session: string): Promise<void>;
  sendText(session: string, input: SendTextInput): Promise<SentMessage>;
  sendImage(session: string, input: SendFileInput): Promise<SentMessage>;
  sendDocument(session: string, input: SendFileInput): Promise<SentMessage>;
  /** Newest activity first; `onlyUsers` leaves groups, channels and broadcasts out (server side). */
  listChats(session: string, opts?: { count?: number; onlyUsers?: boolean }): Promise<WppChat[]>;
  /**
   * The phone number (digits) behind an `@lid` id, through contact/pn-lid (wppconnect/CONTRACT.md §7.11); null when
   * WhatsApp does not tell.
   */
  getPhoneForLid(session: string, lid: string): Promise<string | null>;
  getUnreadMessages(session: string): Promise<WppMessage[]>;
  /** Oldest first. `beforeMessageId` pages backwards. */
  getMessages(
    session: string,
    chatId: string,
    opts?: { count?: number; beforeMessageId?: string },
  ): Promise<WppMessage[]>;
  /**
   * Streams a message's media to `download.write`. 400 (unknown message) is WppOperationFailed; the real
   * server's 500 for a failed download or decryption is WppTransient with status 500.
   */
  getMediaByMessage(session: string, messageId: string, download: MediaDownloadOptions): Promise<MediaDownload>;
}
