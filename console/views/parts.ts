import type { ChatSessionRecord, ChatStatus, DeliveryStatus, MessageType, SenderType } from '../../db/types';
import { markup, type Html } from '../html';
import { fmt, type Strings } from '../strings';

/** What every view gets: the language's strings, the clock of the request and the signed-in operator. */
export interface ViewContext {
  t: Strings;
  lang: string;
  now: Date;
  /** Absent on the sign-in page. */
  operator?: { username: string; displayName: string };
  csrfToken?: string;
  /** Open escalations, for the badge in the navigation. */
  openEmergencies?: number;
}

export function relativeTime(t: Strings, at: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  if (seconds < 60) return t.client.justNow;
  if (seconds < 3600) return fmt(t.client.minutesAgo, { n: Math.floor(seconds / 60) });
  if (seconds < 86_400) return fmt(t.client.hoursAgo, { n: Math.floor(seconds / 3600) });
  return fmt(t.client.daysAgo, { n: Math.floor(seconds / 86_400) });
}

/** `2026-01-15 12:00 UTC`; the browser script rewrites it in the reader's time zone. */
export function absoluteTime(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A relative time ("5 min ago") the browser keeps current, with the exact time as its tooltip. */
export function timeAgo(v: ViewContext, at: Date): Html {
  return markup`<time datetime="${at.toISOString()}" data-relative title="${absoluteTime(at)}"
    >${relativeTime(v.t, at, v.now)}</time
  >`;
}

/** An exact time, localised by the browser script. */
export function timeAt(at: Date): Html {
  return markup`<time datetime="${at.toISOString()}" data-absolute>${absoluteTime(at)}</time>`;
}

export function statusLabel(t: Strings, status: ChatStatus): string {
  return {
    escalated: t.statusEscalated,
    handoff: t.statusHandoff,
    active: t.statusActive,
    closed: t.statusClosed,
  }[status];
}

export function statusBadge(t: Strings, status: ChatStatus): Html {
  return markup`<span class="badge badge-${status}">${statusLabel(t, status)}</span>`;
}

export function senderLabel(t: Strings, type: SenderType): string {
  return { patient: t.senderPatient, assistant: t.senderAssistant, human: t.senderHuman, system: t.senderSystem }[type];
}

export function deliveryLabel(t: Strings, status: DeliveryStatus): string {
  return {
    received: t.deliveryReceived,
    pending: t.deliveryPending,
    sent: t.deliverySent,
    delivered: t.deliveryDelivered,
    read: t.deliveryRead,
    failed: t.deliveryFailed,
  }[status];
}

/** WhatsApp-like ticks (decorative) with the status in words for screen readers and the tooltip. */
export function deliveryTicks(t: Strings, status: DeliveryStatus): Html {
  const ticks = { received: '', pending: '◷', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' }[status];
  const label = deliveryLabel(t, status);
  return markup`<span class="delivery delivery-${status}" title="${label}"
    ><span class="ticks" aria-hidden="true">${ticks}</span> <span class="delivery-text">${label}</span></span
  >`;
}

export function mediaLabel(t: Strings, type: MessageType): string {
  switch (type) {
    case 'image':
      return t.mediaImage;
    case 'document':
      return t.mediaDocument;
    case 'audio':
      return t.mediaAudio;
    case 'video':
      return t.mediaVideo;
    case 'location':
      return t.mediaLocation;
    case 'sticker':
      return t.mediaSticker;
    case 'contact':
      return t.mediaContact;
    default:
      return t.mediaOther;
  }
}

/** A red-flag rule id in the reader's language; an id the strings do not know yet reads "chest pain warning". */
export const redFlagName = (t: Strings, id: string): string => t.redFlagNames[id] ?? id.replace(/[-_]+/g, ' ');

/** The name people know a chat by: contact name, else phone, else the chat id. */
export function chatName(chat: Pick<ChatSessionRecord, 'contactName' | 'contactPhone' | 'chatId'>): string {
  return chat.contactName ?? (chat.contactPhone ? `+${chat.contactPhone}` : chat.chatId);
}

export function chatPath(session: string, chatId: string): string {
  return `/console/chats/${encodeURIComponent(session)}/${encodeURIComponent(chatId)}`;
}

/** Hidden field every state-changing form carries. */
export function csrfField(v: ViewContext): Html {
  return markup`<input type="hidden" name="_csrf" value="${v.csrfToken ?? ''}" />`;
}

/** A status line announced to screen readers (after an action). */
export function notice(text: string | undefined, kind: 'ok' | 'error' = 'ok'): Html {
  if (!text) return markup``;
  return markup`<p class="notice notice-${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`;
}

export function durationText(t: Strings, ms: number | null): string {
  if (ms === null) return t.statNone;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
